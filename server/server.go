// Package server wires the parts into one running server: the store, the
// service, the HTTP front (routes, metrics, access log, timeouts) and the
// background loop. main, the load tool's in-process server and the tests
// all build it here, so what is tested and profiled is what runs.
package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"sxb-edu/auiclass"
	"sxb-edu/auilive"
	"sxb-edu/console"
	"sxb-edu/dispatch"
	"sxb-edu/front"
	"sxb-edu/goclass"
	"sxb-edu/lcic"
	"sxb-edu/sig"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// GCPercent is the garbage collector's target (GOGC) unless the GOGC
// environment variable sets one.
const GCPercent = 400

// DemoAppID is the SDKAppID served when the configuration names no app.
const DemoAppID = 1400000000

// Timeouts bound how long a client may hold a connection: a slow-loris
// client that dribbles its headers or body is cut off. Zero fields take
// DefaultTimeouts'.
type Timeouts struct {
	Header, Read, Write, Idle time.Duration
}

// DefaultTimeouts are the production timeouts.
var DefaultTimeouts = Timeouts{Header: 10 * time.Second, Read: 30 * time.Second,
	Write: 30 * time.Second, Idle: 120 * time.Second}

// Options are what a server needs besides its configuration.
type Options struct {
	DB       string           // the SQLite database file
	Log      *slog.Logger     // nil: slog.Default()
	Now      func() time.Time // the service's clock; nil: time.Now
	Timeouts Timeouts
	// IMClient makes the IM and replay-index calls (nil: 5-s timeout).
	IMClient *http.Client
	// ZegoClient makes the calls to ZEGO's server API (nil: 5-s timeout).
	ZegoClient *http.Client
	// AUIClient calls Alibaba Cloud's OpenAPI for the AUI fronts (tests: a fake).
	AUIClient *http.Client
	// Done, when set, is told of every answered request after the access log.
	Done func(front.Record)
	// ACMERenewBefore is how long before expiry an automatic certificate
	// is renewed (0: autocert's, a third of its life, at most 30 days).
	ACMERenewBefore time.Duration
	// KeepMaxProcs leaves GOMAXPROCS alone (tests and benchmarks, whose
	// framework sets it).
	KeepMaxProcs bool
}

// Server is one configured server.
type Server struct {
	Cfg      *Config
	Store    *store.Store
	Svc      *svc.Service
	GoClass  *goclass.Service  // nil unless the configuration has "zego"
	AUILive  *auilive.Service  // nil unless the configuration has "aui_live"
	AUIClass *auiclass.Service // nil unless the configuration has "aui_class"
	LCIC     *lcic.Service     // nil unless the configuration has "lcic"
	Console  *console.Console
	HTTP     *http.Server // its configuration serves plain HTTP too (plain)
	plain    *plainServer
	Metrics  *Metrics
	Log      *slog.Logger

	addrs    clientAddrs
	done     func(front.Record)
	deadline time.Duration // a request's time in the server
	tls      *certFiles    // nil: plain HTTP (behind a proxy)
	acme     *autoCerts    // set with -https
	peers    *peers        // several servers on one MySQL database
	dbPath   string
	peerStop context.CancelFunc
	peerDone chan struct{}

	bgStop context.CancelFunc
	bgDone chan struct{}
	once   sync.Once
}

// New opens the database and builds the server for a validated
// configuration. With no app configured it serves the demo app, whose
// key is generated on first start and kept in the database. Unless the
// GOMAXPROCS variable or KeepMaxProcs says otherwise, it sets GOMAXPROCS to the cores
// plus the password-hash slots (see svc's hashing).
func New(cfg *Config, o Options) (*Server, error) {
	log := cmp.Or(o.Log, slog.Default())
	if os.Getenv("GOGC") == "" && !o.KeepMaxProcs {
		// The collector runs a fifth as often as by default: a class of
		// 50,000 students spent more CPU on it than on its heartbeats, and
		// the heap it needs is small (BENCHMARKS.md: 228 MB at 50,000).
		debug.SetGCPercent(GCPercent)
	}
	var hashing func(int)
	if os.Getenv("GOMAXPROCS") == "" && !o.KeepMaxProcs {
		// A password hash holds a Go processor for its whole run (at low OS
		// priority); a processor more for each hash while it runs keeps
		// every core available to the other requests during a login
		// storm. Not more all the time: each idle processor is one more
		// thread woken and put back to sleep around every quiet request
		// (BENCHMARKS.md, the cost of a classroom request).
		hashing = lendProcs(runtime.NumCPU())
	}
	fitFileLimit(cfg, log)
	so := cfg.Options
	so.Log = log
	st, err := store.Open(o.DB, so)
	if err != nil {
		return nil, err
	}
	if len(cfg.Apps) > 0 && cfg.IMBaseURL == "" {
		// A config written from the PHP settings lacks it (the PHP server
		// had the IM host built in): say so loudly.
		log.Warn("IM IS OFF: apps are configured but im_base_url is empty, so class start, end, enter, recording and removal messages are NOT sent to the classes; set \"im_base_url\": \"https://console.tim.qq.com\" (the PHP server's)")
	}
	if len(cfg.Apps) > 0 && cfg.ReplayIndexURL == "" {
		log.Warn("replay indexes are off: replay_index_url is empty, so ended classes never become replayable; set \"replay_index_url\": \"https://test.tim.qq.com\" (the PHP server's)")
	}
	if len(cfg.Apps) == 0 {
		key, made, err := demoKey(st)
		if err != nil {
			st.Close()
			return nil, err
		}
		cfg.Apps = []svc.App{{SDKAppID: DemoAppID, Key: key, Admin: "admin"}}
		note := "its userSig key is kept in the database"
		if made {
			note = "its userSig key was generated now and is kept in the database"
		}
		log.Info("no apps configured: serving the demo app", "sdkappid", DemoAppID, "note", note)
	}
	if cfg.CallbackKey == "" && cfg.AllowUnsignedCallbacks {
		log.Warn("callbacks are accepted without a signature (allow_unsigned_callbacks): anyone who reaches the server can post recordings and replay indexes; set callback_key")
	} else if cfg.CallbackKey == "" {
		log.Info("no callback_key: recording and replay-index callbacks are refused (HTTP 403)")
	}
	im := &sig.IM{Base: cfg.IMBaseURL, Client: o.IMClient}
	if im.Client == nil {
		im.Client = &http.Client{Timeout: 5 * time.Second}
	}
	service := svc.New(&cfg.Config, svc.Deps{Store: st, IM: im, Log: log, Now: o.Now, Hashing: hashing})
	if n, err := service.WarmSessions(context.Background()); err != nil {
		log.Warn("sessions not read ahead: each is read at its first request", "err", err)
	} else if n > 0 {
		log.Info("sessions read ahead", "sessions", n)
	}
	s := &Server{Cfg: cfg, Store: st, Svc: service, Log: log, done: o.Done,
		addrs:   clientAddrs{proxies: cfg.Proxies},
		Metrics: NewMetrics(st, log, ops(cfg.GoClass != nil, cfg.AUILive != nil, cfg.AUIClass != nil, cfg.LCIC != nil, st.SeveralServers() && !cfg.ReadThrough), codes())}
	service.Observe = s.Metrics.Reaped
	if cfg.TLSCert != "" {
		if s.tls, err = newCertFiles(cfg.TLSCert, cfg.TLSKey, log); err != nil {
			st.Close()
			return nil, err
		}
		leaf := s.tls.cert.Leaf
		log.Info("HTTPS with certificate files (HTTP/2 too); reloaded on SIGHUP and when the files change",
			"names", leaf.DNSNames, "expires", leaf.NotAfter.UTC(), "cert", cfg.TLSCert)
		s.Metrics.CertExpiry(s.tls.expiry)
	}
	if len(cfg.HTTPS) > 0 {
		if s.acme, err = newAutoCerts(cfg, o.DB, o.ACMERenewBefore, log); err != nil {
			st.Close()
			return nil, err
		}
		s.Metrics.CertExpiry(s.acme.expiryTime)
	}
	var gc *goclass.Handler
	if cfg.GoClass != nil {
		s.GoClass = goclass.New(cfg.GoClass, goclass.Deps{Store: st, Client: o.ZegoClient, Now: o.Now, Log: log})
		gc = goclass.NewHandler(s.GoClass)
		log.Info("GO课堂 room API on /edu_room/", "small_app", cfg.GoClass.Small.AppID, "large_app", cfg.GoClass.Large.AppID,
			"envelope", cfg.GoClass.AESKey != "", "envelope_required", cfg.GoClass.RequireEnvelope)
	}
	var al *auilive.Handler
	if cfg.AUILive != nil {
		appID := cfg.Apps[0].SDKAppID
		if s.AUILive, err = s.newAUILive(cfg.AUILive, service, appID, o); err != nil {
			st.Close()
			return nil, err
		}
		al = auilive.NewHandler(s.AUILive)
	}
	var ac *auiclass.Handler
	if cfg.AUIClass != nil {
		appID := cfg.Apps[0].SDKAppID
		if s.AUIClass, err = s.newAUIClass(cfg.AUIClass, service, appID, o); err != nil {
			st.Close()
			return nil, err
		}
		ac = auiclass.NewHandler(s.AUIClass, cfg.AUILive == nil || cfg.AUIClass.RootLogin)
	}
	var lc *lcic.Handler
	if cfg.LCIC != nil {
		if s.LCIC, err = s.newLCIC(cfg.LCIC, service, o); err != nil {
			st.Close()
			return nil, err
		}
		service.Opens = s.LCIC.Opens
		service.Event = s.LCIC.ClassEvent
		lc = lcic.NewHandler(s.LCIC)
	}
	if al != nil && ac != nil {
		front := "aui_live"
		if ac.RootLogin {
			front = "aui_class"
		}
		log.Info("both AUI fronts are on: the bare /login is "+front+"'s (root_login)", "front", front)
	}
	cd := console.Deps{Store: st, Svc: service, GoClass: s.GoClass, AUILive: s.AUILive, AUIClass: s.AUIClass, LCIC: s.LCIC, Gather: s.Metrics.Gather, Log: log, Now: o.Now}
	if s.tls != nil {
		cd.CertExpiry = s.tls.expiry
	} else if s.acme != nil {
		cd.CertExpiry = s.acme.expiryTime
	}
	s.Console = console.New(cd)
	s.dbPath = o.DB
	if st.SeveralServers() && cfg.ReadThrough {
		log.Info("read_through: every request reads the database (no caches)")
	} else if st.SeveralServers() {
		if s.peers, err = newPeers(st, log, cfg.PeerTimeout); err != nil {
			st.Close()
			return nil, err
		}
		st.SetPublisher(s.peers.publish)
	}
	handler := s.routes(&dispatch.Server{Svc: service}, gc, al, ac, lc, s.Console)
	t := o.Timeouts
	def := DefaultTimeouts
	// A request's deadline lies inside the write timeout, so its answer
	// (90000) can still be written.
	s.deadline = min(cfg.RequestTimeout, cmp.Or(t.Write, def.Write)-time.Second)
	s.HTTP = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cmp.Or(t.Header, def.Header),
		ReadTimeout:       cmp.Or(t.Read, def.Read),
		WriteTimeout:      cmp.Or(t.Write, def.Write),
		IdleTimeout:       cmp.Or(t.Idle, def.Idle),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.plain = newPlainServer(s.HTTP)
	return s, nil
}

// lendProcs sets GOMAXPROCS to cores and returns the function that adds
// one for each password hash running.
func lendProcs(cores int) func(delta int) {
	var mu sync.Mutex
	hashes := 0
	runtime.GOMAXPROCS(cores)
	return func(delta int) {
		mu.Lock()
		defer mu.Unlock()
		hashes += delta
		runtime.GOMAXPROCS(cores + hashes)
	}
}

// fileReserve are the open files kept for what is not a client: the
// database and its WAL, the listeners, the MySQL pool, calls to IM and
// ZEGO, the log.
const fileReserve = 128

// fitFileLimit raises the open-file limit as far as it goes and keeps
// max_connections inside it: past the limit accept fails, and new
// clients, health checks among them, would wait in the kernel's queue.
func fitFileLimit(cfg *Config, log *slog.Logger) {
	limit, err := raiseFileLimit()
	if err != nil || limit == 0 {
		return
	}
	room := int(min(limit, 1<<30)) - fileReserve
	if cfg.MaxConnections > room {
		log.Warn("max_connections lowered to fit the open-file limit (raise it with ulimit -n or LimitNOFILE= in the service)",
			"open_file_limit", limit, "max_connections", max(room, 1), "configured", cfg.MaxConnections)
		cfg.MaxConnections = max(room, 1)
		return
	}
	log.Info("open files", "limit", limit, "max_connections", cfg.MaxConnections)
}

// Start runs the background loop (heartbeat flushes, reaper, replay-index
// scheduler) until Shutdown or Close.
func (s *Server) Start() {
	if s.bgStop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.bgStop, s.bgDone = cancel, make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		if s.GoClass != nil {
			wg.Go(func() { s.GoClass.Run(ctx) })
		}
		if s.LCIC != nil {
			wg.Go(func() { s.LCIC.Run(ctx, lcicExpireEvery) })
		}
		wg.Go(func() { s.Console.Run(ctx) })
		if s.tls != nil {
			wg.Go(func() { s.watchCert(ctx) })
		}
		s.Svc.Run(ctx)
		wg.Wait()
		close(s.bgDone)
	}()
}

// Serve answers HTTP on ln until Shutdown or Close, with at most
// max_connections connections open (more are answered 503 at once).
func (s *Server) Serve(ln net.Listener) error {
	s.joinPeers(ln.Addr(), s.tls != nil)
	capped := &capListener{Listener: ln, max: int64(s.Cfg.MaxConnections)}
	var err error
	if s.tls != nil {
		s.HTTP.TLSConfig = &tls.Config{GetCertificate: s.tls.get, MinVersion: tls.VersionTLS12}
		err = s.HTTP.ServeTLS(capped, "", "") // HTTP/2 is offered too
	} else {
		err = s.plain.Serve(capped)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ReloadTLS loads the certificate files again (SIGHUP); a bad pair is
// refused and the one in use stays.
func (s *Server) ReloadTLS() error {
	if s.tls == nil {
		return nil
	}
	return s.tls.reload()
}

// watchCert reloads the certificate files when they change.
func (s *Server) watchCert(ctx context.Context) {
	t := time.NewTicker(certWatchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.tls.changed() {
				s.tls.reload()
			}
		}
	}
}

// Shutdown stops accepting, lets the requests in flight finish (until ctx
// ends), stops the background loop, whose last act is to write the
// pending heartbeats, and closes the database. It reports ctx's error
// when requests were still running at the deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	s.leavePeers()
	herr := errors.Join(s.HTTP.Shutdown(ctx), s.plain.Shutdown(ctx))
	if herr != nil {
		s.HTTP.Close()
		s.plain.Close()
		herr = fmt.Errorf("requests still running at the deadline: %w", herr)
	}
	return errors.Join(herr, s.stop())
}

// Close stops everything at once (pending heartbeats are still written).
func (s *Server) Close() error {
	s.leavePeers()
	s.HTTP.Close()
	s.plain.Close()
	return s.stop()
}

func (s *Server) stop() error {
	var err error
	s.once.Do(func() {
		// Requests have stopped: what is pending now is written by the
		// background loop's last flush or by Close.
		pending := s.Store.Pending()
		if s.bgStop != nil {
			s.bgStop()
			<-s.bgDone
		}
		err = s.Store.Close()
		s.Log.Info("stopped", "heartbeats_flushed", pending, "err", err)
	})
	return err
}

// joinPeers starts this server's part in the group of servers on the
// database, reachable on the listener at addr.
func (s *Server) joinPeers(addr net.Addr, tlsOn bool) {
	if s.peers == nil || s.peerStop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.peerStop, s.peerDone = cancel, make(chan struct{})
	self := advertise(s.Cfg, addr, s.dbPath, tlsOn)
	go func() {
		defer close(s.peerDone)
		s.peers.run(ctx, self)
	}()
}

// leavePeers leaves the group first when stopping: the others stop
// telling this server of writes (and never wait for it).
func (s *Server) leavePeers() {
	if s.peerStop != nil {
		s.peerStop()
		<-s.peerDone
	}
}

// demoKey returns the demo app's userSig key, made on first start (made
// is true then).
func demoKey(st *store.Store) (key string, made bool, err error) {
	return settingKey(st, "demo_app_key")
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

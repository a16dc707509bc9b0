// Command sxb-edu is a drop-in replacement for the PHP backend of
// 随心播.教育: one binary, an embedded SQLite database.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"sxb-edu/dispatch"
	"sxb-edu/sig"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// DemoAppID is the SDKAppID served when no configuration names any app.
const DemoAppID = 1400000000

func main() {
	level := new(slog.LevelVar)
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(os.Args[1:], log, level); err != nil {
		log.Error("fatal", "err", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(args []string, log *slog.Logger, level *slog.LevelVar) error {
	fs := flag.NewFlagSet("sxb-edu", flag.ContinueOnError)
	addr := fs.String("addr", env("SXB_ADDR", ":8080"), "listen address (env SXB_ADDR)")
	dbPath := fs.String("db", env("SXB_DB", "./sxb-edu.db"), "SQLite database file (env SXB_DB)")
	cfgPath := fs.String("config", env("SXB_CONFIG", ""), "configuration file, JSON (env SXB_CONFIG)")
	logLevel := fs.String("log-level", env("SXB_LOG_LEVEL", "info"),
		"debug, info, warn or error (env SXB_LOG_LEVEL); debug adds successful heartbeats to the access log")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	cfg, err := svc.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// A password hash holds a Go processor for its whole run (at low OS
		// priority); one processor per hash more than the cores keeps every
		// core available to the other requests during a login storm.
		runtime.GOMAXPROCS(runtime.NumCPU() + cfg.LoginConcurrent)
	}
	st, err := store.OpenTimeout(*dbPath, time.Duration(cfg.BusyTimeoutMS)*time.Millisecond)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(cfg.Apps) == 0 {
		key, err := demoKey(st)
		if err != nil {
			return err
		}
		cfg.Apps = []svc.App{{SDKAppID: DemoAppID, Key: key, Admin: "admin"}}
		log.Info("no apps configured: serving the demo app", "sdkappid", DemoAppID,
			"note", "its userSig key was generated on first start and is kept in the database")
	}
	im := &sig.IM{Base: cfg.IMBaseURL, Client: &http.Client{Timeout: 5 * time.Second}}
	service := svc.New(cfg, st, im, log)
	srv := NewHTTP(service, log)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "db", *dbPath, "im", im.Enabled())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bg, cancelBG := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() { service.Run(bg); close(bgDone) }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		cancelBG()
		<-bgDone
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let the requests in flight finish, then stop the
	// background loop, whose last act is to write the pending heartbeats.
	// A second signal kills at once.
	stop()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
	}
	cancelBG()
	<-bgDone
	log.Info("stopped")
	return nil
}

// timeouts bound how long a client may hold a connection: a slow-loris
// client that dribbles its headers or body is cut off.
type timeouts struct {
	header, read, write, idle time.Duration
}

var defaultTimeouts = timeouts{header: 10 * time.Second, read: 30 * time.Second,
	write: 30 * time.Second, idle: 120 * time.Second}

// NewHTTP builds the HTTP server for a service: the protocol's routes,
// /healthz, /metrics and the access log.
func NewHTTP(service *svc.Service, log *slog.Logger) *http.Server {
	return newHTTP(service, log, defaultTimeouts)
}

func newHTTP(service *svc.Service, log *slog.Logger, t timeouts) *http.Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	d := &dispatch.Server{Svc: service, Log: log, Metrics: dispatch.NewMetrics(service),
		Done: dispatch.AccessLog(log)}
	d.Register(e)
	return &http.Server{
		Handler:           e,
		ReadHeaderTimeout: t.header,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// demoKey returns the demo app's userSig key, made on first start.
func demoKey(st *store.Store) (string, error) {
	ctx := context.Background()
	key, err := st.Setting(ctx, "demo_app_key")
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	key = hex.EncodeToString(b[:])
	if err := st.SetSetting(ctx, "demo_app_key", key); err != nil {
		return "", fmt.Errorf("store demo key: %w", err)
	}
	return key, nil
}

// Package tests is the one test environment of the project: the real
// server (built by server.New, as main builds it) over real HTTP on a real
// SQLite file, with a clock the test controls, fakes of Tencent's
// services, database digests, and the real binary run as a child process.
// Black-box _test packages of every part use it.
//
//	h := tests.New(t, nil)                  // two apps: AppA, AppB
//	h.Regist(tests.AppA, "t1", "pw", 1)       // asserts errorCode 0
//	tok := h.Login(tests.AppA, "t1", "pw").Token
//	h.Call(tests.AppA, tok, "live", "create", tests.M{"title": "x"}).Want(t, 0)
//	h.Advance(10 * time.Minute)              // the service's clock moves, nothing sleeps
package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// The SDKAppIDs the environment configures.
const (
	AppA = 1400000001
	AppB = 1400000002
	KeyA = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	KeyB = "0fd9a0a7e0bd1a56b0b2a4c9e47e5e1d2a50cd1c0e9d5f3f6a7e9bf23a3c1d44"
)

// M is a JSON object to send.
type M = map[string]any

// Env is one running server: its parts and an HTTP front.
type Env struct {
	T      testing.TB
	Cfg    *server.Config
	App    *server.Server
	Svc    *svc.Service
	Store  *store.Store
	HTTP   *Front
	DBPath string        // the database: a file, or a mysql:// URL
	Log    *bytes.Buffer // the server's log (JSON lines)

	opts   Options
	clock  atomic.Int64 // unix nanoseconds
	logMu  sync.Mutex
	closed bool
}

// Options change what New builds.
type Options struct {
	// Edit changes the configuration before the server is made.
	Edit func(*server.Config)
	// Timeouts are the HTTP server's (zero: the production defaults).
	Timeouts server.Timeouts
	// DB is the database: a file or a mysql:// URL (empty: a new SQLite
	// file in a temporary directory, or under EachEngine a new database
	// of the subtest's engine).
	DB string
	// LogTo receives the server's log instead of Env.Log (benchmarks
	// discard it).
	LogTo io.Writer
}

// New starts a server with apps AppA and AppB, bcrypt cost 4, IM
// disabled, unsigned callbacks allowed and a clock at the real time now. edit, when set, changes the
// configuration before the server is made (e.g. IMBaseURL, CallbackKey).
func New(t testing.TB, edit func(*server.Config)) *Env {
	t.Helper()
	return NewWith(t, Options{Edit: edit})
}

// NewWith is New with options.
func NewWith(t testing.TB, o Options) *Env {
	t.Helper()
	cfg := &server.Config{Config: svc.Config{Apps: []svc.App{{SDKAppID: AppA, Key: KeyA}, {SDKAppID: AppB, Key: KeyB, Admin: "adminB"}},
		HashCost: 4, AllowUnsignedCallbacks: true}}
	if o.Edit != nil {
		o.Edit(cfg)
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.DB == "" && engineFor(t) == "mysql" {
		o.DB = NewMySQLDatabase(t)
	}
	if o.DB == "" {
		o.DB = filepath.Join(t.TempDir(), "sxb.db")
	}
	h := &Env{T: t, Cfg: cfg, DBPath: o.DB, Log: &bytes.Buffer{}, opts: o}
	h.clock.Store(time.Now().Truncate(time.Second).UnixNano())
	h.start()
	t.Cleanup(h.stop)
	return h
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (h *Env) start() {
	var w io.Writer = lockedWriter{&h.logMu, h.Log}
	if h.opts.LogTo != nil {
		w = h.opts.LogTo
	}
	log := slog.New(slog.NewJSONHandler(w, nil))
	srv, err := server.New(h.Cfg, server.Options{DB: h.DBPath, Log: log, Now: h.Now,
		Timeouts: h.opts.Timeouts, IMClient: &http.Client{Timeout: 3 * time.Second}, KeepMaxProcs: true})
	if err != nil {
		h.T.Fatal(err)
	}
	h.App, h.Svc, h.Store = srv, srv.Svc, srv.Store
	h.HTTP = serve(h.T, srv)
	h.closed = false
}

// Front is a server listening on loopback the way sxb-edu serves, through
// Server.Serve: the tests talk to its own HTTP/1.1 connection handling.
type Front struct {
	URL    string
	ln     net.Listener
	client *http.Client
	done   chan struct{}
}

func serve(t testing.TB, srv *server.Server) *Front {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Front{URL: "http://" + ln.Addr().String(), ln: ln, done: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{}}}
	go func() {
		defer close(f.done)
		srv.Serve(ln)
	}()
	return f
}

// Client is an HTTP client for the front.
func (f *Front) Client() *http.Client { return f.client }

// Close stops listening; the server's Close ends its connections.
func (f *Front) Close() {
	f.ln.Close()
	f.client.CloseIdleConnections()
}

// RunBackground starts the server's background loop (heartbeat flushes,
// reaper, replay-index scheduler) until the environment stops or restarts.
func (h *Env) RunBackground() { h.App.Start() }

func (h *Env) stop() {
	if h.closed {
		return
	}
	h.closed = true
	h.HTTP.Close()
	if err := h.App.Close(); err != nil {
		h.T.Errorf("server close: %v", err)
	}
}

// LogText is what the server logged so far.
func (h *Env) LogText() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.Log.String()
}

// Stop stops the server cleanly (the store flushes); a test that checks
// the database file afterwards calls it, the cleanup does otherwise.
func (h *Env) Stop() { h.stop() }

// Restart stops the server cleanly (the store flushes on Close) and starts
// a new one on the same database file. The new service's start time (the
// reaper's grace period) is the clock's now.
func (h *Env) Restart() {
	h.T.Helper()
	h.stop()
	h.start()
}

// Now is the environment's clock (the service's).
func (h *Env) Now() time.Time { return time.Unix(0, h.clock.Load()) }

// Unix is the clock in seconds.
func (h *Env) Unix() int64 { return h.Now().Unix() }

// Advance moves the clock forward.
func (h *Env) Advance(d time.Duration) { h.clock.Add(int64(d)) }

// URL is the protocol's endpoint for svc/cmd on path /index.php.
func (h *Env) URL(svcName, cmd string) string {
	return h.HTTP.URL + "/index.php?svc=" + url.QueryEscape(svcName) + "&cmd=" + url.QueryEscape(cmd)
}

// Answer is one HTTP answer, with the envelope decoded when it is one.
type Answer struct {
	Status  int
	Header  http.Header
	Raw     []byte
	Code    int             // errorCode (0 also when absent)
	Info    string          // errorInfo
	Data    json.RawMessage // data, nil when absent
	HasData bool
	Fields  map[string]json.RawMessage // top-level keys of the body
}

// Want fails the test unless the answer is HTTP 200 with errorCode code.
func (a Answer) Want(t testing.TB, code int) Answer {
	t.Helper()
	if a.Status != http.StatusOK || a.Code != code {
		t.Fatalf("want errorCode %d, got HTTP %d %s", code, a.Status, a.Raw)
	}
	return a
}

// WantInfo is Want with an exact errorInfo.
func (a Answer) WantInfo(t testing.TB, code int, info string) Answer {
	t.Helper()
	a.Want(t, code)
	if a.Info != info {
		t.Fatalf("want errorInfo %q, got %s", info, a.Raw)
	}
	return a
}

// Decode unmarshals data into v (failing the test when there is none).
func (a Answer) Decode(t testing.TB, v any) {
	t.Helper()
	if !a.HasData {
		t.Fatalf("answer has no data: %s", a.Raw)
	}
	if err := json.Unmarshal(a.Data, v); err != nil {
		t.Fatalf("data %s: %v", a.Data, err)
	}
}

// Do sends one raw HTTP request to path (relative to the server) and
// parses what it can of the answer.
func (h *Env) Do(method, path, contentType string, body []byte) Answer {
	h.T.Helper()
	return h.DoWith(method, path, contentType, body, nil)
}

// DoWith is Do with extra request headers (X-Forwarded-For, X-Real-IP).
func (h *Env) DoWith(method, path, contentType string, body []byte, hdr http.Header) Answer {
	h.T.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, h.HTTP.URL+path, bytes.NewReader(body))
	if err != nil {
		h.T.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := h.HTTP.Client().Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.T.Fatal(err)
	}
	a := Answer{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if json.Unmarshal(raw, &a.Fields) == nil {
		if v, ok := a.Fields["errorCode"]; ok {
			_ = json.Unmarshal(v, &a.Code)
		}
		if v, ok := a.Fields["errorInfo"]; ok {
			_ = json.Unmarshal(v, &a.Info)
		}
		a.Data, a.HasData = a.Fields["data"]
	}
	return a
}

// PostRaw posts a raw body to /index.php?svc=..&cmd=.. as application/json.
func (h *Env) PostRaw(svcName, cmd string, body []byte) Answer {
	h.T.Helper()
	return h.Do(http.MethodPost, strings.TrimPrefix(h.URL(svcName, cmd), h.HTTP.URL), "application/json", body)
}

// Post marshals body and posts it.
func (h *Env) Post(svcName, cmd string, body any) Answer {
	h.T.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.T.Fatal(err)
	}
	return h.PostRaw(svcName, cmd, b)
}

// Call posts a command with appid, timeStamp (the clock) and token added
// to fields (token omitted when empty).
func (h *Env) Call(appid int64, token, svcName, cmd string, fields M) Answer {
	h.T.Helper()
	return h.CallFrom(nil, appid, token, svcName, cmd, fields)
}

// CallFrom is Call with extra request headers: a client behind a proxy.
func (h *Env) CallFrom(hdr http.Header, appid int64, token, svcName, cmd string, fields M) Answer {
	h.T.Helper()
	b := M{"appid": appid, "timeStamp": h.Unix()}
	if token != "" {
		b["token"] = token
	}
	for k, v := range fields {
		b[k] = v
	}
	raw, err := json.Marshal(b)
	if err != nil {
		h.T.Fatal(err)
	}
	return h.DoWith(http.MethodPost, strings.TrimPrefix(h.URL(svcName, cmd), h.HTTP.URL), "application/json", raw, hdr)
}

// Forwarded is the headers of a trusted proxy naming client addr in
// X-Forwarded-For, or, written "real:ADDR", in X-Real-IP.
func Forwarded(addr string) http.Header {
	if ip, ok := strings.CutPrefix(addr, "real:"); ok {
		return http.Header{"X-Real-Ip": {ip}}
	}
	if addr == "" {
		return nil
	}
	return http.Header{"X-Forwarded-For": {addr}}
}

// Regist registers an account and requires success.
func (h *Env) Regist(appid int64, id, pwd string, role int) {
	h.T.Helper()
	h.Call(appid, "", "account", "regist", M{"id": id, "pwd": pwd, "role": role}).Want(h.T, 0)
}

// LoginData is login's data.
type LoginData struct {
	UserSig string `json:"userSig"`
	Token   string `json:"token"`
	Role    int    `json:"role"`
}

// Login logs in and requires success.
func (h *Env) Login(appid int64, id, pwd string) LoginData {
	h.T.Helper()
	var d LoginData
	h.Call(appid, "", "account", "login", M{"id": id, "pwd": pwd}).Want(h.T, 0).Decode(h.T, &d)
	return d
}

// User registers and logs in, returning the token.
func (h *Env) User(appid int64, id string, role int) string {
	h.T.Helper()
	h.Regist(appid, id, "pw-"+id, role)
	return h.Login(appid, id, "pw-"+id).Token
}

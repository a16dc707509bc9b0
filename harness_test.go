package main

// Test harness shared by the package's tests (and by other helpers' tests):
// the real handler stack over real HTTP on a real SQLite file, with a clock
// the test controls and fakes of Tencent's IM and replay-index services.
//
//	h := NewHarness(t, nil)                // two apps: AppA, AppB
//	h.Regist(AppA, "t1", "pw", 1)           // asserts errorCode 0
//	tok := h.Login(AppA, "t1", "pw").Token
//	a := h.Call(AppA, tok, "live", "create", M{"title": "x"})
//	a.Want(t, 0)
//	h.Advance(10 * time.Minute)            // service.Now moves, nothing sleeps

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sxb-edu/sig"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// The SDKAppIDs the harness configures.
const (
	AppA = 1400000001
	AppB = 1400000002
	KeyA = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	KeyB = "0fd9a0a7e0bd1a56b0b2a4c9e47e5e1d2a50cd1c0e9d5f3f6a7e9bf23a3c1d44"
)

// M is a JSON object to send.
type M = map[string]any

// Harness is one running server: service, store and HTTP front.
type Harness struct {
	T      testing.TB
	Cfg    *svc.Config
	Svc    *svc.Service
	Store  *store.Store
	Server *httptest.Server
	DBPath string
	Log    *bytes.Buffer // the service's log (JSON lines)

	clock  atomic.Int64 // unix nanoseconds
	logMu  sync.Mutex
	stopBG func()
}

// NewHarness starts the stack with apps AppA and AppB, bcrypt cost 4, IM
// disabled and a clock at the real time now. edit, when set, changes the
// config before the service is made (e.g. IMBaseURL, CallbackKey).
func NewHarness(t testing.TB, edit func(*svc.Config)) *Harness {
	t.Helper()
	cfg := &svc.Config{Apps: []svc.App{{SDKAppID: AppA, Key: KeyA}, {SDKAppID: AppB, Key: KeyB, Admin: "adminB"}}}
	if edit != nil {
		edit(cfg)
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &Harness{T: t, Cfg: cfg, DBPath: filepath.Join(t.TempDir(), "sxb.db"), Log: &bytes.Buffer{}}
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

func (h *Harness) start() {
	st, err := store.Open(h.DBPath)
	if err != nil {
		h.T.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(lockedWriter{&h.logMu, h.Log}, nil))
	im := &sig.IM{Base: h.Cfg.IMBaseURL, Client: &http.Client{Timeout: 3 * time.Second}}
	s := svc.New(h.Cfg, st, im, log)
	s.Now = h.Now
	s.SetStarted(h.Now())
	s.SetHashCost(4)
	h.Svc, h.Store = s, st
	h.Server = httptest.NewServer(NewHTTP(s, log).Handler)
}

// RunBackground starts the service's background loop (heartbeat flushes,
// reaper, replay-index scheduler) until the harness stops or restarts.
func (h *Harness) RunBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s := h.Svc
	go func() { s.Run(ctx); close(done) }()
	h.stopBG = func() { cancel(); <-done }
}

func (h *Harness) stop() {
	if h.stopBG != nil {
		h.stopBG()
		h.stopBG = nil
	}
	if h.Server != nil {
		h.Server.Close()
		h.Server = nil
	}
	if h.Store != nil {
		if err := h.Store.Close(); err != nil {
			h.T.Errorf("store close: %v", err)
		}
		h.Store = nil
	}
}

// Restart stops the server cleanly (the store flushes on Close) and starts
// a new one on the same database file. The new service's start time (the
// reaper's grace period) is the harness clock's now.
func (h *Harness) Restart() {
	h.T.Helper()
	h.stop()
	h.start()
}

// Now is the harness clock (the service's Now).
func (h *Harness) Now() time.Time { return time.Unix(0, h.clock.Load()) }

// Unix is the harness clock in seconds.
func (h *Harness) Unix() int64 { return h.Now().Unix() }

// Advance moves the clock forward.
func (h *Harness) Advance(d time.Duration) { h.clock.Add(int64(d)) }

// URL is the protocol's endpoint for svc/cmd on path /index.php.
func (h *Harness) URL(svcName, cmd string) string {
	return h.Server.URL + "/index.php?svc=" + url.QueryEscape(svcName) + "&cmd=" + url.QueryEscape(cmd)
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
func (h *Harness) Do(method, path, contentType string, body []byte) Answer {
	h.T.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, h.Server.URL+path, bytes.NewReader(body))
	if err != nil {
		h.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := h.Server.Client().Do(req)
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
func (h *Harness) PostRaw(svcName, cmd string, body []byte) Answer {
	h.T.Helper()
	return h.Do(http.MethodPost, strings.TrimPrefix(h.URL(svcName, cmd), h.Server.URL), "application/json", body)
}

// Post marshals body and posts it.
func (h *Harness) Post(svcName, cmd string, body any) Answer {
	h.T.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.T.Fatal(err)
	}
	return h.PostRaw(svcName, cmd, b)
}

// Call posts a command with appid, timeStamp (the clock) and token added
// to fields (token omitted when empty).
func (h *Harness) Call(appid int64, token, svcName, cmd string, fields M) Answer {
	h.T.Helper()
	b := M{"appid": appid, "timeStamp": h.Unix()}
	if token != "" {
		b["token"] = token
	}
	for k, v := range fields {
		b[k] = v
	}
	return h.Post(svcName, cmd, b)
}

// Regist registers an account and requires success.
func (h *Harness) Regist(appid int64, id, pwd string, role int) {
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
func (h *Harness) Login(appid int64, id, pwd string) LoginData {
	h.T.Helper()
	var d LoginData
	h.Call(appid, "", "account", "login", M{"id": id, "pwd": pwd}).Want(h.T, 0).Decode(h.T, &d)
	return d
}

// User registers and logs in, returning the token.
func (h *Harness) User(appid int64, id string, role int) string {
	h.T.Helper()
	h.Regist(appid, id, "pw-"+id, role)
	return h.Login(appid, id, "pw-"+id).Token
}

// FakeTencent is an httptest fake of the IM REST API and of the replay-index
// service (they share the wire format). It records every call; Reply, when
// set, answers a call instead of the default success. The default success
// for send_group_msg carries MsgSeq values 1, 2, 3... in call order.
type FakeTencent struct {
	*httptest.Server
	mu    sync.Mutex
	calls []TencentCall
	seq   int64
	// Reply, when set, writes the answer to a call.
	Reply func(w http.ResponseWriter, c TencentCall)
}

// TencentCall is one request the fake received.
type TencentCall struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Raw    []byte
	Body   map[string]any // nil when the body is not a JSON object
	Seq    int64          // the MsgSeq the default reply gave
}

// NewFakeTencent starts a fake service, closed at the end of the test.
func NewFakeTencent(t testing.TB) *FakeTencent {
	f := &FakeTencent{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *FakeTencent) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	c := TencentCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Raw: raw}
	_ = json.Unmarshal(raw, &c.Body)
	f.mu.Lock()
	if f.Reply == nil && strings.HasSuffix(c.Path, "/send_group_msg") {
		f.seq++
		c.Seq = f.seq
	}
	f.calls = append(f.calls, c)
	reply := f.Reply
	f.mu.Unlock()
	if reply != nil {
		reply(w, c)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if c.Seq != 0 {
		_ = json.NewEncoder(w).Encode(M{"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "MsgSeq": c.Seq, "MsgTime": time.Now().Unix()})
		return
	}
	_ = json.NewEncoder(w).Encode(M{"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
}

// SetReply replaces the reply function (nil: default success).
func (f *FakeTencent) SetReply(fn func(w http.ResponseWriter, c TencentCall)) {
	f.mu.Lock()
	f.Reply = fn
	f.mu.Unlock()
}

// Calls returns the calls received so far.
func (f *FakeTencent) Calls() []TencentCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]TencentCall(nil), f.calls...)
}

// Last returns the newest call (failing when there is none).
func (f *FakeTencent) Last(t testing.TB) TencentCall {
	t.Helper()
	c := f.Calls()
	if len(c) == 0 {
		t.Fatal("fake service received no call")
	}
	return c[len(c)-1]
}

// GroupData decodes the custom Data JSON of a send_group_msg body.
func (c TencentCall) GroupData(t testing.TB) map[string]any {
	t.Helper()
	body, ok := c.Body["MsgBody"].([]any)
	if !ok || len(body) != 1 {
		t.Fatalf("MsgBody: %s", c.Raw)
	}
	el, _ := body[0].(map[string]any)
	if el["MsgType"] != "TIMCustomElem" {
		t.Fatalf("MsgType: %s", c.Raw)
	}
	content, _ := el["MsgContent"].(map[string]any)
	data, ok := content["Data"].(string)
	if !ok {
		t.Fatalf("MsgContent.Data is not a string: %s", c.Raw)
	}
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("Data %q: %v", data, err)
	}
	return out
}

// CheckSigned fails unless the call carries the IM REST query of PROTOCOL
// §7 for app (sdkappid, identifier, a userSig valid for the admin, random,
// contenttype=json) on path /v4/service/command.
func (c TencentCall) CheckSigned(t testing.TB, sdkappid int64, key, admin, service, command string) {
	t.Helper()
	if c.Method != http.MethodPost {
		t.Errorf("method %s, want POST", c.Method)
	}
	if want := "/v4/" + service + "/" + command; c.Path != want {
		t.Errorf("path %s, want %s", c.Path, want)
	}
	q := c.Query
	if q.Get("sdkappid") != strconv.FormatInt(sdkappid, 10) || q.Get("identifier") != admin || q.Get("contenttype") != "json" {
		t.Errorf("query %v", q)
	}
	if r := q.Get("random"); r == "" || strings.Trim(r, "0123456789") != "" || len(r) > 10 {
		t.Errorf("random %q is not a uint32", r)
	}
	if err := sig.VerifyUserSig(sdkappid, key, admin, q.Get("usersig"), time.Now()); err != nil {
		t.Errorf("usersig does not verify for %s: %v", admin, err)
	}
}

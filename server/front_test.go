package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"sxb-edu/dispatch"
	"sxb-edu/goclass"
	"sxb-edu/svc"
)

// panicky panics whenever the server calls out (ZEGO's API here).
type panicky struct{}

func (panicky) RoundTrip(*http.Request) (*http.Response, error) { panic("upstream exploded") }

// sign32 is an app_sign of 32 hex digits.
var sign32 = strings.TrimSuffix(strings.Repeat("0x01,", 32), ",")

func boom(http.ResponseWriter, *http.Request) { panic("front exploded") }

// Every front is wrapped by the same recovery, access log and metrics: a
// request that panics gets the front's own failure answer, the panic and
// its stack go to the log, the failure is counted under the front, and
// the server goes on serving.
func TestEveryFrontRecoversFromPanics(t *testing.T) {
	dispatch.Routes["zz_test"] = map[string]dispatch.Route{"boom": {Kind: dispatch.Simple,
		Handler: func(*svc.Service, context.Context, *svc.Req) (any, error) { panic("sxb exploded") }}}
	defer delete(dispatch.Routes, "zz_test")
	var logs strings.Builder
	cfg := &Config{GoClass: &goclass.Config{Endpoint: "http://zego.invalid", HeartbeatInterval: 30, DestroyBuffer: 60,
		Small: goclass.Class{AppID: 1, AppSecret: strings.Repeat("s", 32), AppSign: sign32, MaxPeople: 4, MaxJoinLive: 1},
		Large: goclass.Class{AppID: 2, AppSecret: strings.Repeat("l", 32), AppSign: sign32, MaxPeople: 4, MaxJoinLive: 1}}}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, Options{DB: filepath.Join(t.TempDir(), "f.db"), KeepMaxProcs: true,
		Log: slog.New(slog.NewJSONHandler(&syncWriter{w: &logs}, nil)), ZegoClient: &http.Client{Transport: panicky{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rt := s.HTTP.Handler.(*router)
	// The console, health and metrics fronts have no handler that can be
	// made to panic from outside: their handlers are swapped, their
	// failure answers are their own.
	rt.console.h = http.HandlerFunc(boom)
	rt.health.h = http.HandlerFunc(boom)
	rt.metrics.h = http.HandlerFunc(boom)
	ts := httptest.NewServer(s.HTTP.Handler)
	defer ts.Close()

	for _, c := range []struct {
		front, method, path, body string
		status                    int
		check                     func(body string) bool
	}{
		{"sxb", "POST", "/index.php?svc=zz_test&cmd=boom", "{}", 200, func(b string) bool {
			return b == `{"errorCode":90000,"errorInfo":"Server internal error"}`
		}},
		{"goclass", "POST", "/edu_room/login_room", `{"room_id":"r","uid":1,"nick_name":"T","role":1}`, 500, func(b string) bool {
			var a struct{ Ret struct{ Code int } }
			return json.Unmarshal([]byte(b), &a) == nil && a.Ret.Code == goclass.CodeSystem
		}},
		{"console", "GET", "/admin/", "", 500, func(b string) bool { return strings.Contains(b, "console failed") }},
		{"health", "GET", "/healthz", "", 500, func(b string) bool { return b == `{"status":"internal error"}` }},
		{"metrics", "GET", "/metrics", "", 500, func(b string) bool { return strings.Contains(b, "internal error") }},
	} {
		before := testutil.ToFloat64(s.Metrics.failures.WithLabelValues(c.front))
		for range 2 { // and again: the server still serves
			req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", c.front, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !c.check(string(b)) || strings.Contains(string(b), "exploded") {
				t.Fatalf("%s: a panic answered HTTP %d %s", c.front, resp.StatusCode, b)
			}
		}
		if got := testutil.ToFloat64(s.Metrics.failures.WithLabelValues(c.front)) - before; got != 2 {
			t.Errorf("%s: %v failures counted, want 2", c.front, got)
		}
	}
	log := logs.String()
	for _, want := range []string{"sxb exploded", "upstream exploded", "front exploded", "front_test.go", `"front":"goclass"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

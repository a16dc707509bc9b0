package dispatch

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"sxb-edu/svc"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// A handler that panics answers 90000 without the panic or a stack; the
// stack goes to the log, and the server keeps serving.
func TestPanicAnswers90000(t *testing.T) {
	Routes["zz_test"] = map[string]Route{"boom": {Kind: Simple, Handler: func(*svc.Service, context.Context, *svc.Req) (any, error) {
		var m map[string]int
		m["x"] = 1 // a nil-map write: a runtime panic
		return nil, nil
	}}}
	defer delete(Routes, "zz_test")
	var logs syncBuf
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	s := svc.New(&svc.Config{}, svc.Deps{Log: log})
	e := echo.New()
	var results []Result
	(&Server{Svc: s, Log: log, Metrics: NewMetrics(s), Done: func(r Result) { results = append(results, r) }}).Register(e)
	ts := httptest.NewServer(e)
	defer ts.Close()
	for i := 0; i < 2; i++ {
		resp, err := http.Post(ts.URL+"/index.php?svc=zz_test&cmd=boom", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != `{"errorCode":90000,"errorInfo":"Server internal error"}` {
			t.Fatalf("panic answered HTTP %d %s", resp.StatusCode, body)
		}
	}
	if len(results) != 2 || results[0].ErrorCode != svc.CodeServer {
		t.Fatalf("results %+v", results)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if !strings.Contains(logs.b.String(), "assignment to entry in nil map") || !strings.Contains(logs.b.String(), "panic_test.go") {
		t.Fatalf("the log lacks the panic and its stack:\n%s", logs.b.String())
	}
}

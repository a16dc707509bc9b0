package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"sxb-edu/dispatch"
	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

const benchApp = 1400000000

var decodeBodies = map[string]string{
	"heartbeat": `{"appid":1400000000,"timeStamp":1700000000,"token":"0123456789abcdef0123456789abcdef","roomnum":10001}`,
	"roomlist":  `{"appid":1400000000,"timeStamp":1700000000,"token":"0123456789abcdef0123456789abcdef","index":0,"size":20,"state":1}`,
	"reportbind": `{"appid":1400000000,"timeStamp":1700000000,"token":"0123456789abcdef0123456789abcdef","roomnum":10001,"operate":0,` +
		`"bind_file":{"type":0,"file_name":"课件 第一章.pptx","url":"https://example.com/a/b/c.pptx?x=1&y=\u00e9"}}`,
}

// BenchmarkDecode is the request decoding every command goes through.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"heartbeat", "roomlist", "reportbind"} {
		raw := []byte(decodeBodies[name])
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := dispatch.Decode(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// stack is the server's handler stack as main builds it (server.New),
// driven without a network.
type stack struct {
	h   http.Handler
	svc *svc.Service
}

func newStack(b *testing.B) *stack {
	b.Helper()
	h := tests.NewWith(b, tests.Options{LogTo: io.Discard, Edit: func(cfg *server.Config) {
		cfg.Apps = []svc.App{{SDKAppID: benchApp, Key: "bench-key", Admin: "admin"}}
	}})
	return &stack{h: h.App.HTTP.Handler, svc: h.Svc}
}

// do answers one request and returns the envelope.
func (k *stack) do(b testing.TB, svcName, cmd, body string) (code int, data json.RawMessage) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/index.php?svc="+svcName+"&cmd="+cmd, bytes.NewReader([]byte(body)))
	k.h.ServeHTTP(w, r)
	var env struct {
		ErrorCode int             `json:"errorCode"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		b.Fatalf("%s/%s: %v: %s", svcName, cmd, err, w.Body.String())
	}
	return env.ErrorCode, env.Data
}

func (k *stack) must(b testing.TB, svcName, cmd, body string) json.RawMessage {
	code, data := k.do(b, svcName, cmd, body)
	if code != 0 {
		b.Fatalf("%s/%s: errorCode %d", svcName, cmd, code)
	}
	return data
}

func req(token string, fields string) string {
	s := fmt.Sprintf(`{"appid":%d,"timeStamp":1700000000`, benchApp)
	if token != "" {
		s += `,"token":"` + token + `"`
	}
	if fields != "" {
		s += "," + fields
	}
	return s + "}"
}

// login registers and logs in a user and returns its token.
func (k *stack) login(b testing.TB, id string, role int) string {
	k.must(b, "account", "regist", req("", fmt.Sprintf(`"id":%q,"pwd":"pw","role":%d`, id, role)))
	var d struct{ Token string }
	json.Unmarshal(k.must(b, "account", "login", req("", fmt.Sprintf(`"id":%q,"pwd":"pw"`, id))), &d)
	return d.Token
}

// openRoom creates and starts a room of the teacher holding token.
func (k *stack) openRoom(b testing.TB, token string) int64 {
	var d struct{ RoomNum int64 }
	json.Unmarshal(k.must(b, "live", "create", req(token, `"title":"bench"`)), &d)
	k.must(b, "live", "startcourse", req(token, fmt.Sprintf(`"roomnum":%d`, d.RoomNum)))
	return d.RoomNum
}

// serveParallel sends body to svc/cmd from every benchmark goroutine.
func (k *stack) serveParallel(b *testing.B, svcName, cmd string, bodies []string) {
	url := "/index.php?svc=" + svcName + "&cmd=" + cmd
	b.ReportAllocs()
	b.ResetTimer()
	var next int64
	var mu = make(chan struct{}, 1)
	b.RunParallel(func(pb *testing.PB) {
		mu <- struct{}{}
		body := []byte(bodies[int(next)%len(bodies)])
		next++
		<-mu
		for pb.Next() {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			k.h.ServeHTTP(w, r)
			if !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"errorCode":0,`)) {
				b.Fatalf("%s", w.Body.String())
			}
		}
	})
}

// BenchmarkHeartbeat is the hottest command over the whole handler stack:
// students of a living room, each with its own token.
func BenchmarkHeartbeat(b *testing.B) {
	k := newStack(b)
	room := k.openRoom(b, k.login(b, "teacher", 1))
	var bodies []string
	for i := 0; i < 16; i++ {
		tok := k.login(b, fmt.Sprintf("student%d", i), 0)
		k.must(b, "live", "reportmemid", req(tok, fmt.Sprintf(`"roomnum":%d,"operate":0`, room)))
		bodies = append(bodies, req(tok, fmt.Sprintf(`"roomnum":%d`, room)))
	}
	k.serveParallel(b, "live", "heartbeat", bodies)
	b.StopTimer()
	if err := k.svc.Store.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRoomList is the first page (20) of 1,000 living rooms.
func BenchmarkRoomList(b *testing.B) {
	k := newStack(b)
	var toks []string
	for t := 0; t < 10; t++ {
		toks = append(toks, k.login(b, fmt.Sprintf("teacher%d", t), 1))
	}
	for i := 0; i < 1000; i++ {
		k.openRoom(b, toks[i%len(toks)])
	}
	var bodies []string
	for _, tok := range toks {
		bodies = append(bodies, req(tok, `"index":0,"size":20`))
	}
	k.serveParallel(b, "live", "roomlist", bodies)
}

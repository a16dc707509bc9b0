package server

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// wholeCases are requests parseWhole must read itself (fast) or leave to
// http.ReadRequest.
var wholeCases = []struct {
	name, req string
	fast      bool
}{
	{"classroom", "POST /index.php?svc=live&cmd=heartbeat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"appid\":123}", true},
	{"no headers 1.0", "GET / HTTP/1.0\r\n\r\n", true},
	{"1.0 keep-alive", "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
	{"1.1 close", "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true},
	{"lower-case names", "POST /x HTTP/1.1\r\nhost: a.b\r\ncontent-length: 2\r\nx-real-ip: 1.2.3.4\r\nx-odd-NAME-2: v\r\n\r\nhi", true},
	{"repeated field", "GET /x HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\nX-A: 1\r\nX-A: 2\r\nX-A: 3\r\n\r\n", true},
	{"spaces around values", "GET /x HTTP/1.1\r\nHost:h\r\nX-A:   v w \t\r\nX-Empty:\r\nX-Blank:   \r\n\r\n", true},
	{"path characters", "GET /a/b;c=d,e+f:g@h$i&j~k_l.m-n//o HTTP/1.1\r\nHost: h\r\n\r\n", true},
	{"query characters", "GET /a?x=%20y&z=[1]&w=\"q\"#frag?again HTTP/1.1\r\nHost: h\r\n\r\n", true},
	{"zero length", "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", true},
	{"body with pipelined next", "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n", true},
	{"GET with a body", "GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nz", true},
	{"OPTIONS", "OPTIONS /index.php HTTP/1.1\r\nHost: h\r\nOrigin: http://o\r\nAccess-Control-Request-Method: POST\r\n\r\n", true},
	{"no host 1.1", "GET / HTTP/1.1\r\n\r\n", true},
	{"expect", "POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", true},
	{"many fields", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-Many: 1\r\nX-Other: 2\r\n", 12) + "\r\n", true},
	{"long unknown name", "GET / HTTP/1.1\r\nHost: h\r\nx-a-very-long-header-name-that-is-longer-than-the-buffer-is: 1\r\n\r\n", true},

	{"header not whole", "GET / HTTP/1.1\r\nHost: h\r\n", false},
	{"bare LF", "GET / HTTP/1.1\nHost: h\n\n", false},
	{"LF inside", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", false},
	{"CR inside", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", false},
	{"HTTP/2.0", "PRI * HTTP/2.0\r\n\r\n", false},
	{"HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", false},
	{"lower-case method", "get / HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"token method", "M-SEARCH / HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"absolute target", "GET http://h/a HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"escaped path", "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"path to escape", "GET /a!b HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"empty query", "GET /a? HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"extra space", "GET /a  HTTP/1.1\r\nHost: h\r\n\r\n", false},
	{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false},
	{"two lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", false},
	{"chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false},
	{"trailer", "POST / HTTP/1.1\r\nHost: a\r\nTrailer: X\r\n\r\n", false},
	{"pragma", "GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n\r\n", false},
	{"signed length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", false},
	{"empty length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", false},
	{"huge length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999999999999999\r\n\r\n", false},
	{"continuation", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", false},
	{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", false},
	{"underscore name", "GET / HTTP/1.1\r\nHost: a\r\nX_Y: 1\r\n\r\n", false},
	{"no colon", "GET / HTTP/1.1\r\nHost: a\r\nJunk\r\n\r\n", false},
	{"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", false},
	{"control in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", false},
	{"UTF-8 in value", "GET / HTTP/1.1\r\nHost: a\r\nX: 名\r\n\r\n", false},
}

// TestParseWholeAsReadRequest: what parseWhole reads, it reads as
// http.ReadRequest does, to the field, and it reads the plain requests;
// one connection's storage carries every case in turn.
func TestParseWholeAsReadRequest(t *testing.T) {
	kept := new(wholeReq)
	for _, c := range wholeCases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkWhole(t, new(wholeReq), []byte(c.req)); got != c.fast {
				t.Errorf("parseWhole took it: %v, want %v", got, c.fast)
			}
			checkWhole(t, kept, []byte(c.req))
		})
	}
}

func FuzzParseWhole(f *testing.F) {
	for i, c := range wholeCases {
		f.Add([]byte(c.req), []byte(wholeCases[(i+1)%len(wholeCases)].req))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		// One connection's storage for two requests: nothing of the
		// first shows in the second.
		w := new(wholeReq)
		checkWhole(t, w, a)
		checkWhole(t, w, b)
	})
}

// checkWhole compares parseWhole with http.ReadRequest on b and reports
// whether parseWhole read it.
func checkWhole(t *testing.T, w *wholeReq, b []byte) bool {
	t.Helper()
	got, n, ok := w.parseWhole(b)
	if !ok {
		return false
	}
	br := bufio.NewReader(bytes.NewReader(b))
	want, err := http.ReadRequest(br)
	if err != nil {
		t.Fatalf("parseWhole read %q, ReadRequest refused it: %v", b, err)
	}
	if used := len(b) - br.Buffered(); n != used {
		t.Errorf("header length %d, ReadRequest's %d", n, used)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Method", got.Method, want.Method}, {"RequestURI", got.RequestURI, want.RequestURI},
		{"Proto", got.Proto, want.Proto}, {"ProtoMajor", got.ProtoMajor, want.ProtoMajor},
		{"ProtoMinor", got.ProtoMinor, want.ProtoMinor}, {"URL", *got.URL, *want.URL},
		{"Header", got.Header, want.Header}, {"Host", got.Host, want.Host},
		{"Close", got.Close, want.Close}, {"ContentLength", got.ContentLength, want.ContentLength},
		{"TransferEncoding", got.TransferEncoding, want.TransferEncoding},
		{"Trailer", got.Trailer, want.Trailer},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %#v, ReadRequest's %#v", f.name, f.got, f.want)
		}
	}
	if got.ContentLength == 0 && got.Body != http.NoBody {
		t.Errorf("no body: Body %#v, want http.NoBody", got.Body)
	}
	// The body parseWhole leaves to its caller is what ReadRequest reads.
	wantBody, _ := io.ReadAll(want.Body)
	if rest := b[n:]; int64(len(rest)) >= got.ContentLength && !bytes.Equal(rest[:got.ContentLength], wantBody) {
		t.Errorf("body %q, ReadRequest's %q", rest[:got.ContentLength], wantBody)
	}
	return true
}

// TestParseWholeAllocations: the point of it.
func TestParseWholeAllocations(t *testing.T) {
	b := []byte(wholeCases[0].req)
	w := new(wholeReq)
	fast := testing.AllocsPerRun(100, func() { w.parseWhole(b) })
	std := testing.AllocsPerRun(100, func() { http.ReadRequest(bufio.NewReader(bytes.NewReader(b))) })
	t.Logf("allocations: parseWhole %.0f, ReadRequest %.0f", fast, std)
	if fast > 1 {
		t.Errorf("parseWhole allocates %.0f times, ReadRequest %.0f (with its reader)", fast, std)
	}
	if !strings.HasPrefix(wholeCases[0].name, "classroom") {
		t.Fatal("the first case is the classroom's request")
	}
}

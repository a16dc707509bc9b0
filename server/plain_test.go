package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// plainTestHandler answers by path, so that one table can walk the
// framing rules.
func plainTestHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/small":
		io.WriteString(w, `{"errorCode":0,"errorInfo":""}`)
	case "/echo":
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	case "/big": // past the held-back buffer, no length: chunked on HTTP/1.1
		w.Write([]byte(strings.Repeat("x", 10000)))
	case "/declared":
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	case "/short": // announces more than it writes
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "hello")
	case "/nocontent":
		w.WriteHeader(http.StatusNoContent)
	case "/status":
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "<html>tea</html>")
	case "/close":
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	case "/flush":
		io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		io.WriteString(w, "second")
	case "/panic":
		panic("boom")
	case "/unread": // leaves the body
		io.WriteString(w, "ok")
	case "/host":
		io.WriteString(w, r.Host+" "+r.RemoteAddr[:strings.LastIndexByte(r.RemoteAddr, ':')])
	default:
		http.NotFound(w, r)
	}
}

// servePlain runs a plain server for cfg on a loopback port and returns
// it with a connection to it (closed with the test).
func servePlain(t *testing.T, cfg *http.Server) (*plainServer, net.Conn) {
	t.Helper()
	if cfg.ErrorLog == nil {
		cfg.ErrorLog = discardLogger()
	}
	s := newPlainServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

// serveHeld runs a plain server whose handler waits until release, with
// a request running in it on the connection returned.
func serveHeld(t *testing.T) (s *plainServer, c net.Conn, release func()) {
	t.Helper()
	started, held := make(chan struct{}), make(chan struct{})
	s, c = servePlain(t, &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-held
	})})
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	return s, c, func() { close(held) }
}

// exchange sends raw on a new connection and reads up to n answers; it
// reports whether the server kept the connection open after them.
func exchange(t *testing.T, addr, raw string, n int, method string) (answers []string, open bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for range n {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			answers = append(answers, "error: "+err.Error())
			return answers, false
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			answers = append(answers, "body error: "+err.Error())
			return answers, false
		}
		var sb strings.Builder
		sb.WriteString(resp.Status)
		for _, k := range []string{"Content-Length", "Content-Type", "Connection"} {
			sb.WriteString(" | " + k + "=" + resp.Header.Get(k))
		}
		sb.WriteString(" | TE=" + strings.Join(resp.TransferEncoding, ",") + " | close=" + strconv.FormatBool(resp.Close))
		sb.WriteString(" | date=" + map[bool]string{true: "yes", false: "no"}[resp.Header.Get("Date") != ""])
		sb.WriteString(" | " + string(b))
		answers = append(answers, sb.String())
	}
	// Open: a read waits (deadline) instead of seeing the close.
	c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	_, err = br.ReadByte()
	var ne net.Error
	return answers, errors.As(err, &ne) && ne.Timeout()
}

// The plain server answers every case byte for byte the way net/http's
// server does (but for the Date's value): framing, sniffed types,
// keep-alive and close, 100-continue, refusals.
func TestPlainServerAnswersAsNetHTTP(t *testing.T) {
	cfg := &http.Server{Handler: http.HandlerFunc(plainTestHandler), ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second, IdleTimeout: 5 * time.Second,
		MaxHeaderBytes: 4 << 10, ErrorLog: discardLogger()}
	std := &http.Server{Handler: cfg.Handler, ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: cfg.MaxHeaderBytes, ErrorLog: cfg.ErrorLog}
	ours := newPlainServer(cfg)
	lnOurs, _ := net.Listen("tcp", "127.0.0.1:0")
	lnStd, _ := net.Listen("tcp", "127.0.0.1:0")
	go ours.Serve(lnOurs)
	go std.Serve(lnStd)
	defer ours.Close()
	defer std.Close()

	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n" }
	post := func(path, body string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	bigBody := strings.Repeat("b", 300<<10)
	cases := []struct {
		name, raw string
		n         int
		method    string
	}{
		{"small answer: length and sniffed type", get("/small"), 1, "GET"},
		{"post echoed", post("/echo", `{"token":"t","roomnum":1}`), 1, "POST"},
		{"two in a row on one connection", get("/small") + post("/echo", `{"a":1}`), 2, "GET"},
		{"long answer chunked", get("/big"), 1, "GET"},
		{"declared length", get("/declared"), 1, "GET"},
		{"short of its declared length: closed", get("/short") + get("/small"), 1, "GET"},
		{"HEAD", "HEAD /small HTTP/1.1\r\nHost: x\r\n\r\n", 1, "HEAD"},
		{"HEAD of a long answer", "HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n", 1, "HEAD"},
		{"204", get("/nocontent"), 1, "GET"},
		{"status and html sniffed", get("/status"), 1, "GET"},
		{"handler closes", get("/close"), 1, "GET"},
		{"client closes", "GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1, "GET"},
		{"HTTP/1.0", "GET /small HTTP/1.0\r\n\r\n", 1, "GET"},
		{"HTTP/1.0 keep-alive", "GET /small HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1, "GET"},
		{"HTTP/1.0 long answer", "GET /big HTTP/1.0\r\n\r\n", 1, "GET"},
		{"flushed", get("/flush"), 1, "GET"},
		{"100-continue", "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n{\"a\":1}", 2, "POST"},
		{"unknown expectation", "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 2\r\n\r\n{}", 1, "POST"},
		{"no Host", "GET /small HTTP/1.1\r\n\r\n", 1, "GET"},
		{"bad Host", "GET /small HTTP/1.1\r\nHost: a b\r\n\r\n", 1, "GET"},
		{"absolute URL", "GET http://example.com/host HTTP/1.1\r\nHost: x\r\n\r\n", 1, "GET"},
		{"header too large", "GET /small HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 20<<10) + "\r\n\r\n", 1, "GET"},
		{"malformed request line", "GARBAGE\r\n\r\n", 1, "GET"},
		{"HTTP/2 line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 1, "GET"},
		{"bad header name", "GET /small HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 1, "GET"},
		{"chunked request", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 1, "POST"},
		{"small unread body kept", post("/unread", `{"a":1}`) + get("/small"), 2, "POST"},
		{"large unread body: closed", post("/unread", bigBody), 1, "POST"},
		{"unknown path", get("/nowhere"), 1, "GET"},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 1, "OPTIONS"},
		{"panic: no answer", get("/panic"), 1, "GET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, wantOpen := exchange(t, lnStd.Addr().String(), tc.raw, tc.n, tc.method)
			got, gotOpen := exchange(t, lnOurs.Addr().String(), tc.raw, tc.n, tc.method)
			if strings.Join(got, "\n") != strings.Join(want, "\n") || gotOpen != wantOpen {
				t.Fatalf("answers differ\n net/http: %q open=%v\n ours:     %q open=%v", want, wantOpen, got, gotOpen)
			}
		})
	}
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// Shutdown closes idle connections at once and lets a request in flight
// finish with its answer.
func TestPlainServerShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	cfg := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		io.WriteString(w, "done")
	}), ErrorLog: discardLogger()}
	s := newPlainServer(cfg)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
	idleR := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(idleR, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first answer: %v", err)
	} else {
		io.ReadAll(resp.Body)
	}
	busy, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	// The idle connection is closed; new ones are refused.
	idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := idleR.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection not closed by Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Fatalf("Serve returned %v", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	busy.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("the request in flight lost its answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "done" || !resp.Close {
		t.Fatalf("answer in flight: %q, closing %v", b, resp.Close)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// A deadline that passes with a request still running is reported.
	s2, _, release2 := serveHeld(t)
	defer release2()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s2.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown past its deadline: %v", err)
	}
	s2.Close()
}

// A kept-alive connection carrying requests keeps its idle deadline
// (moved only past a hundredth of the timeout) and is still closed once
// idle for the timeout, not sooner.
func TestPlainServerIdleTimeout(t *testing.T) {
	const idle = 400 * time.Millisecond
	s, c := servePlain(t, &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), IdleTimeout: idle, ReadHeaderTimeout: time.Second, WriteTimeout: time.Second})
	defer s.Close()
	r := bufio.NewReader(c)
	var last time.Time
	for i := range 6 { // 6 × 150 ms: longer than the timeout in all
		io.WriteString(c, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d on a busy connection: %v", i, err)
		}
		io.ReadAll(resp.Body)
		last = time.Now()
		time.Sleep(150 * time.Millisecond)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection not closed: %v", err)
	}
	if quiet := time.Since(last); quiet < idle*99/100 || quiet > idle+time.Second {
		t.Fatalf("closed after %v idle, the timeout is %v", quiet, idle)
	}
}

// The header is written as http.Header.Write writes it.
func TestWriteHeaderAsNetHTTP(t *testing.T) {
	for _, h := range []http.Header{
		{},
		{"Content-Type": {"application/json"}, "Date": {"x"}, "Access-Control-Allow-Origin": {"*"}},
		{"X-B": {"2", "1"}, "X-A": {" padded\t"}, "X-C": {"a\r\nInjected: yes", "b\nc\rd"}},
		{"Bad Name": {"v"}, "Bad\nName": {"v"}, "": {"v"}, "Ok": {""}},
		{"K0": {"0"}, "K1": {"1"}, "K2": {"2"}, "K3": {"3"}, "K4": {"4"}, "K5": {"5"}, "K6": {"6"}, "K7": {"7"},
			"K8": {"8"}, "K9": {"9"}, "KA": {"a"}, "KB": {"b"}, "KC": {"c"}, "KD": {"d"}, "KE": {"e"}, "KF": {"f"}, "KG": {"g"}},
	} {
		var want, got strings.Builder
		h.Write(&want)
		bw := bufio.NewWriter(&got)
		writeHeader(bw, h)
		bw.Flush()
		if got.String() != want.String() {
			t.Errorf("header %v:\n got %q\nwant %q", h, got.String(), want.String())
		}
	}
}

// Requests in every shape a socket delivers them: whole, their header or
// body split across writes, several in one write, and one sent the moment
// the answer before it arrived; each is answered, in order, on one
// kept-alive connection.
func TestPlainServerRequestsInPieces(t *testing.T) {
	s, c := servePlain(t, &http.Server{Handler: http.HandlerFunc(plainTestHandler),
		ReadHeaderTimeout: 2 * time.Second, IdleTimeout: 5 * time.Second})
	defer s.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	echo := func(body string) string {
		return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	read := func(want string) {
		t.Helper()
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("answer %q: %v", want, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != want || resp.Close {
			t.Fatalf("answer %q, closing %v; want %q kept", b, resp.Close, want)
		}
	}
	send := func(pieces ...string) {
		t.Helper()
		for i, p := range pieces {
			if i > 0 {
				time.Sleep(30 * time.Millisecond)
			}
			if _, err := io.WriteString(c, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	req := echo(`{"a":1}`)
	cut := strings.Index(req, "\r\n\r\n")
	for _, tc := range []struct {
		name   string
		pieces []string
		want   []string
	}{
		{"whole", []string{req}, []string{`{"a":1}`}},
		{"header split", []string{req[:10], req[10:]}, []string{`{"a":1}`}},
		{"header split at its end", []string{req[:cut+2], req[cut+2:]}, []string{`{"a":1}`}},
		{"body later", []string{req[:cut+4], req[cut+4:]}, []string{`{"a":1}`}},
		{"body in halves", []string{req[:cut+6], req[cut+6:]}, []string{`{"a":1}`}},
		{"three in one write", []string{echo("1") + echo("22") + echo("333")}, []string{"1", "22", "333"}},
		{"one and a half", []string{echo("1") + req[:cut], req[cut:]}, []string{"1", `{"a":1}`}},
		{"byte by byte", strings.Split(echo("bb")[:12], ""), nil},
		{"rest of it", []string{echo("bb")[12:]}, []string{"bb"}},
		{"large body", []string{echo(strings.Repeat("z", 20000))}, []string{strings.Repeat("z", 20000)}},
	} {
		send(tc.pieces...)
		for _, w := range tc.want {
			read(w)
		}
	}
	// Back to back: each request leaves as its answer arrives.
	for i := range 300 {
		body := strconv.Itoa(i)
		send(echo(body))
		read(body)
	}
}

// Close ends a connection whose handler runs, without waiting for it.
func TestPlainServerCloseWithHandlerRunning(t *testing.T) {
	s, c, release := serveHeld(t)
	defer release()
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close waited for the running handler")
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection stayed open after Close")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection stayed open after Close")
	}
}

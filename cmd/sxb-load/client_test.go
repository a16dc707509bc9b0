package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The lean client spreads requests over several servers, as net/http's
// does (the several-servers benchmark once failed: "-raw needs a single
// -url").
func TestRawClientSeveralServers(t *testing.T) {
	t.Parallel()
	var hits [2]atomic.Int64
	var urls []string
	for i := range hits {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			fmt.Fprint(w, `{"errorCode":0,"errorInfo":""}`)
		}))
		defer s.Close()
		urls = append(urls, s.URL)
	}
	c := newClient(urls[0]+","+urls[1], 1, 4, 5*time.Second)
	if err := c.useRaw(4, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if code, _, err := c.call(context.Background(), "live", "heartbeat", []byte(`{}`), false); err != nil || code != 0 {
			t.Fatalf("call: %d %v", code, err)
		}
	}
	if hits[0].Load() != 5 || hits[1].Load() != 5 {
		t.Fatalf("requests per server: %d and %d", hits[0].Load(), hits[1].Load())
	}
}

// The lean client's exchanges over one kept connection: each answer is
// the one to its own request (echoed), whatever its framing, and a
// request larger than the socket takes at once still goes whole (the
// request written inside the answer's wait falls back to a blocking
// write). A closing answer costs the connection, not the next request.
func TestRawPoolExchanges(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		switch r.URL.Query().Get("as") {
		case "chunked":
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			w.Write(body[len(body)/2:])
		case "close":
			w.Header().Set("Connection", "close")
			w.Write(body)
		default:
			w.Write(body)
		}
	}))
	p := startCounted(t, s, &conns)
	var buf bytes.Buffer
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	for i, tc := range []struct {
		as    string
		body  []byte
		conns int64 // opened so far
	}{
		{"", []byte(`{"n":1}`), 1},
		{"chunked", []byte(`{"n":2,"pad":"` + strings.Repeat("x", 40<<10) + `"}`), 1},
		{"", big, 1},
		{"close", []byte(`{"n":4}`), 1},
		{"", []byte(`{"n":5}`), 2},
		{"", []byte(`{"n":6}`), 2},
	} {
		status, err := p.post(context.Background(), "/echo?as="+tc.as, tc.body, &buf)
		if err != nil || status != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, status, err)
		}
		if !bytes.Equal(buf.Bytes(), tc.body) {
			t.Fatalf("request %d: answer of %d bytes is not its request's %d", i, buf.Len(), len(tc.body))
		}
		if got := conns.Load(); got != tc.conns {
			t.Fatalf("request %d: %d connections opened, want %d", i, got, tc.conns)
		}
	}
}

// A connection the server closed while it rested (its idle timeout) is
// found closed before the next request and replaced, rather than waited
// on until the tool's timeout.
func TestRawPoolAfterIdleClose(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"errorCode":0}`)
	}))
	s.Config.IdleTimeout = 100 * time.Millisecond
	p := startCounted(t, s, &conns)
	var buf bytes.Buffer
	for i := range 2 {
		if i > 0 {
			time.Sleep(quietAfter + 200*time.Millisecond)
		}
		start := time.Now()
		status, err := p.post(context.Background(), "/", []byte(`{}`), &buf)
		if err != nil || status != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, status, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("request %d took %v", i, d)
		}
	}
	if got := conns.Load(); got != 2 {
		t.Fatalf("%d connections opened, want 2 (the closed one replaced)", got)
	}
}

// startCounted starts s, counting the connections it accepts in conns,
// and returns a one-connection pool for it.
func startCounted(t *testing.T, s *httptest.Server, conns *atomic.Int64) *rawPool {
	t.Helper()
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	p, err := newRawPool(s.URL, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

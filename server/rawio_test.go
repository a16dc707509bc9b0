//go:build linux && !race

package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// tcpPair is a connected pair over loopback: the server's side wrapped
// in rawIO, and the client's.
func tcpPair(t *testing.T) (net.Conn, *rawIO, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	r := newRawIO(&capConn{Conn: server, l: &capListener{}})
	if r == nil {
		t.Fatal("no raw access to a TCP connection")
	}
	return server, r, client
}

func TestRawIO(t *testing.T) {
	t.Run("a write larger than the socket's buffers arrives whole", func(t *testing.T) {
		_, r, client := tcpPair(t)
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MB: the writer waits in the poller
		got := make(chan [32]byte)
		go func() {
			h := sha256.New()
			io.CopyN(h, client, int64(len(big)))
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			got <- sum
		}()
		n, err := r.Write(big)
		if n != len(big) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if <-got != sha256.Sum256(big) {
			t.Fatal("the bytes read differ from those written")
		}
	})
	t.Run("a write to a client that never reads ends at the deadline", func(t *testing.T) {
		server, r, _ := tcpPair(t)
		server.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := r.Write(make([]byte, 64<<20))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) || n <= 0 || n >= 64<<20 {
			t.Fatalf("Write = %d, %v: want part written and a timeout", n, err)
		}
	})
	t.Run("reads wait for data, then end at the client's close", func(t *testing.T) {
		_, r, client := tcpPair(t)
		go func() {
			time.Sleep(50 * time.Millisecond) // the read waits in the poller first
			client.Write([]byte("hello"))
			client.Close()
		}()
		b, err := io.ReadAll(r)
		if string(b) != "hello" || err != nil {
			t.Fatalf("read %q, %v", b, err)
		}
		if n, err := r.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("after the close: %d, %v", n, err)
		}
	})
	t.Run("a read ends at its deadline", func(t *testing.T) {
		server, r, _ := tcpPair(t)
		server.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := r.Read(make([]byte, 8))
		if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read = %d, %v", n, err)
		}
	})
	t.Run("a reset connection is an error, not the end", func(t *testing.T) {
		_, r, client := tcpPair(t)
		client.(*net.TCPConn).SetLinger(0)
		client.Write([]byte("x"))
		client.Close() // RST
		time.Sleep(50 * time.Millisecond)
		var err error
		for range 3 {
			if _, err = r.Read(make([]byte, 8)); err != nil {
				break
			}
		}
		if err == nil || err == io.EOF {
			t.Fatalf("read after a reset: %v", err)
		}
		if _, err := r.Write([]byte("y")); err == nil {
			t.Fatal("write after a reset succeeded")
		}
	})
}

// A kept-alive connection's next request is awaited without a read that
// finds the socket empty: one such read for the first wait, not one per
// request.
func TestPlainServerWaitsWithoutEmptyReads(t *testing.T) {
	s, c := servePlain(t, &http.Server{Handler: http.HandlerFunc(plainTestHandler)})
	defer s.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	const requests = 50
	for i := range requests {
		io.WriteString(c, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.ReadAll(resp.Body)
		time.Sleep(2 * time.Millisecond) // the server waits for each
	}
	s.mu.Lock()
	var empty int64 = -1
	for pc := range s.conns {
		empty = pc.raw.empty.Load()
	}
	s.mu.Unlock()
	if empty < 0 || empty > 3 {
		t.Fatalf("%d reads found nothing over %d requests", empty, requests)
	}
}

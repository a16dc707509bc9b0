package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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

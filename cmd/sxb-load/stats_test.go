package main

import (
	"math"
	"testing"
	"time"
)

func TestBucketsRoundTrip(t *testing.T) {
	t.Parallel()
	prev := -1
	for us := int64(0); us < 1<<22; us += 1 + us/50 {
		i := bucketOf(us)
		if i < prev {
			t.Fatalf("bucketOf not monotonic at %d µs", us)
		}
		prev = i
		mid := bucketMid(i)
		if us < 2*subN && mid != us {
			t.Fatalf("%d µs: small values must be exact, got %d", us, mid)
		}
		if err := math.Abs(float64(mid-us)) / float64(max(us, 1)); err > 1.0/subN {
			t.Fatalf("%d µs lands in bucket %d with middle %d: %.2f%% off", us, i, mid, 100*err)
		}
	}
}

func TestQuantiles(t *testing.T) {
	t.Parallel()
	r := NewRecorder("x")
	// 1..10000 µs once each: pN is N % of 10 ms.
	for us := 1; us <= 10000; us++ {
		r.Add(time.Duration(us)*time.Microsecond, "")
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.50, 5 * time.Millisecond}, {0.95, 9500 * time.Microsecond}, {0.99, 9900 * time.Microsecond}} {
		got := r.Quantile(c.q)
		if d := math.Abs(float64(got-c.want)) / float64(c.want); d > 0.02 {
			t.Errorf("p%.0f = %v, want %v ±2%%", 100*c.q, got, c.want)
		}
	}
	s := r.Summary(2 * time.Second)
	if s.Count != 10000 || s.Errors != 0 || s.Rate != 5000 || s.MaxMs != 10 {
		t.Errorf("summary %+v", s)
	}
}

func TestErrorsCounted(t *testing.T) {
	t.Parallel()
	r := NewRecorder("x")
	r.Add(time.Millisecond, "")
	r.Add(time.Millisecond, "10009")
	r.Add(time.Millisecond, "10009")
	r.Add(time.Millisecond, "transport")
	s := r.Summary(time.Second)
	if s.Count != 4 || s.Errors != 3 || s.ErrKinds["10009"] != 2 || s.ErrKinds["transport"] != 1 {
		t.Errorf("summary %+v", s)
	}
	if NewRecorder("empty").Quantile(0.99) != 0 {
		t.Error("quantile of nothing must be 0")
	}
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{
		`{"errorCode":0,"errorInfo":""}`:                0,
		`{"errorCode":10009,"errorInfo":"x"}`:           10009,
		`{"errorInfo":"x","errorCode":10100}`:           10100,
		`{"errorCode":90000,"errorInfo":"","data":{}}`:  90000,
		` {"errorCode" : 10003 , "errorInfo":"spaced"}`: 10003,
	} {
		if got, ok := errorCode([]byte(in)); !ok || got != want {
			t.Errorf("%s: got %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{``, `{}`, `not json`, `{"code":0}`} {
		if _, ok := errorCode([]byte(in)); ok {
			t.Errorf("%q: taken for an envelope", in)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.1.2.3"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "https://127.0.0.1", "http://example.com", "ftp://127.0.0.1"} {
		if checkLoopback(u) == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// Several servers: each request goes to the next, so one user's requests
// land on all of them.
func TestClientRoundRobin(t *testing.T) {
	t.Parallel()
	c := newClient("http://127.0.0.1:1, http://127.0.0.1:2/", 1, 1, time.Second)
	seen := map[string]int{}
	for i := 0; i < 10; i++ {
		seen[c.url("live", "heartbeat")]++
	}
	if len(seen) != 2 || seen["http://127.0.0.1:1/index.php?svc=live&cmd=heartbeat"] != 5 {
		t.Fatalf("requests per server: %v", seen)
	}
	one := newClient("http://127.0.0.1:1", 1, 1, time.Second)
	if first, second := one.url("a", "b"), one.url("a", "b"); first != second {
		t.Fatal("one server: the URL changes")
	}
}

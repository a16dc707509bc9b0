package main

import (
	"fmt"
	"io"
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Latencies go into a log-linear histogram of microseconds: exact below
// 128 µs, then 64 buckets per power of two (at most 1.6 % off). It is
// lock-free and of fixed size, so recording costs the generator next to
// nothing and a long run cannot grow it.
const (
	subBits = 6
	subN    = 1 << subBits
	nBucket = 64 * subN
)

func bucketOf(us int64) int {
	if us < 0 {
		us = 0
	}
	v := uint64(us)
	if v < 2*subN {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	i := (shift+1)*subN + int(v>>uint(shift)) - subN
	if i >= nBucket {
		return nBucket - 1
	}
	return i
}

// bucketMid is the middle of the range of values bucket i holds.
func bucketMid(i int) int64 {
	if i < 2*subN {
		return int64(i)
	}
	shift := i/subN - 1
	lo := int64(i%subN+subN) << uint(shift)
	return lo + (int64(1)<<uint(shift))/2
}

// Recorder collects the outcomes of one kind of request.
type Recorder struct {
	Name  string
	n     atomic.Int64
	errs  atomic.Int64
	max   atomic.Int64
	hist  [nBucket]atomic.Uint64
	mu    sync.Mutex
	codes map[string]int64 // error kind -> count
}

// NewRecorder makes an empty recorder.
func NewRecorder(name string) *Recorder { return &Recorder{Name: name} }

// Add records one request that took d; errKind is "" on success, else
// the error code or transport failure it came to.
func (r *Recorder) Add(d time.Duration, errKind string) {
	us := d.Microseconds()
	r.n.Add(1)
	r.hist[bucketOf(us)].Add(1)
	for {
		m := r.max.Load()
		if us <= m || r.max.CompareAndSwap(m, us) {
			break
		}
	}
	if errKind != "" {
		r.errs.Add(1)
		r.mu.Lock()
		if r.codes == nil {
			r.codes = map[string]int64{}
		}
		r.codes[errKind]++
		r.mu.Unlock()
	}
}

// Count is the number of requests recorded.
func (r *Recorder) Count() int64 { return r.n.Load() }

// Errors is the number of failed requests.
func (r *Recorder) Errors() int64 { return r.errs.Load() }

// Quantile is the latency below which a share q of the requests fell.
func (r *Recorder) Quantile(q float64) time.Duration {
	n := r.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i := range r.hist {
		seen += int64(r.hist[i].Load())
		if seen >= rank {
			return time.Duration(bucketMid(i)) * time.Microsecond
		}
	}
	return time.Duration(r.max.Load()) * time.Microsecond
}

// Summary is a recorder's figures over an elapsed time.
type Summary struct {
	Name     string           `json:"name"`
	Count    int64            `json:"count"`
	Errors   int64            `json:"errors"`
	ErrKinds map[string]int64 `json:"error_kinds,omitempty"`
	Seconds  float64          `json:"seconds"`
	Rate     float64          `json:"per_second"`
	P50ms    float64          `json:"p50_ms"`
	P95ms    float64          `json:"p95_ms"`
	P99ms    float64          `json:"p99_ms"`
	MaxMs    float64          `json:"max_ms"`
	// Ceiling is Rate as a share of the bare handler's rate in the same
	// run (saturate mode only).
	Ceiling float64 `json:"share_of_ceiling,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Summary sums the recorder up over elapsed.
func (r *Recorder) Summary(elapsed time.Duration) Summary {
	s := Summary{Name: r.Name, Count: r.Count(), Errors: r.Errors(), Seconds: elapsed.Seconds(),
		P50ms: ms(r.Quantile(0.50)), P95ms: ms(r.Quantile(0.95)), P99ms: ms(r.Quantile(0.99)),
		MaxMs: float64(r.max.Load()) / 1000}
	if elapsed > 0 {
		s.Rate = float64(s.Count) / elapsed.Seconds()
	}
	r.mu.Lock()
	if len(r.codes) > 0 {
		s.ErrKinds = make(map[string]int64, len(r.codes))
		for k, v := range r.codes {
			s.ErrKinds[k] = v
		}
	}
	r.mu.Unlock()
	return s
}

// printTable writes summaries as an aligned text table.
func printTable(w io.Writer, rows []Summary) {
	fmt.Fprintf(w, "%-22s %9s %7s %10s %8s %8s %8s %8s %8s\n",
		"command", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "ceiling")
	for _, s := range rows {
		ceil := ""
		if s.Ceiling > 0 {
			ceil = fmt.Sprintf("%.1f%%", 100*s.Ceiling)
		}
		fmt.Fprintf(w, "%-22s %9d %7d %10.1f %8.2f %8.2f %8.2f %8.2f %8s\n",
			s.Name, s.Count, s.Errors, s.Rate, s.P50ms, s.P95ms, s.P99ms, s.MaxMs, ceil)
		if len(s.ErrKinds) > 0 {
			keys := make([]string, 0, len(s.ErrKinds))
			for k := range s.ErrKinds {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(w, "%-22s   error %s: %d\n", "", k, s.ErrKinds[k])
			}
		}
	}
}

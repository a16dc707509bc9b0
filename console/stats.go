package console

import (
	"math"
	"sort"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"sxb-edu/front"
)

// sampler keeps the last five minutes of the server's request metrics,
// read every sampleEvery from the Prometheus registry, so the overview
// shows rates and p99s without touching the request path.
type sampler struct {
	gather func() ([]*dto.MetricFamily, error)

	mu      sync.Mutex
	samples []sample // oldest first, at most keep
}

const (
	sampleEvery = 2 * time.Second
	keep        = 151 // five minutes and one
)

type sample struct {
	at      time.Time
	count   map[string]float64            // "svc/cmd" -> requests
	errors  float64                       // server faults in every front (90000 and kin)
	buckets map[string]map[float64]uint64 // "svc/cmd" -> upper bound -> cumulative count
}

func (s *sampler) take(now time.Time) {
	fams, err := s.gather()
	if err != nil {
		return
	}
	sm := sample{at: now, count: map[string]float64{}, buckets: map[string]map[float64]uint64{}}
	for _, f := range fams {
		switch f.GetName() {
		case front.MetricRequests:
			for _, m := range f.GetMetric() {
				l := labels(m)
				sm.count[l["svc"]+"/"+l["cmd"]] += m.GetCounter().GetValue()
			}
		case front.MetricFailures:
			for _, m := range f.GetMetric() {
				sm.errors += m.GetCounter().GetValue()
			}
		case front.MetricDuration:
			for _, m := range f.GetMetric() {
				l := labels(m)
				b := map[float64]uint64{}
				for _, bk := range m.GetHistogram().GetBucket() {
					b[bk.GetUpperBound()] = bk.GetCumulativeCount()
				}
				b[math.Inf(1)] = m.GetHistogram().GetSampleCount()
				sm.buckets[l["svc"]+"/"+l["cmd"]] = b
			}
		}
	}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	if len(s.samples) > keep {
		s.samples = s.samples[len(s.samples)-keep:]
	}
	s.mu.Unlock()
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// CmdStat is one command's recent traffic.
type CmdStat struct {
	Cmd  string  `json:"cmd"`
	Rate float64 `json:"rate"`   // requests per second, last 10 s
	P99  float64 `json:"p99_ms"` // last minute, from the histogram buckets
}

// Traffic is the overview's request figures.
type Traffic struct {
	Heartbeats float64   `json:"heartbeats_per_s"`
	Requests   float64   `json:"requests_per_s"`
	Errors5m   float64   `json:"errors_90000_5m"`
	Commands   []CmdStat `json:"commands"`
}

// at returns the newest sample at least d before the last, and the last.
func (s *sampler) window(d time.Duration) (old, last *sample) {
	if len(s.samples) < 2 {
		return nil, nil
	}
	last = &s.samples[len(s.samples)-1]
	old = &s.samples[0]
	for i := len(s.samples) - 2; i >= 0; i-- {
		if last.at.Sub(s.samples[i].at) >= d {
			old = &s.samples[i]
			break
		}
	}
	return old, last
}

func (s *sampler) traffic() Traffic {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t Traffic
	t.Commands = []CmdStat{}
	o10, last := s.window(10 * time.Second)
	if last == nil {
		return t
	}
	secs := last.at.Sub(o10.at).Seconds()
	if secs <= 0 {
		return t
	}
	o60, _ := s.window(time.Minute)
	o5m, _ := s.window(5 * time.Minute)
	t.Errors5m = last.errors - o5m.errors
	for cmd, n := range last.count {
		rate := (n - o10.count[cmd]) / secs
		t.Requests += rate
		if cmd == "live/heartbeat" {
			t.Heartbeats = rate
		}
		p99 := quantile(last.buckets[cmd], o60.buckets[cmd], 0.99)
		if rate > 0 || p99 > 0 {
			t.Commands = append(t.Commands, CmdStat{Cmd: cmd, Rate: round(rate), P99: round(p99 * 1000)})
		}
	}
	t.Requests, t.Heartbeats = round(t.Requests), round(t.Heartbeats)
	sort.Slice(t.Commands, func(i, j int) bool { return t.Commands[i].Rate > t.Commands[j].Rate })
	return t
}

// quantile estimates q of the requests between two histogram readings:
// the upper bound of the bucket holding it (seconds).
func quantile(now, before map[float64]uint64, q float64) float64 {
	if now == nil {
		return 0
	}
	bounds := make([]float64, 0, len(now))
	for b := range now {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	total := now[math.Inf(1)] - before[math.Inf(1)]
	if total == 0 {
		return 0
	}
	want := uint64(math.Ceil(q * float64(total)))
	for _, b := range bounds {
		if now[b]-before[b] >= want {
			if math.IsInf(b, 1) && len(bounds) > 1 {
				return bounds[len(bounds)-2] // "more than the last bound"
			}
			return b
		}
	}
	return 0
}

func round(f float64) float64 { return math.Round(f*10) / 10 }

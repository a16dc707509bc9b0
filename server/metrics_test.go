package server

import (
	"log/slog"
	"testing"
	"time"

	"sxb-edu/front"
)

func testMetrics() *Metrics {
	return NewMetrics(nil, slog.Default(), []Op{{"sxb", "live", "heartbeat"}}, []int{0, 10001, 90000})
}

// The hot path (a heartbeat answered) must not allocate: its series are
// resolved when the server starts.
func TestMetricsObserveDoesNotAllocate(t *testing.T) {
	m := testMetrics()
	r := &front.Record{Front: "sxb", Svc: "live", Cmd: "heartbeat", Duration: 300 * time.Microsecond}
	if n := testing.AllocsPerRun(1000, func() { m.Observe(r) }); n != 0 {
		t.Fatalf("Observe allocates %v times per heartbeat", n)
	}
	junk := &front.Record{Front: "sxb", Svc: "x", Cmd: "y", Code: 10001}
	if n := testing.AllocsPerRun(1000, func() { m.Observe(junk) }); n != 0 {
		t.Fatalf("Observe allocates %v times per unknown command", n)
	}
}

func BenchmarkMetricsObserve(b *testing.B) {
	m := testMetrics()
	r := &front.Record{Front: "sxb", Svc: "live", Cmd: "heartbeat", Duration: 300 * time.Microsecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe(r)
		}
	})
}

package dispatch

import (
	"testing"
	"time"

	"sxb-edu/svc"
)

// The hot path (a heartbeat answered) must not allocate: its series are
// resolved when the server starts.
func TestMetricsObserveDoesNotAllocate(t *testing.T) {
	m := NewMetrics(svc.New(&svc.Config{}, svc.Deps{}))
	r := Result{Svc: "live", Cmd: "heartbeat", ErrorCode: 0, Duration: 300 * time.Microsecond}
	if n := testing.AllocsPerRun(1000, func() { m.Observe(r) }); n != 0 {
		t.Fatalf("Observe allocates %v times per heartbeat", n)
	}
	junk := Result{Svc: "x", Cmd: "y", ErrorCode: svc.CodeInvalidReq}
	if n := testing.AllocsPerRun(1000, func() { m.Observe(junk) }); n != 0 {
		t.Fatalf("Observe allocates %v times per unknown command", n)
	}
}

func BenchmarkMetricsObserve(b *testing.B) {
	m := NewMetrics(svc.New(&svc.Config{}, svc.Deps{}))
	r := Result{Svc: "live", Cmd: "heartbeat", ErrorCode: 0, Duration: 300 * time.Microsecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe(r)
		}
	})
}

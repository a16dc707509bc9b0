package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"sxb-edu/front"
	"sxb-edu/store"
)

// forbiddenLabel is the code label of a request refused with HTTP 403 (a
// callback's bad signature), which has no errorCode.
const forbiddenLabel = "http_403"

// Op names one operation of a front, for its metric series.
type Op struct{ Front, Svc, Cmd string }

// Metrics is the Prometheus side of the server: request counts by front,
// operation and result code, latency, failures, rooms living, members
// present and the reaper's actions. Each server has its own registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	failures *prometheus.CounterVec
	reaper   *prometheus.CounterVec
	// ops holds the pre-resolved series of every known operation, so the
	// hot path (heartbeat) costs a map read and a few atomic adds.
	ops   map[Op]*opMetrics
	other map[string]*opMetrics // per front: unknown operations share one series
}

type opMetrics struct {
	latency   prometheus.Observer
	failed    prometheus.Counter
	byCode    map[int]prometheus.Counter
	forbidden prometheus.Counter
	op        Op
}

// NewMetrics registers the server's metrics for the known operations
// (codes are the result codes pre-resolved for each); the gauges are read
// from st at scrape time.
func NewMetrics(st *store.Store, log *slog.Logger, ops []Op, codes []int) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: front.MetricRequests,
			Help: "Requests answered, by front, svc, cmd and result code (unknown operations are counted as \"other\").",
		}, []string{"front", "svc", "cmd", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    front.MetricDuration,
			Help:    "Time to answer a request, by front, svc and cmd.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"front", "svc", "cmd"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: front.MetricFailures,
			Help: "Requests that failed on the server's side (90000 and its kin in every front, panics), by front.",
		}, []string{"front"}),
		reaper: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxb_reaper_actions_total",
			Help: "Liveness actions of the reaper: room_ended (teacher silent), member_exited (student silent).",
		}, []string{"action"}),
		ops:   map[Op]*opMetrics{},
		other: map[string]*opMetrics{},
	}
	for _, op := range ops {
		m.ops[op] = m.op(op, codes)
		if m.other[op.Front] == nil {
			m.other[op.Front] = m.op(Op{op.Front, "other", "other"}, codes)
		}
	}
	for _, a := range []string{"room_ended", "member_exited"} {
		m.reaper.WithLabelValues(a)
	}
	m.reg.MustRegister(m.requests, m.latency, m.failures, m.reaper, &storeCollector{st: st, log: log},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) op(op Op, codes []int) *opMetrics {
	r := &opMetrics{latency: m.latency.WithLabelValues(op.Front, op.Svc, op.Cmd), byCode: map[int]prometheus.Counter{},
		failed: m.failures.WithLabelValues(op.Front), op: op}
	for _, c := range codes {
		r.byCode[c] = m.requests.WithLabelValues(op.Front, op.Svc, op.Cmd, strconv.Itoa(c))
	}
	r.forbidden = m.requests.WithLabelValues(op.Front, op.Svc, op.Cmd, forbiddenLabel)
	return r
}

// Observe counts one answered request.
func (m *Metrics) Observe(r *front.Record) {
	om := m.ops[Op{r.Front, r.Svc, r.Cmd}]
	if om == nil {
		if om = m.other[r.Front]; om == nil {
			om = m.other[""]
		}
	}
	om.latency.Observe(r.Duration.Seconds())
	if r.Failed {
		om.failed.Inc()
	}
	if r.Status == http.StatusForbidden {
		om.forbidden.Inc()
		return
	}
	if c, ok := om.byCode[r.Code]; ok {
		c.Inc()
		return
	}
	m.requests.WithLabelValues(om.op.Front, om.op.Svc, om.op.Cmd, strconv.Itoa(r.Code)).Inc()
}

// CertExpiry exposes when the HTTPS certificate in use expires.
func (m *Metrics) CertExpiry(expiry func() time.Time) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sxb_tls_certificate_expiry_timestamp_seconds",
		Help: "When the HTTPS certificate in use expires (unix seconds).",
	}, func() float64 { return float64(expiry().Unix()) }))
}

// Reaped counts the reaper's actions (svc's Observe hook).
func (m *Metrics) Reaped(event string, n int) {
	if n > 0 {
		m.reaper.WithLabelValues(event).Add(float64(n))
	}
}

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Gather reads the current values of every metric (the console samples
// them for its overview).
func (m *Metrics) Gather() ([]*dto.MetricFamily, error) { return m.reg.Gather() }

// storeCollector reads the gauges from the database when scraped.
type storeCollector struct {
	st  *store.Store
	log *slog.Logger
}

var (
	descRooms   = prometheus.NewDesc("sxb_rooms_living", "Rooms in class (state 1).", nil, nil)
	descMembers = prometheus.NewDesc("sxb_members_present", "Members present in living rooms.", nil, nil)
	descPending = prometheus.NewDesc("sxb_heartbeats_pending", "Heartbeats held in memory, not yet written.", nil, nil)
	descUp      = prometheus.NewDesc("sxb_database_up", "1 when the last gauge query of the database worked.", nil, nil)
	descCaches  = prometheus.NewDesc("sxb_caches_on", "1 while this server answers from its caches (always on SQLite; on MySQL while it holds its lease in the group).", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRooms
	ch <- descMembers
	ch <- descPending
	ch <- descUp
	ch <- descCaches
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.st.Stats(ctx)
	up := 1.0
	if err != nil {
		up = 0
		c.log.Warn("metrics: read gauges", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(descRooms, prometheus.GaugeValue, float64(st.RoomsLiving))
		ch <- prometheus.MustNewConstMetric(descMembers, prometheus.GaugeValue, float64(st.MembersPresent))
	}
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(c.st.Pending()))
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
	caches := 0.0
	if c.st.Caching() {
		caches = 1
	}
	ch <- prometheus.MustNewConstMetric(descCaches, prometheus.GaugeValue, caches)
}

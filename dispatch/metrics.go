package dispatch

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"sxb-edu/svc"
)

// forbiddenLabel is the code label of a request refused with HTTP 403 (a
// callback's bad signature), which has no errorCode.
const forbiddenLabel = "http_403"

// Metrics is the Prometheus side of the server: request counts by
// svc/cmd/errorCode, latency, rooms living, members present and the
// reaper's actions. Each server has its own registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	reaper   *prometheus.CounterVec
	// routes holds the pre-resolved series of every known svc/cmd, so the
	// hot path (heartbeat) costs two map reads and two atomic adds.
	routes map[string]map[string]*routeMetrics
	other  *routeMetrics // unknown svc/cmd: one series, not one per junk name
}

type routeMetrics struct {
	latency   prometheus.Observer
	byCode    map[int]prometheus.Counter
	forbidden prometheus.Counter
	svc       string
	cmd       string
}

// NewMetrics registers the server's metrics; the gauges are read from the
// store at scrape time and the reaper reports through s.Observe.
func NewMetrics(s *svc.Service) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxb_requests_total",
			Help: "Requests answered, by svc, cmd and errorCode (unknown svc/cmd are counted as \"other\").",
		}, []string{"svc", "cmd", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sxb_request_duration_seconds",
			Help:    "Time to answer a request, by svc and cmd.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"svc", "cmd"}),
		reaper: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxb_reaper_actions_total",
			Help: "Liveness actions of the reaper: room_ended (teacher silent), member_exited (student silent).",
		}, []string{"action"}),
		routes: map[string]map[string]*routeMetrics{},
	}
	for sv, cmds := range Routes {
		m.routes[sv] = map[string]*routeMetrics{}
		for cmd := range cmds {
			m.routes[sv][cmd] = m.route(sv, cmd)
		}
	}
	m.other = m.route("other", "other")
	for _, a := range []string{"room_ended", "member_exited"} {
		m.reaper.WithLabelValues(a)
	}
	m.reg.MustRegister(m.requests, m.latency, m.reaper, &storeCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	prev := s.Observe
	s.Observe = func(event string, n int) {
		if n > 0 {
			m.reaper.WithLabelValues(event).Add(float64(n))
		}
		if prev != nil {
			prev(event, n)
		}
	}
	return m
}

func (m *Metrics) route(sv, cmd string) *routeMetrics {
	r := &routeMetrics{latency: m.latency.WithLabelValues(sv, cmd), byCode: map[int]prometheus.Counter{}, svc: sv, cmd: cmd}
	for _, c := range svc.Codes {
		r.byCode[c] = m.requests.WithLabelValues(sv, cmd, strconv.Itoa(c))
	}
	r.forbidden = m.requests.WithLabelValues(sv, cmd, forbiddenLabel)
	return r
}

// Observe counts one answered request.
func (m *Metrics) Observe(r Result) {
	rm := m.routes[r.Svc][r.Cmd]
	if rm == nil {
		rm = m.other
	}
	rm.latency.Observe(r.Duration.Seconds())
	if r.Status == http.StatusForbidden {
		rm.forbidden.Inc()
		return
	}
	if c, ok := rm.byCode[r.ErrorCode]; ok {
		c.Inc()
		return
	}
	m.requests.WithLabelValues(rm.svc, rm.cmd, strconv.Itoa(r.ErrorCode)).Inc()
}

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// storeCollector reads the gauges from the database when scraped.
type storeCollector struct{ s *svc.Service }

var (
	descRooms   = prometheus.NewDesc("sxb_rooms_living", "Rooms in class (state 1).", nil, nil)
	descMembers = prometheus.NewDesc("sxb_members_present", "Members present in living rooms.", nil, nil)
	descPending = prometheus.NewDesc("sxb_heartbeats_pending", "Heartbeats held in memory, not yet written.", nil, nil)
	descUp      = prometheus.NewDesc("sxb_database_up", "1 when the last gauge query of the database worked.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRooms
	ch <- descMembers
	ch <- descPending
	ch <- descUp
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.s.Store.Stats(ctx)
	up := 1.0
	if err != nil {
		up = 0
		c.s.Log.Warn("metrics: read gauges", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(descRooms, prometheus.GaugeValue, float64(st.RoomsLiving))
		ch <- prometheus.MustNewConstMetric(descMembers, prometheus.GaugeValue, float64(st.MembersPresent))
	}
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(c.s.Store.Pending()))
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
}

// Gather reads the current values of every metric (the console samples
// them for its overview).
func (m *Metrics) Gather() ([]*dto.MetricFamily, error) { return m.reg.Gather() }

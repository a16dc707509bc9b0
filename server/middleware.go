package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"sxb-edu/front"
)

// mount is one front as the router serves it: the name its records
// carry, its handler, and its answer to a request its handler failed
// (a panic) before answering.
type mount struct {
	name string
	h    http.Handler
	fail func(http.ResponseWriter, *http.Request)
}

// recorder notes the status a front answered with; one allocation holds
// it, the request's record and the context that carries the record.
type recorder struct {
	http.ResponseWriter
	rec   front.Record
	ctx   front.Context
	dl    deadlineCtx
	wrote bool
}

// deadlineCtx is a request's context with its deadline, whose timer is
// made only when something waits on it (Done, Err): a heartbeat never
// does, and a timer set and stopped per request was 2.6 % of the
// classroom's CPU (BENCHMARKS.md).
type deadlineCtx struct {
	context.Context // the parent
	at              time.Time

	mu     sync.Mutex
	timed  context.Context // made on the first wait
	cancel context.CancelFunc
	ended  bool
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.at, true }

func (c *deadlineCtx) Done() <-chan struct{} { return c.waited().Done() }

func (c *deadlineCtx) Err() error { return c.waited().Err() }

// AfterFunc lets a context derived from this one be cancelled with it
// without a goroutine of its own (context's propagation looks for it).
func (c *deadlineCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.waited(), f) }

func (c *deadlineCtx) waited() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timed == nil {
		c.timed, c.cancel = context.WithDeadline(c.Context, c.at)
		if c.ended {
			c.cancel()
		}
	}
	return c.timed
}

// end cancels the context once the request is answered, as the cancel
// of context.WithDeadline does.
func (c *deadlineCtx) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.cancel != nil {
		c.cancel()
	}
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.wrote, w.rec.Status = true, code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote, w.rec.Status = true, http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serve runs one request through m with the middleware every front
// gets: the client's address, panic recovery in the front's own answer,
// then metrics, the access log and the Done hook.
func (s *Server) serve(m *mount, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &recorder{ResponseWriter: w}
	if r.TLS != nil && (s.tls != nil || s.acme != nil) {
		// Served over HTTPS by this server itself: browsers keep to it.
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	rw.rec.Front, rw.rec.Addr = m.name, s.addrs.client(r)
	rw.ctx = front.Context{Context: r.Context(), Rec: &rw.rec}
	rw.dl.Context, rw.dl.at = &rw.ctx, start.Add(s.deadline)
	if d, ok := r.Context().Deadline(); ok && d.Before(rw.dl.at) {
		rw.dl.at = d
	}
	defer rw.dl.end()
	r = r.WithContext(&rw.dl)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			// The stack goes to the log only, never to the client.
			s.Log.Error("panic", "front", m.name, "svc", clip(rw.rec.Svc), "cmd", clip(rw.rec.Cmd),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			rw.rec.Failed, rw.rec.Quiet, rw.rec.Err = true, false, fmt.Errorf("panic: %v", p)
			if !rw.wrote {
				m.fail(rw, r)
			}
		}
		if !rw.wrote {
			rw.rec.Status = http.StatusOK
		}
		rw.rec.Duration = time.Since(start)
		s.Metrics.Observe(&rw.rec)
		s.accessLog(&rw.rec)
		if s.done != nil {
			s.done(rw.rec)
		}
	}()
	m.h.ServeHTTP(rw, r)
}

// accessLog logs every request: front, svc, cmd, status, result code,
// duration, user id and address, never the body (passwords, tokens and
// signatures stay out of the log). Routine successes (heartbeats,
// scrapes, health checks) log at Debug, server faults at Error.
func (s *Server) accessLog(r *front.Record) {
	level := slog.LevelInfo
	switch {
	case r.Failed:
		level = slog.LevelError
	case r.Quiet && r.Code == 0 && r.Status < 400:
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if !s.Log.Enabled(ctx, level) {
		return
	}
	// A record of its own: Logger.LogAttrs would look up its caller's
	// program counter (runtime.Callers) for every line, and no handler
	// here reports the source.
	rec := slog.NewRecord(time.Now(), level, "request", 0)
	rec.AddAttrs(
		slog.String("front", r.Front),
		slog.String("svc", clip(r.Svc)), slog.String("cmd", clip(r.Cmd)),
		slog.Int("status", r.Status), slog.Int("code", r.Code),
		slog.Float64("ms", float64(r.Duration.Microseconds())/1000),
		slog.String("uid", clip(r.UserID)), slog.String("addr", clip(r.Addr)),
	)
	if r.Err != nil {
		rec.AddAttrs(slog.String("err", r.Err.Error()))
	}
	s.Log.Handler().Handle(ctx, rec)
}

// clip bounds a client-chosen value (svc, cmd, uid, address) in the log:
// at most 64 bytes, cut at a character boundary.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// unknownClient stands for a client behind a trusted proxy whose address
// the proxy's headers do not give: it is limited like any other client
// (all such clients together), never exempt like a loopback peer.
const unknownClient = "unknown"

// clientAddrs finds a request's client: the one rule for every front.
type clientAddrs struct{ proxies []netip.Prefix }

// client is the client's IP address: the TCP peer, unless the peer is a
// trusted proxy (config trusted_proxies). Then it is the X-Real-IP the
// proxy set, else the nearest X-Forwarded-For hop that is not a trusted
// proxy; a garbled hop, a loopback address or no address at all is
// unknownClient.
func (a clientAddrs) client(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	if len(a.proxies) == 0 || !a.trusted(host) {
		return host
	}
	if v := strings.TrimSpace(req.Header.Get("X-Real-IP")); v != "" {
		return proxiedClient(v)
	}
	var hops []string
	for _, v := range req.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if !a.trusted(h) {
			return proxiedClient(h)
		}
	}
	return unknownClient
}

// proxiedClient is the client a proxy named: its address when it can be a
// client's, else unknownClient.
func proxiedClient(v string) string {
	ip, err := netip.ParseAddr(v)
	if err != nil {
		return unknownClient
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsUnspecified() {
		return unknownClient
	}
	return ip.String()
}

func (a clientAddrs) trusted(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Package dispatch is the transport: the index.php route, raw-body
// decoding, the common checks, the table of svc/cmd → handler, and the
// errorCode envelope.
package dispatch

import (
	"sxb-edu/goclass"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"sxb-edu/svc"
)

// Kind says which common checks a command gets (docs/protocol.md §3: the
// kinds Common, Token and Simple, C, T and S in the reference's document).
type Kind int

const (
	Common Kind = iota // appid, timeStamp
	Token              // appid, timeStamp, token
	Simple             // nothing (callbacks)
)

// Handler serves one command.
type Handler func(s *svc.Service, ctx context.Context, r *svc.Req) (any, error)

// Route is an entry of the command table.
type Route struct {
	Kind    Kind
	Handler Handler
	// Raw: the handler's data is the whole answer (callbacks' own shapes).
	Raw bool
}

// Routes is the one table of svc/cmd → handler.
var Routes = map[string]map[string]Route{
	"account": {
		"regist": {Kind: Common, Handler: (*svc.Service).Regist},
		"login":  {Kind: Common, Handler: (*svc.Service).Login},
		"logout": {Kind: Common, Handler: (*svc.Service).Logout},
	},
	"live": {
		"create":         {Kind: Token, Handler: (*svc.Service).Create},
		"startcourse":    {Kind: Token, Handler: (*svc.Service).StartCourse},
		"exitroom":       {Kind: Token, Handler: (*svc.Service).EndClass},
		"heartbeat":      {Kind: Token, Handler: (*svc.Service).Heartbeat},
		"reportmemid":    {Kind: Token, Handler: (*svc.Service).ReportMemID},
		"roomidlist":     {Kind: Token, Handler: (*svc.Service).RoomIDList},
		"roomlist":       {Kind: Token, Handler: (*svc.Service).RoomList},
		"reportbind":     {Kind: Token, Handler: (*svc.Service).ReportBind},
		"querybind":      {Kind: Token, Handler: (*svc.Service).QueryBind},
		"makereplayidx":  {Kind: Simple, Handler: (*svc.Service).MakeReplayIdx},
		"reccall":        {Kind: Simple, Handler: (*svc.Service).RecCall, Raw: true},
		"recendcall":     {Kind: Simple, Handler: (*svc.Service).RecCall, Raw: true},
		"idxfileendcall": {Kind: Simple, Handler: (*svc.Service).IdxFileEndCall, Raw: true},
	},
	"cos": {
		"get_sign": {Kind: Token, Handler: (*svc.Service).COSGetSign},
	},
	"vod": {
		"get_sign":        {Kind: Token, Handler: (*svc.Service).VODGetSign},
		"get_client_sign": {Kind: Token, Handler: (*svc.Service).VODGetClientSign},
		"cmd_proxy":       {Kind: Token, Handler: (*svc.Service).VODCmdProxy},
	},
}

// MaxBody is the largest request body accepted (a Deviation: the
// reference had no limit).
const MaxBody = 1 << 20

// maxDrain is how much of a body over MaxBody is read and thrown away so
// that its sender gets the 10001 answer; past that the connection closes.
const maxDrain = 32 << 20

// Envelope is the common answer shape.
type Envelope struct {
	ErrorCode int    `json:"errorCode"`
	ErrorInfo string `json:"errorInfo"`
	Data      any    `json:"data,omitempty"`
}

// Result is what one request came to, for logs and metrics.
type Result struct {
	Svc, Cmd  string
	Status    int // HTTP status: 200, or 403 for a callback's bad signature
	ErrorCode int // the envelope's errorCode (when Status is 200)
	UserID    string
	Addr      string // the client's address (see Server.clientAddr)
	Duration  time.Duration
	Err       error // the cause of a 90000, never sent
}

// Server answers the protocol over HTTP.
type Server struct {
	Svc *svc.Service
	Log *slog.Logger
	// Done, when set, is told of every answered request.
	Done func(Result)
	// Metrics, when set, counts every request and is served on /metrics.
	Metrics *Metrics
	// Proxies are the trusted reverse proxies (see clientAddr).
	Proxies []netip.Prefix
	// Edu, when set, serves the GO课堂 room API under /edu_room/, with
	// its load balancer checks GET /health and HEAD /.
	Edu *goclass.Handler
	// Console, when set, is the operator console under /admin/.
	Console http.Handler
}

// Register adds the protocol's routes to e: /index.php, any path ending in
// /index.php, and any path ending in / (a directory, which PHP answered
// through its index); any method, OPTIONS as a CORS pre-flight. Every
// other answer of e (404, 405) is JSON with the CORS header too.
func (s *Server) Register(e *echo.Echo) {
	h := s.handle
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	if s.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.Metrics.Handler()))
	}
	e.Any("/", h)
	e.Any("/index.php", h)
	e.Any("/*", func(c echo.Context) error {
		p := c.Request().URL.Path
		if strings.HasSuffix(p, "/index.php") || strings.HasSuffix(p, "/") {
			return h(c)
		}
		return echo.ErrNotFound
	})
	if s.Edu != nil {
		edu := echo.WrapHandler(s.Edu)
		e.Any("/edu_room", edu)
		e.Any("/edu_room/*", edu)
		e.GET("/health", echo.WrapHandler(http.HandlerFunc(goclass.Empty)))
		e.HEAD("/", echo.WrapHandler(http.HandlerFunc(goclass.Empty)))
	}
	if s.Console != nil {
		h := echo.WrapHandler(s.Console)
		e.Any("/admin", h)
		e.Any("/admin/*", h)
	}
	e.HTTPErrorHandler = httpError
}

// httpError answers what echo refuses (no route, a wrong method, a body
// it could not read) as JSON with the CORS header.
func httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
	}
	w := c.Response()
	cors(w.Header())
	w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	w.WriteHeader(status)
	if c.Request().Method != http.MethodHead {
		w.Write(envelope(svc.CodeInvalidReq, http.StatusText(status), nil))
	}
}

// last is the value PHP's $_GET keeps for a repeated query key.
func last(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func cors(hd http.Header) {
	hd.Set("Access-Control-Allow-Origin", "*")
}

func (s *Server) handle(c echo.Context) error {
	req := c.Request()
	w := c.Response()
	if req.Method == http.MethodOptions {
		cors(w.Header())
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS")
		if h := req.Header.Get("Access-Control-Request-Headers"); h != "" {
			w.Header().Set("Access-Control-Allow-Headers", h)
		} else {
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		}
		w.Header().Set("Access-Control-Max-Age", "86400")
		// 200 rather than 204: every answer of this server is 200, as the
		// reference's were (it ran index.php for OPTIONS too).
		return c.NoContent(http.StatusOK)
	}
	start := time.Now()
	q := req.URL.Query()
	res := Result{Svc: last(q["svc"]), Cmd: last(q["cmd"]), Addr: s.clientAddr(req)}
	status, body := s.serve(req, &res)
	res.Status = status
	res.Duration = time.Since(start)
	if s.Metrics != nil {
		s.Metrics.Observe(res)
	}
	if s.Done != nil {
		s.Done(res)
	}
	cors(w.Header())
	w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// serve answers one request: the HTTP status and the JSON body.
func (s *Server) serve(req *http.Request, res *Result) (status int, body []byte) {
	defer func() {
		if p := recover(); p != nil {
			// The stack goes to the log only, never to the client.
			s.Log.Error("panic", "svc", clip(res.Svc), "cmd", clip(res.Cmd), "panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
			res.ErrorCode = svc.CodeServer
			status, body = http.StatusOK, envelope(svc.CodeServer, "Server internal error", nil)
		}
	}()
	q := req.URL.Query()
	route, ok := Routes[res.Svc][res.Cmd]
	if !ok || len(q["svc"]) == 0 || len(q["cmd"]) == 0 {
		res.ErrorCode = svc.CodeInvalidReq
		return http.StatusOK, envelope(svc.CodeInvalidReq, "Invalid request.", nil)
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	if err != nil || len(raw) > MaxBody {
		// Read what is left (up to a bound) so that the client, still
		// sending, gets this answer rather than a reset connection.
		io.CopyN(io.Discard, req.Body, maxDrain)
		res.ErrorCode = svc.CodeInvalidReq
		return http.StatusOK, envelope(svc.CodeInvalidReq, "Invalid request.", nil)
	}
	if strings.HasPrefix(strings.ToLower(req.Header.Get("Content-Type")), "multipart/form-data") {
		raw = nil // PHP's php://input is empty for multipart bodies
	}
	b, err := Decode(raw)
	if err != nil {
		res.ErrorCode = svc.CodeReqJSON
		return http.StatusOK, envelope(svc.CodeReqJSON, "HTTP Request Json Parse Error", nil)
	}
	data, err := s.run(req.Context(), route, b, res)
	var ce *svc.Error
	switch {
	case err == nil && route.Raw:
		return http.StatusOK, marshal(data)
	case err == nil:
		return http.StatusOK, envelope(svc.CodeOK, "", data)
	case errors.Is(err, svc.ErrForbidden):
		return http.StatusForbidden, envelope(http.StatusForbidden, err.Error(), nil)
	case errors.As(err, &ce):
		res.ErrorCode = ce.Code
		if ce.Code == svc.CodeServer {
			res.Err = err
		}
		return http.StatusOK, envelope(ce.Code, ce.Info, ce.Data)
	default:
		res.ErrorCode, res.Err = svc.CodeServer, err
		return http.StatusOK, envelope(svc.CodeServer, "Server internal error", nil)
	}
}

// run does the common checks of the route's kind, then the handler.
func (s *Server) run(ctx context.Context, route Route, b svc.Body, res *Result) (any, error) {
	r := &svc.Req{Body: b, Addr: res.Addr}
	if route.Kind != Simple {
		if b.Empty("appid") {
			return nil, svc.E(svc.CodeReqData, "Lack of appid")
		}
		appid, ok := b.Int("appid")
		if !ok {
			return nil, svc.E(svc.CodeReqData, "Invalid appid")
		}
		if _, ok := s.Svc.App(appid); !ok {
			return nil, svc.E(svc.CodeReqData, "Invalid appid,maybe not config")
		}
		if b.Empty("timeStamp") {
			return nil, svc.E(svc.CodeReqData, "Lack of timeStamp")
		}
		ts, ok := b.Int("timeStamp")
		if !ok {
			return nil, svc.E(svc.CodeReqData, "Invalid timeStamp")
		}
		r.AppID, r.TimeStamp = appid, ts
	}
	if id, ok := b.Str("id"); ok && route.Kind == Common {
		res.UserID = clip(id) // regist and login: who tried (never the password)
	}
	if route.Kind == Token {
		se, err := s.Svc.Authenticate(ctx, b, r.AppID)
		if err != nil {
			return nil, err
		}
		r.User = se
		res.UserID = se.UID
	}
	data, err := route.Handler(s.Svc, ctx, r)
	if r.LogUID != "" {
		res.UserID = clip(r.LogUID)
	}
	return data, err
}

func envelope(code int, info string, data any) []byte {
	return marshal(Envelope{ErrorCode: code, ErrorInfo: info, Data: data})
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(Envelope{ErrorCode: svc.CodeServer, ErrorInfo: "Server internal error"})
	}
	return b
}

// healthz answers 200 when the database answers a write, else 503. The
// cause is logged, never sent.
func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.Svc.Store.Ping(ctx); err != nil {
		s.Log.Error("healthz: database unavailable", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// unknownClient stands for a client behind a trusted proxy whose address
// the proxy's headers do not give: it is limited like any other client
// (all such clients together), never exempt like a loopback peer.
const unknownClient = "unknown"

// clientAddr is the client's IP address: the TCP peer, unless the peer is
// a trusted proxy (config trusted_proxies). Then it is the X-Real-IP the
// proxy set, else the nearest X-Forwarded-For hop that is not a trusted
// proxy; a garbled hop, a loopback address or no address at all is
// unknownClient.
func (s *Server) clientAddr(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	if len(s.Proxies) == 0 || !s.trusted(host) {
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
		if !s.trusted(h) {
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

func (s *Server) trusted(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range s.Proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// AccessLog logs every request: svc, cmd, errorCode, duration, user id and
// address, never the body (passwords, tokens and signatures stay out of
// the log). A successful heartbeat, the hottest command, logs at Debug.
func AccessLog(log *slog.Logger) func(Result) {
	return func(r Result) {
		level := slog.LevelInfo
		if r.Status == http.StatusOK && r.ErrorCode == svc.CodeServer {
			level = slog.LevelError
		} else if r.ErrorCode == svc.CodeOK && r.Svc == "live" && r.Cmd == "heartbeat" {
			level = slog.LevelDebug
		}
		ctx := context.Background()
		if !log.Enabled(ctx, level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("svc", clip(r.Svc)), slog.String("cmd", clip(r.Cmd)),
			slog.Int("status", r.Status), slog.Int("errorCode", r.ErrorCode),
			slog.Float64("ms", float64(r.Duration.Microseconds())/1000),
			slog.String("uid", clip(r.UserID)), slog.String("addr", clip(r.Addr)),
		}
		if r.Err != nil {
			attrs = append(attrs, slog.String("err", r.Err.Error()))
		}
		log.LogAttrs(ctx, level, "request", attrs...)
	}
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

// Package dispatch is the transport: the index.php route, raw-body
// decoding, the common checks, the table of svc/cmd → handler, and the
// errorCode envelope.
package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sxb-edu/svc"
)

// Kind says which common checks a command gets (PROTOCOL §3).
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
		"exitroom":       {Kind: Token, Handler: (*svc.Service).ExitRoom},
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
}

// MaxBody is the largest request body accepted (a Deviation: the
// reference had no limit).
const MaxBody = 1 << 20

// Envelope is the common answer shape.
type Envelope struct {
	ErrorCode int    `json:"errorCode"`
	ErrorInfo string `json:"errorInfo"`
	Data      any    `json:"data,omitempty"`
}

// Result is what one request came to, for logs and metrics.
type Result struct {
	Svc, Cmd  string
	ErrorCode int
	UserID    string
	Duration  time.Duration
	Err       error // the cause of a 90000, never sent
}

// Server answers the protocol over HTTP.
type Server struct {
	Svc *svc.Service
	Log *slog.Logger
	// Done, when set, is told of every answered request.
	Done func(Result)
}

// Register adds the protocol's routes to e: /, /index.php and any path
// ending in /index.php; any method, OPTIONS as a CORS pre-flight.
func (s *Server) Register(e *echo.Echo) {
	h := s.handle
	e.Any("/", h)
	e.Any("/index.php", h)
	e.Any("/*", func(c echo.Context) error {
		if strings.HasSuffix(c.Request().URL.Path, "/index.php") {
			return h(c)
		}
		return echo.ErrNotFound
	})
}

func cors(hd http.Header) {
	hd.Set("Access-Control-Allow-Origin", "*")
}

func (s *Server) handle(c echo.Context) error {
	req := c.Request()
	w := c.Response()
	if req.Method == http.MethodOptions {
		cors(w.Header())
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		if h := req.Header.Get("Access-Control-Request-Headers"); h != "" {
			w.Header().Set("Access-Control-Allow-Headers", h)
		} else {
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		}
		w.Header().Set("Access-Control-Max-Age", "86400")
		return c.NoContent(http.StatusNoContent)
	}
	start := time.Now()
	q := req.URL.Query()
	res := Result{Svc: q.Get("svc"), Cmd: q.Get("cmd")}
	status, body := s.serve(req, &res)
	res.Duration = time.Since(start)
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
			s.Log.Error("panic", "svc", res.Svc, "cmd", res.Cmd, "panic", p)
			res.ErrorCode = svc.ErrServer
			status, body = http.StatusOK, envelope(svc.ErrServer, "Server internal error", nil)
		}
	}()
	q := req.URL.Query()
	route, ok := Routes[res.Svc][res.Cmd]
	if !ok || len(q["svc"]) == 0 || len(q["cmd"]) == 0 {
		res.ErrorCode = svc.ErrInvalidReq
		return http.StatusOK, envelope(svc.ErrInvalidReq, "Invalid request.", nil)
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	if err != nil || len(raw) > MaxBody {
		res.ErrorCode = svc.ErrInvalidReq
		return http.StatusOK, envelope(svc.ErrInvalidReq, "Invalid request.", nil)
	}
	b, err := Decode(raw)
	if err != nil {
		res.ErrorCode = svc.ErrReqJSON
		return http.StatusOK, envelope(svc.ErrReqJSON, "HTTP Request Json Parse Error", nil)
	}
	data, err := s.run(req.Context(), route, b, res)
	var ce *svc.Error
	switch {
	case err == nil && route.Raw:
		return http.StatusOK, marshal(data)
	case err == nil:
		return http.StatusOK, envelope(svc.OK, "", data)
	case errors.Is(err, svc.Forbidden):
		res.ErrorCode = http.StatusForbidden
		return http.StatusForbidden, envelope(http.StatusForbidden, "callback signature invalid", nil)
	case errors.As(err, &ce):
		res.ErrorCode = ce.Code
		if ce.Code == svc.ErrServer {
			res.Err = err
		}
		return http.StatusOK, envelope(ce.Code, ce.Info, ce.Data)
	default:
		res.ErrorCode, res.Err = svc.ErrServer, err
		return http.StatusOK, envelope(svc.ErrServer, "Server internal error", nil)
	}
}

// run does the common checks of the route's kind, then the handler.
func (s *Server) run(ctx context.Context, route Route, b svc.Body, res *Result) (any, error) {
	r := &svc.Req{Body: b}
	if route.Kind != Simple {
		if b.Empty("appid") {
			return nil, svc.E(svc.ErrReqData, "Lack of appid")
		}
		appid, ok := b.Int("appid")
		if !ok {
			return nil, svc.E(svc.ErrReqData, "Invalid appid")
		}
		if _, ok := s.Svc.App(appid); !ok {
			return nil, svc.E(svc.ErrReqData, "Invalid appid,maybe not config")
		}
		if b.Empty("timeStamp") {
			return nil, svc.E(svc.ErrReqData, "Lack of timeStamp")
		}
		ts, ok := b.Int("timeStamp")
		if !ok {
			return nil, svc.E(svc.ErrReqData, "Invalid timeStamp")
		}
		r.AppID, r.TimeStamp = appid, ts
	}
	if route.Kind == Token {
		se, err := s.Svc.Authenticate(ctx, b, r.AppID)
		if err != nil {
			return nil, err
		}
		r.User = se
		res.UserID = se.UID
	}
	return route.Handler(s.Svc, ctx, r)
}

func envelope(code int, info string, data any) []byte {
	return marshal(Envelope{ErrorCode: code, ErrorInfo: info, Data: data})
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(Envelope{ErrorCode: svc.ErrServer, ErrorInfo: "Server internal error"})
	}
	return b
}

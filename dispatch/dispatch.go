// Package dispatch is the 随心播 protocol's front: the index.php route,
// raw-body decoding, the common checks, the table of svc/cmd → handler,
// and the errorCode envelope.
package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"sxb-edu/front"
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

// Server answers the protocol over HTTP: index.php (any path ending in
// /index.php, and any directory path, which PHP answered through its
// index), any method, OPTIONS as a CORS pre-flight.
type Server struct {
	Svc *svc.Service
}

// Fail answers a request whose handler failed without answering (a
// panic): errorCode 90000, as every server fault of the protocol.
func Fail(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Code, rec.Failed = svc.CodeServer, true
	writeJSON(w, http.StatusOK, envelope(svc.CodeServer, "Server internal error", nil))
}

// NotFound answers a path or method no front serves: JSON with the CORS
// header, in the protocol's envelope.
func NotFound(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Code = svc.CodeInvalidReq
	var body []byte
	if r.Method != http.MethodHead {
		body = envelope(svc.CodeInvalidReq, http.StatusText(http.StatusNotFound), nil)
	}
	writeJSON(w, http.StatusNotFound, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	hd := w.Header()
	cors(hd)
	hd["Content-Type"] = jsonType
	w.WriteHeader(status)
	w.Write(body)
}

var jsonType = []string{"application/json"}

// op is a request's svc and cmd as PHP's $_GET gives them: the last of
// a repeated key; named says whether the key was there at all.
type op struct {
	svc, cmd           string
	namedSvc, namedCmd bool
}

// operation reads svc and cmd from a query as url.ParseQuery would. A
// query with nothing to unescape (every client's) is split in place,
// without the map of every key ParseQuery builds.
func operation(raw string) op {
	var o op
	if strings.ContainsAny(raw, "%+;") {
		q, _ := url.ParseQuery(raw)
		if v := q["svc"]; len(v) > 0 {
			o.svc, o.namedSvc = v[len(v)-1], true
		}
		if v := q["cmd"]; len(v) > 0 {
			o.cmd, o.namedCmd = v[len(v)-1], true
		}
		return o
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		key, value, _ := strings.Cut(pair, "=")
		switch key {
		case "svc":
			o.svc, o.namedSvc = value, true
		case "cmd":
			o.cmd, o.namedCmd = value, true
		}
	}
	return o
}

func cors(hd http.Header) {
	hd.Set("Access-Control-Allow-Origin", "*")
}

// ServeHTTP answers one request of the protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodOptions {
		hd := w.Header()
		cors(hd)
		hd.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS")
		if h := req.Header.Get("Access-Control-Request-Headers"); h != "" {
			hd.Set("Access-Control-Allow-Headers", h)
		} else {
			hd.Set("Access-Control-Allow-Headers", "Content-Type")
		}
		hd.Set("Access-Control-Max-Age", "86400")
		// 200 rather than 204: every answer of this server is 200, as the
		// reference's were (it ran index.php for OPTIONS too).
		w.WriteHeader(http.StatusOK)
		return
	}
	rec := front.From(req.Context())
	op := operation(req.URL.RawQuery)
	rec.Svc, rec.Cmd = op.svc, op.cmd
	rec.Quiet = rec.Svc == "live" && routine[rec.Cmd]
	status, body := s.serve(req, op, rec)
	if rec.Code != svc.CodeOK {
		rec.Quiet = false
	}
	writeJSON(w, status, body)
	if c := cap(body); c >= 2<<10 && c <= 64<<10 { // written: Write keeps no part of it
		keep := body // escapes here only, not on every answer
		answers.Put(&keep)
	}
}

// routine are the live commands every client repeats all class long (a
// heartbeat every 3 s, the lists every minute): their successes are
// logged at Debug, or a school's log would be 1,000 lines a second of them.
var routine = map[string]bool{"heartbeat": true, "roomlist": true, "roomidlist": true}

// answers keeps the buffers of large answers for the next page of rooms
// (5-10 KB each: allocating and clearing them cost more than encoding).
var answers sync.Pool

// serve answers one request: the HTTP status and the JSON body.
func (s *Server) serve(req *http.Request, o op, res *front.Record) (status int, body []byte) {
	route, ok := Routes[res.Svc][res.Cmd]
	if !ok || !o.namedSvc || !o.namedCmd {
		res.Code = svc.CodeInvalidReq
		return http.StatusOK, envelope(svc.CodeInvalidReq, "Invalid request.", nil)
	}
	raw, err := readBody(req)
	if err != nil || len(raw) > MaxBody {
		// Read what is left (up to a bound) so that the client, still
		// sending, gets this answer rather than a reset connection.
		io.CopyN(io.Discard, req.Body, maxDrain)
		res.Code = svc.CodeInvalidReq
		return http.StatusOK, envelope(svc.CodeInvalidReq, "Invalid request.", nil)
	}
	if strings.HasPrefix(strings.ToLower(req.Header.Get("Content-Type")), "multipart/form-data") {
		raw = nil // PHP's php://input is empty for multipart bodies
	}
	b, err := Decode(raw)
	if err != nil {
		res.Code = svc.CodeReqJSON
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
		res.Code = ce.Code
		if ce.Code == svc.CodeServer {
			res.Err, res.Failed = err, true
		}
		return http.StatusOK, envelope(ce.Code, ce.Info, ce.Data)
	default:
		res.Code, res.Err, res.Failed = svc.CodeServer, err, true
		return http.StatusOK, envelope(svc.CodeServer, "Server internal error", nil)
	}
}

// readBody reads a body of at most MaxBody+1 bytes; a small one of a
// declared length into a slice of that length at once. Not a large one:
// a declared length is not yet data, and a client declaring a megabyte
// it never sends would hold one per connection.
func readBody(req *http.Request) ([]byte, error) {
	if n := req.ContentLength; n >= 0 && n <= smallBody {
		b := make([]byte, n)
		_, err := io.ReadFull(req.Body, b)
		return b, err
	}
	return io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
}

// smallBody is the largest body read into a slice of its declared
// length (a classroom request is a few hundred bytes).
const smallBody = 16 << 10

// run does the common checks of the route's kind, then the handler.
func (s *Server) run(ctx context.Context, route Route, b svc.Body, res *front.Record) (any, error) {
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
		res.UserID = id // regist and login: who tried (never the password)
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
		res.UserID = r.LogUID
	}
	return data, err
}

func envelope(code int, info string, data any) []byte {
	if code == svc.CodeOK && info == "" {
		switch l := data.(type) {
		case svc.RoomList:
			var b []byte
			if p, _ := answers.Get().(*[]byte); p != nil {
				b = (*p)[:0]
			}
			return appendRoomList(b, l)
		case svc.MemberList:
			return appendMemberList(make([]byte, 0, 64+32*len(l.IDList)), l)
		}
	}
	if data == nil {
		// Every heartbeat and most errors: no reflection for two fields.
		b := append(make([]byte, 0, 48+len(info)), `{"errorCode":`...)
		b = strconv.AppendInt(b, int64(code), 10)
		b = append(b, `,"errorInfo":`...)
		b = appendString(b, info)
		return append(b, '}')
	}
	return marshal(Envelope{ErrorCode: code, ErrorInfo: info, Data: data})
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(Envelope{ErrorCode: svc.CodeServer, ErrorInfo: "Server internal error"})
	}
	return b
}

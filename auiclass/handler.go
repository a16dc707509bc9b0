package auiclass

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sxb-edu/aui"
	"sxb-edu/front"
	"sxb-edu/store"
)

// Handler serves the front's HTTP API.
type Handler struct {
	s *Service
	// RootLogin: the bare /login is this front's.
	RootLogin bool
}

// NewHandler serves s.
func NewHandler(s *Service, rootLogin bool) *Handler { return &Handler{s: s, RootLogin: rootLogin} }

// Commands are the operations of the front, for the metric series.
func Commands() []string {
	return []string{"login", "token", "create", "list", "get", "start", "stop", "pause", "delete", "update",
		"updateMeetingInfo", "getMeetingInfo", "getWhiteboardAuthInfo", "joinClass", "leaveClass", "kickClass",
		"listMembers", "addDoc", "deleteDoc", "queryDoc", "addDocs", "deleteDocs", "setAssistantPermit",
		"deleteAssistantPermit", "getAssistantPermit", "v2_token", "v2_create", "preflight", "not_found", "auth"}
}

// Owns says whether path belongs to the front (rootLogin: /login too).
func Owns(path string, rootLogin bool) bool {
	return rootLogin && path == "/login" || strings.HasPrefix(path, "/api/v1/class/") || strings.HasPrefix(path, "/api/v2/class/")
}

// Fail answers a request the handler failed before answering (a panic).
func Fail(w http.ResponseWriter, r *http.Request) { writeResult(w, errServer) }

func cors(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "authorization,content-type")
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", "POST, GET, PATCH, DELETE, PUT")
}

type command func(ctx context.Context, r *http.Request, user string) result

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Svc = "class"
	cors(w)
	if r.Method == http.MethodOptions {
		rec.Cmd = "preflight"
		w.WriteHeader(http.StatusNoContent)
		return
	}
	p := r.URL.Path
	if p == "/login" || p == "/api/v1/class/login" {
		rec.Cmd = "login"
		h.finish(w, rec, h.login(r, rec))
		return
	}
	user, ok := h.identity(r)
	if !ok {
		rec.Cmd, rec.Code = "auth", http.StatusForbidden
		springError(w, http.StatusForbidden, p, h.s.now())
		return
	}
	rec.UserID = user
	var run command
	if cmd, ok := strings.CutPrefix(p, "/api/v1/class/"); ok {
		run, rec.Cmd = h.v1(cmd), cmd
	} else if cmd, ok := strings.CutPrefix(p, "/api/v2/class/"); ok {
		run, rec.Cmd = h.v2(cmd), "v2_"+cmd
	}
	if run == nil {
		rec.Cmd, rec.Code = "not_found", http.StatusNotFound
		springError(w, http.StatusNotFound, p, h.s.now())
		return
	}
	h.finish(w, rec, run(r.Context(), r, user))
}

// finish answers res, noting its code for the log and metrics.
func (h *Handler) finish(w http.ResponseWriter, rec *front.Record, res result) {
	if !res.Success {
		rec.Code = 1 // a refusal without a code (a join's reason)
		if res.ErrorCode != "" {
			rec.Code, _ = atoi(res.ErrorCode)
		}
	}
	writeResult(w, res)
}

func atoi(s string) (int, bool) {
	var n int
	err := json.Unmarshal([]byte(s), &n)
	return n, err == nil
}

// identity checks the request's token as the Java server's filter does:
// "Authorization: Bearer …", signed, not expired; it answers the subject.
func (h *Handler) identity(r *http.Request) (string, bool) {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer")
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	claims, err := h.s.tokens.Parse(strings.TrimSpace(v))
	if err != nil {
		return "", false
	}
	exp, ok := claims["exp"].(float64)
	sub, named := claims["sub"].(string)
	if !ok || int64(exp) <= h.s.now().Unix() || !named || sub == "" {
		return "", false
	}
	return sub, true
}

type loginRequest struct {
	Username string `json:"username" check:"notblank" msg:"用户名不能为空"`
	Password string `json:"password" check:"notblank" msg:"密码不能为空"`
}

func (h *Handler) login(r *http.Request, rec *front.Record) result {
	var in loginRequest
	if !decode(r, &in) {
		return errServer
	}
	if msgs := check(&in); len(msgs) > 0 {
		return invalid(msgs)
	}
	rec.UserID = in.Username
	err := aui.Login(r.Context(), h.s.acc, h.s.cfg.Login, in.Username, in.Password, rec.Addr)
	var no aui.Refusal
	if errors.As(err, &no) {
		return fail(401, no.Error())
	}
	if err != nil {
		rec.Err, rec.Failed = err, true
		return errServer
	}
	now := h.s.now()
	exp := now.Add(h.s.cfg.JWTTimeout).Truncate(time.Second)
	tok, err := h.s.tokens.Sign(jwt.MapClaims{"sub": in.Username, "iat": now.Unix(), "exp": exp.Unix()})
	if err != nil {
		rec.Err, rec.Failed = err, true
		return errServer
	}
	return ok(map[string]any{"token": tok, "expire": jdate(exp.UnixMilli())})
}

// read binds and checks a request of type T, then runs fn on it.
func read[T any](fn func(ctx context.Context, in *T, user string) result) command {
	return func(ctx context.Context, r *http.Request, user string) result {
		in := new(T)
		if !decode(r, in) {
			return errServer
		}
		if msgs := check(in); len(msgs) > 0 {
			return invalid(msgs)
		}
		return fn(ctx, in, user)
	}
}

// notYou answers a request naming another user than the logged-in one.
var notYou = fail(403, "user_id is not the logged-in user")

// storeFail answers a store error: a missing class is 未查询到.
func (s *Service) storeFail(err error) result {
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	var r *resultErr
	if errors.As(err, &r) {
		return r.res
	}
	s.log.Error("aui class: store", "err", err)
	return errServer
}

// resultErr carries an answer out of a class transaction (rolling it back).
type resultErr struct{ res result }

func (e *resultErr) Error() string { return e.res.ErrorMsg }

func refuse(res result) error { return &resultErr{res} }

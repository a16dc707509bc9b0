package auilive

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sxb-edu/aui"
	"sxb-edu/front"
	"sxb-edu/store"
)

// The requests, named as the reference names them (its validation
// messages carry the names).
type (
	CreateRequest struct {
		Title      string `json:"title" binding:"required"`
		Notice     string `json:"notice"`
		CoverUrl   string `json:"cover_url"`
		Anchor     string `json:"anchor" binding:"required"`
		AnchorNick string `json:"anchor_nick"`
		Mode       int    `json:"mode"`
		Extends    string `json:"extends"`
		// v2: which IM services get the room's group.
		ImServer []string `json:"im_server"`
	}
	ListRequest struct {
		PageSize int    `json:"page_size" binding:"required"`
		PageNum  int    `json:"page_num" binding:"required"`
		UserId   string `json:"user_id" binding:"required"`
		Status   *int   `json:"status"`
	}
	GetRequest struct {
		Id     string `json:"id" binding:"required"`
		UserId string `json:"user_id" binding:"required"`
	}
	UpdateRequest struct {
		Id      string `json:"id"`
		Title   string `json:"title"`
		Notice  string `json:"notice"`
		Extends string `json:"extends"`
	}
	DeleteRequest struct {
		Id     string `json:"id" binding:"required"`
		UserId string `json:"user_id" binding:"required"`
	}
	TokenRequest struct {
		UserId     string   `json:"user_id" binding:"required"`
		DeviceId   string   `json:"device_id" binding:"required"`
		DeviceType string   `json:"device_type" binding:"required"`
		ImServer   []string `json:"im_server"`
		Role       string   `json:"role"`
	}
	MeetingActionRequest struct {
		Id      string          `json:"id"`
		Members []MeetingMember `json:"members"`
	}
	GetMeetingInfoRequest struct {
		Id string `json:"id"`
	}
	loginRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
)

// Handler serves the front's HTTP API.
type Handler struct{ s *Service }

// NewHandler serves s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// Commands are the operations of the front, for the metric series.
func Commands() []string {
	return []string{"login", "refresh_token", "create", "list", "get", "update", "start", "pause", "stop", "delete",
		"token", "getMeetingInfo", "updateMeetingInfo", "v2_token", "v2_create", "preflight", "not_found"}
}

// Codes are the front's result codes (HTTP statuses of its refusals).
var Codes = []int{400, 401, 403, 500}

// Owns says whether path belongs to the front (rootLogin: /login too).
func Owns(path string, rootLogin bool) bool {
	return rootLogin && path == "/login" || path == "/auth/refresh_token" ||
		strings.HasPrefix(path, "/api/v1/live/") || strings.HasPrefix(path, "/api/v2/live/")
}

func cors(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Origin,Content-Length,Content-Type,Authorization,X-Live-Env")
		h.Set("Access-Control-Max-Age", "43200")
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := front.From(r.Context())
	rec.Svc = "live"
	cors(w, r)
	p := r.URL.Path
	if r.Method == http.MethodOptions && r.Header.Get("Origin") != "" {
		rec.Cmd = "preflight"
		w.WriteHeader(http.StatusNoContent)
		return
	}
	post := r.Method == http.MethodPost
	switch {
	case post && (p == "/login" || p == "/api/v1/live/login"):
		rec.Cmd = "login"
		h.login(w, r, rec)
		return
	case post && p == "/api/v1/live/refresh_token", r.Method == http.MethodGet && p == "/auth/refresh_token":
		rec.Cmd = "refresh_token"
		h.refresh(w, r, rec)
		return
	}
	var run func(context.Context, *http.Request, string) (any, error)
	if cmd, ok := strings.CutPrefix(p, "/api/v1/live/"); ok && post {
		run, rec.Cmd = h.v1(cmd), cmd
	} else if cmd, ok := strings.CutPrefix(p, "/api/v2/live/"); ok {
		run, rec.Cmd = h.v2(cmd), "v2_"+cmd
	}
	if run == nil {
		rec.Cmd, rec.Code = "not_found", http.StatusNotFound
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("404 page not found"))
		return
	}
	user, ok := h.identity(w, r, rec)
	if !ok {
		return
	}
	rec.UserID = user
	out, err := run(r.Context(), r, user)
	if err != nil {
		h.fail(w, rec, err)
		return
	}
	if j, ok := out.(java); ok {
		writeJava(w, j)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// fail answers an error in the reference's shape and status.
func (h *Handler) fail(w http.ResponseWriter, rec *front.Record, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	var b *bindError
	var f *failure
	switch {
	case errors.As(err, &b):
		status, msg = http.StatusBadRequest, b.msg
	case errors.As(err, &f):
		status, msg = f.status, f.msg
		if f.err != nil {
			rec.Err = f.err
		}
		if f.err != nil && status >= 500 {
			rec.Failed = true
		}
	default:
		rec.Err, rec.Failed = err, true
	}
	rec.Code = status
	writeJSON(w, status, &Status{Code: status, Message: msg})
}

// unauthorized answers as the reference's token middleware does.
func unauthorized(w http.ResponseWriter, rec *front.Record, status int, msg string) {
	rec.Code = status
	w.Header().Set("WWW-Authenticate", `JWT realm="zone"`)
	writeAuth(w, status, map[string]any{"code": status, "message": msg})
}

// bearer finds the request's token: the Authorization header, else
// ?token=, else the jwt cookie; the error is the last place's.
func bearer(r *http.Request) (string, error) {
	if v := r.Header.Get("Authorization"); v != "" {
		if t, ok := strings.CutPrefix(v, "Bearer "); ok {
			return t, nil
		}
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t, nil
	}
	if c, err := r.Cookie("jwt"); err == nil && c.Value != "" {
		return c.Value, nil
	}
	return "", errors.New("cookie token is empty")
}

// identity checks the request's token and answers who sent it.
func (h *Handler) identity(w http.ResponseWriter, r *http.Request, rec *front.Record) (string, bool) {
	tok, err := bearer(r)
	if err != nil {
		unauthorized(w, rec, http.StatusUnauthorized, err.Error())
		return "", false
	}
	claims, err := h.s.tokens.Parse(tok)
	if err != nil {
		unauthorized(w, rec, http.StatusUnauthorized, err.Error())
		return "", false
	}
	switch v := claims["exp"].(type) {
	case nil:
		unauthorized(w, rec, http.StatusBadRequest, "missing exp field")
		return "", false
	case float64:
		if int64(v) < h.s.now().Unix() {
			unauthorized(w, rec, http.StatusUnauthorized, aui.ErrExpired.Error())
			return "", false
		}
	default:
		unauthorized(w, rec, http.StatusBadRequest, "exp must be float64 format")
		return "", false
	}
	id, ok := claims["id"].(string)
	if !ok {
		// The reference crashes here; a token without an id names no one.
		unauthorized(w, rec, http.StatusUnauthorized, "token has no id")
		return "", false
	}
	if id == "" {
		unauthorized(w, rec, http.StatusForbidden, "you don't have permission to access this resource")
		return "", false
	}
	return id, true
}

// issue answers a new token for id as the reference's login does.
func (h *Handler) issue(w http.ResponseWriter, rec *front.Record, id string) {
	now := h.s.now()
	exp := now.Add(h.s.cfg.JWTTimeout)
	tok, err := h.s.tokens.Sign(jwt.MapClaims{"id": id, "exp": exp.Unix(), "orig_iat": now.Unix()})
	if err != nil {
		rec.Err, rec.Failed = err, true
		unauthorized(w, rec, http.StatusInternalServerError, "create JWT Token faild")
		return
	}
	writeAuth(w, http.StatusOK, map[string]any{"code": http.StatusOK, "expire": exp.Format(time.RFC3339), "token": tok})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request, rec *front.Record) {
	var in loginRequest
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		_ = json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody)).Decode(&in)
	} else {
		r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
		in.Username, in.Password = r.FormValue("username"), r.FormValue("password")
	}
	if in.Username == "" || in.Password == "" {
		unauthorized(w, rec, http.StatusUnauthorized, "missing Username or Password")
		return
	}
	rec.UserID = in.Username
	err := aui.Login(r.Context(), h.s.acc, h.s.cfg.Login, in.Username, in.Password, rec.Addr)
	var no aui.Refusal
	if errors.As(err, &no) {
		unauthorized(w, rec, http.StatusUnauthorized, no.Error())
		return
	}
	if err != nil {
		rec.Err, rec.Failed = err, true
		unauthorized(w, rec, http.StatusUnauthorized, "login failed: server error")
		return
	}
	h.issue(w, rec, in.Username)
}

func (h *Handler) refresh(w http.ResponseWriter, r *http.Request, rec *front.Record) {
	tok, err := bearer(r)
	if err != nil {
		unauthorized(w, rec, http.StatusUnauthorized, err.Error())
		return
	}
	claims, err := h.s.tokens.Parse(tok)
	if err != nil && !errors.Is(err, aui.ErrExpired) {
		unauthorized(w, rec, http.StatusUnauthorized, err.Error())
		return
	}
	iat, ok := claims["orig_iat"].(float64)
	id, named := claims["id"].(string)
	if !ok || !named || id == "" {
		unauthorized(w, rec, http.StatusUnauthorized, "token has no id or orig_iat")
		return
	}
	if int64(iat) < h.s.now().Add(-h.s.cfg.JWTTimeout).Unix() {
		unauthorized(w, rec, http.StatusUnauthorized, aui.ErrExpired.Error())
		return
	}
	rec.UserID = id
	h.issue(w, rec, id)
}

// readInto binds a request to in and runs fn on it.
func readInto[T any](fn func(ctx context.Context, in *T, user string) (any, error)) func(context.Context, *http.Request, string) (any, error) {
	return func(ctx context.Context, r *http.Request, user string) (any, error) {
		in := new(T)
		if err := bind(r, in); err != nil {
			return nil, err
		}
		return fn(ctx, in, user)
	}
}

func (h *Handler) v1(cmd string) func(context.Context, *http.Request, string) (any, error) {
	s := h.s
	switch cmd {
	case "create":
		return readInto(func(ctx context.Context, in *CreateRequest, user string) (any, error) {
			id, err := s.createGroup(ctx, in.Anchor)
			if err != nil {
				return nil, err
			}
			return s.createRoom(ctx, id, in)
		})
	case "list":
		return readInto(s.list)
	case "get":
		return readInto(func(ctx context.Context, in *GetRequest, user string) (any, error) {
			r, err := s.room(ctx, in.Id)
			if err != nil {
				return nil, err
			}
			return s.view(ctx, r, user), nil
		})
	case "update":
		return readInto(func(ctx context.Context, in *UpdateRequest, user string) (any, error) {
			return s.change(ctx, in.Id, user, "update", func(r *store.LiveRoom) {
				r.Title = cmpOr(in.Title, r.Title)
				r.Notice = cmpOr(in.Notice, r.Notice)
				r.Extends = cmpOr(in.Extends, r.Extends)
			})
		})
	case "start", "pause", "stop":
		return readInto(func(ctx context.Context, in *DeleteRequest, user string) (any, error) {
			return s.change(ctx, in.Id, user, cmd, func(r *store.LiveRoom) {
				switch cmd {
				case "start":
					r.Status, r.StartedMS = StatusStarted, s.now().UnixMilli()
				case "pause":
					r.Status = StatusPaused
				case "stop":
					r.Status, r.StopMS = StatusStopped, s.now().UnixMilli()
				}
			})
		})
	case "delete":
		return readInto(s.delete)
	case "token":
		return readInto(func(ctx context.Context, in *TokenRequest, user string) (any, error) {
			if in.UserId != user {
				return nil, fail(http.StatusForbidden, "an IM token is for the logged-in user only")
			}
			tok, err := s.imToken(ctx, in.UserId, in.DeviceId, in.DeviceType)
			if err != nil {
				return nil, err
			}
			return map[string]string{"access_token": tok, "refresh_token": tok}, nil
		})
	case "getMeetingInfo":
		return readInto(func(ctx context.Context, in *GetMeetingInfoRequest, user string) (any, error) {
			r, err := s.room(ctx, in.Id)
			if err != nil {
				return nil, err
			}
			return s.meeting(r)
		})
	case "updateMeetingInfo":
		return readInto(s.updateMeeting)
	}
	return nil
}

func (s *Service) list(ctx context.Context, in *ListRequest, user string) (any, error) {
	status := -1
	if in.Status != nil {
		status = *in.Status
	}
	size := int64(min(max(in.PageSize, 1), maxPage))
	offset := max(int64(in.PageNum)-1, 0) * size
	rows, err := s.st.LiveRooms(ctx, status, offset, size)
	if err != nil {
		return nil, &failure{status: http.StatusInternalServerError, msg: "list data failed", err: err}
	}
	list := make([]*Room, len(rows))
	for i := range rows {
		list[i] = s.view(ctx, &rows[i], user)
	}
	if s.cfg.ListShape == "array" {
		return list, nil
	}
	n, err := s.st.LiveRoomCount(ctx, status)
	if err != nil {
		return nil, &failure{status: http.StatusInternalServerError, msg: "list data failed", err: err}
	}
	return map[string]any{"live_list": list, "total_count": n}, nil
}

// maxPage caps a list page: every room on it may cost two cloud calls.
const maxPage = 100

func (s *Service) delete(ctx context.Context, in *DeleteRequest, user string) (any, error) {
	r, err := s.room(ctx, in.Id)
	if err != nil {
		return nil, err
	}
	if err := owned(r, user, "delete"); err != nil {
		return nil, err
	}
	if err := s.st.DeleteLiveRoom(ctx, r.ID); errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	} else if err != nil {
		return nil, &failure{status: http.StatusInternalServerError, msg: "delete room failed", err: err}
	}
	return roomOf(r), nil
}

func (s *Service) updateMeeting(ctx context.Context, in *MeetingActionRequest, user string) (any, error) {
	var info *MeetingInfo
	r, err := s.st.UpdateLiveRoom(ctx, in.Id, func(r *store.LiveRoom) error {
		if s.cfg.MeetingUpdate == "anchor" {
			if err := owned(r, user, "change the co-streaming list of"); err != nil {
				return err
			}
		}
		m, err := s.meeting(r)
		if err != nil {
			return err
		}
		m.Members = in.Members
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		r.MeetingInfo, r.UpdatedMS, info = string(b), s.now().UnixMilli(), m
		return nil
	})
	if err != nil {
		return nil, updateFailure(err)
	}
	s.log.Info("aui live: co-streaming list changed", "room", r.ID, "by", user, "members", len(info.Members))
	return info, nil
}

// The v2 answers are the Java server's: HTTP 200 with a code inside.
const (
	imOld = "aliyun_old"
	imNew = "aliyun_new"
)

// java is an answer of the Java server: HTTP 200, the code inside.
type java map[string]any

func javaResult(code int, msg string) java {
	return java{"code": code, "message": msg}
}

var (
	javaInvalid = javaResult(401, "参数错误")
	javaError   = javaResult(500, "服务器异常，请稍后重试")
)

// javaValidate is the Java server's answer to a blank required field.
func javaValidate(msgs ...string) java {
	return java{"code": 500, "msg": strings.Join(msgs, "<br>") + "<br>"}
}

func imServers(list []string) bool {
	if len(list) == 0 {
		return false
	}
	for _, s := range list {
		if s != imOld && s != imNew {
			return false
		}
	}
	return true
}

func has(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func (h *Handler) v2(cmd string) func(context.Context, *http.Request, string) (any, error) {
	s := h.s
	switch cmd {
	case "token":
		return func(ctx context.Context, r *http.Request, user string) (any, error) {
			var in TokenRequest
			if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody)).Decode(&in); err != nil {
				return javaError, nil
			}
			var missing []string
			for _, f := range []struct{ v, msg string }{{in.UserId, "userId不能为空"}, {in.DeviceId, "deviceId不能为空"}, {in.DeviceType, "deviceType不能为空"}} {
				if strings.TrimSpace(f.v) == "" {
					missing = append(missing, f.msg)
				}
			}
			if len(missing) > 0 {
				return javaValidate(missing...), nil
			}
			if !imServers(in.ImServer) {
				return javaInvalid, nil
			}
			if in.UserId != user {
				return nil, fail(http.StatusForbidden, "an IM token is for the logged-in user only")
			}
			out := java{"code": 200}
			if has(in.ImServer, imOld) {
				if tok, err := s.imToken(ctx, in.UserId, in.DeviceId, in.DeviceType); err == nil {
					out["aliyun_old_im"] = map[string]string{"access_token": tok, "refresh_token": tok}
				} else {
					s.log.Warn("aui live: IM token", "user", in.UserId, "err", err)
				}
			}
			if has(in.ImServer, imNew) && s.cfg.NewIM.AppID != "" {
				out["aliyun_new_im"] = s.cfg.NewIM.Token(in.UserId, in.Role, s.now())
			}
			return out, nil
		}
	case "create":
		return func(ctx context.Context, r *http.Request, user string) (any, error) {
			var in CreateRequest
			if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody)).Decode(&in); err != nil {
				return javaError, nil
			}
			var missing []string
			if strings.TrimSpace(in.Title) == "" {
				missing = append(missing, "title不能为空")
			}
			if strings.TrimSpace(in.Anchor) == "" {
				missing = append(missing, "anchor不能为空")
			}
			if len(missing) > 0 {
				return javaValidate(missing...), nil
			}
			if !imServers(in.ImServer) {
				return javaInvalid, nil
			}
			id := ""
			if has(in.ImServer, imOld) {
				var err error
				if id, err = s.createGroup(ctx, in.Anchor); err != nil {
					s.log.Warn("aui live: create group", "err", err)
					return javaError, nil
				}
			}
			if has(in.ImServer, imNew) {
				var err error
				if id, err = s.createNewGroup(ctx, cmpOr(id, newGroupID()), in.Anchor); err != nil || id == "" {
					s.log.Warn("aui live: create new IM group", "err", err)
					return javaError, nil
				}
			}
			room, err := s.createRoom(ctx, id, &in)
			if err != nil {
				return nil, err
			}
			return javaRoom(room), nil
		}
	}
	return nil
}

// javaRoom is a created room as the Java server answers it: code 200 and
// the room's fields, dates in UTC+8 without a zone, empty fields left out.
func javaRoom(r *Room) java {
	b, _ := json.Marshal(r)
	var m java
	_ = json.Unmarshal(b, &m)
	for k, v := range m {
		if v == "" || v == nil {
			delete(m, k)
		}
	}
	cst := time.FixedZone("GMT+8", 8*3600)
	for k, t := range map[string]time.Time{"created_at": r.CreatedAt, "updated_at": r.UpdatedAt, "started_at": r.StartedAt, "stopped_at": r.StoppedAt} {
		if t.IsZero() {
			delete(m, k)
		} else {
			m[k] = t.In(cst).Format("2006-01-02T15:04:05")
		}
	}
	if v, ok := m["meeting_info"]; ok {
		delete(m, "meeting_info")
		m["meetingInfo"] = v
	}
	delete(m, "vod_id")
	m["code"] = 200
	return m
}

// writeJava answers as the Java server's JSON mapper does (no HTML escapes).
func writeJava(w http.ResponseWriter, v java) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Fail answers a request the handler failed before answering (a panic).
func Fail(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusInternalServerError, &Status{Code: http.StatusInternalServerError, Message: "internal error"})
}

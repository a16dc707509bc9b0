package auilive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"sxb-edu/aui"
	"sxb-edu/store"
)

// Room states and modes, as the apps number them.
const (
	StatusPrepared = 0
	StatusStarted  = 1
	StatusStopped  = 2
	StatusPaused   = 3

	ModeNormal = 0
	ModeLink   = 1 // co-streaming
	ModePK     = 2
)

// Deps are what the front needs from the server.
type Deps struct {
	Store    *store.Store
	Accounts aui.Accounts
	// Key signs the login tokens (kept in the database).
	Key  []byte
	HTTP *http.Client
	Now  func() time.Time
	Log  *slog.Logger
}

// Service is the live-room logic of the AUI live front.
type Service struct {
	cfg    *Config
	st     *store.Store
	acc    aui.Accounts
	api    *aui.Client
	tokens *aui.Tokens
	now    func() time.Time
	log    *slog.Logger
	cache  cloudCache
}

// New builds the front's service.
func New(cfg *Config, d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	keys := [][]byte{d.Key}
	if cfg.JWTKey != "" {
		keys = append(keys, []byte(cfg.JWTKey))
	}
	return &Service{cfg: cfg, st: d.Store, acc: d.Accounts, now: now, log: d.Log,
		api:    &aui.Client{Cfg: cfg.OpenAPI, HTTP: d.HTTP, Now: now},
		tokens: &aui.Tokens{Keys: keys, Timeout: cfg.JWTTimeout, Now: now},
		cache:  cloudCache{m: map[string]cached{}}}
}

// Room is a live room as the apps read it.
type Room struct {
	ID          string          `json:"id"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	StartedAt   time.Time       `json:"started_at"`
	StoppedAt   time.Time       `json:"stopped_at"`
	Title       string          `json:"title"`
	Notice      string          `json:"notice"`
	CoverURL    string          `json:"cover_url"`
	AnchorID    string          `json:"anchor_id"`
	AnchorNick  string          `json:"anchor_nick"`
	Extends     string          `json:"extends"`
	Status      int             `json:"status"`
	Mode        int             `json:"mode"`
	ChatID      string          `json:"chat_id"`
	MeetingID   string          `json:"meeting_id"`
	VodID       string          `json:"vod_id"`
	MeetingInfo string          `json:"meeting_info"`
	Metrics     *Metrics        `json:"metrics,omitempty"`
	UserStatus  *UserStatus     `json:"user_status,omitempty"`
	Push        *aui.Push       `json:"push_url_info,omitempty"`
	Pull        *aui.Pull       `json:"pull_url_info,omitempty"`
	Link        *LinkInfo       `json:"link_info,omitempty"`
	stored      *store.LiveRoom `json:"-"`
}

// Metrics are a room's audience figures from the IM group.
type Metrics struct {
	OnlineCount uint64 `json:"online_count"`
	LikeCount   uint64 `json:"like_count"`
	PV          uint64 `json:"pv"`
	UV          uint64 `json:"uv"`
}

// UserStatus is the requesting user's mute state in the room's group.
type UserStatus struct {
	Mute       bool     `json:"mute"`
	MuteSource []string `json:"mute_source"`
}

// LinkInfo are a co-streaming room's URLs.
type LinkInfo struct {
	RTCPushURL  string    `json:"rtc_push_url"`
	RTCPullURL  string    `json:"rtc_pull_url"`
	CDNPullInfo *aui.Pull `json:"cdn_pull_info"`
}

// MeetingMember is one co-streaming member as the apps upload it.
type MeetingMember struct {
	UserID       string `json:"user_id"`
	UserNick     string `json:"user_nick"`
	UserAvatar   string `json:"user_avatar"`
	CameraOpened bool   `json:"camera_opened"`
	MicOpened    bool   `json:"mic_opened"`
	RTCPullURL   string `json:"rtc_pull_url"`
}

// MeetingInfo is a room's co-streaming list.
type MeetingInfo struct {
	Members []MeetingMember `json:"members"`
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func roomOf(r *store.LiveRoom) *Room {
	return &Room{ID: r.ID, CreatedAt: msTime(r.CreatedMS), UpdatedAt: msTime(r.UpdatedMS),
		StartedAt: msTime(r.StartedMS), StoppedAt: msTime(r.StopMS), Title: r.Title, Notice: r.Notice,
		CoverURL: r.CoverURL, AnchorID: r.AnchorID, AnchorNick: r.AnchorNick, Extends: r.Extends,
		Status: r.Status, Mode: r.Mode, ChatID: r.ChatID, MeetingID: r.MeetingID, VodID: r.VodID,
		MeetingInfo: r.MeetingInfo, stored: r}
}

// failure is an error answered with a status and message of its own.
type failure struct {
	status int
	msg    string
	err    error // the cause, logged
}

func (f *failure) Error() string { return f.msg }

func fail(status int, format string, args ...any) *failure {
	return &failure{status: status, msg: fmt.Sprintf(format, args...)}
}

// notFound is the reference's answer for a room that is not there.
var notFound = fail(http.StatusInternalServerError, "get record failed. err: record not found")

func (s *Service) room(ctx context.Context, id string) (*store.LiveRoom, error) {
	r, err := s.st.LiveRoom(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, &failure{status: http.StatusInternalServerError, msg: "get record failed", err: err}
	}
	return r, nil
}

// newGroupID makes a room id where no IM group is made (no cloud keys).
func newGroupID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// createGroup makes the room's IM group in the cloud: its id is the room's.
func (s *Service) createGroup(ctx context.Context, anchor string) (string, error) {
	if !s.cfg.OpenAPI.Configured() {
		return newGroupID(), nil
	}
	var out struct{ Result struct{ GroupId string } }
	if err := s.api.Call(ctx, "CreateMessageGroup", map[string]string{"AppId": s.cfg.IMAppID, "CreatorId": anchor}, &out); err != nil {
		return "", &failure{status: http.StatusInternalServerError, msg: err.Error(), err: err}
	}
	if out.Result.GroupId == "" {
		return "", fail(http.StatusInternalServerError, "create message group failed")
	}
	return out.Result.GroupId, nil
}

// createNewGroup makes the room's group in the newer IM service.
func (s *Service) createNewGroup(ctx context.Context, id, anchor string) (string, error) {
	if !s.cfg.OpenAPI.Configured() {
		return id, nil
	}
	var out struct{ GroupId string }
	err := s.api.Call(ctx, "CreateLiveMessageGroup", map[string]string{"AppId": s.cfg.NewIM.AppID, "GroupId": id, "CreatorId": anchor}, &out)
	if err != nil {
		return "", err
	}
	return out.GroupId, nil
}

// CreateRoom stores a new room whose id is its IM group's.
func (s *Service) createRoom(ctx context.Context, id string, in *CreateRequest) (*Room, error) {
	now := s.now()
	r := &store.LiveRoom{ID: id, ChatID: id, CreatedMS: now.UnixMilli(), UpdatedMS: now.UnixMilli(),
		Title: in.Title, Notice: in.Notice, CoverURL: in.CoverUrl, AnchorID: in.Anchor, AnchorNick: in.AnchorNick,
		Extends: in.Extends}
	if in.Mode > ModeNormal {
		r.Mode, r.MeetingID = in.Mode, aui.UUID()
	}
	if err := s.st.CreateLiveRoom(ctx, r); err != nil {
		return nil, &failure{status: http.StatusInternalServerError, msg: "create room failed", err: err}
	}
	out := roomOf(r)
	unix := now.Unix()
	if r.Mode == ModeLink {
		out.Link = s.link(r, in.Anchor, unix)
	}
	push := s.cfg.Stream.PushURLs(s.cfg.Stream.AppName, r.ID, unix)
	pull := s.cfg.Stream.PullURLs(s.cfg.Stream.AppName, r.ID, unix)
	out.Push, out.Pull = &push, &pull
	return out, nil
}

// link are the co-streaming URLs of user in r (valid a day), and the
// CDN URLs of the anchor's mixed stream.
func (s *Service) link(r *store.LiveRoom, user string, now int64) *LinkInfo {
	ts := now + 24*3600
	cdn := s.cfg.Stream.PullURLs("live", s.cfg.Mic.MixStream(r.MeetingID, r.AnchorID), now)
	return &LinkInfo{RTCPushURL: s.cfg.Mic.RTCURL("push", r.MeetingID, user, ts),
		RTCPullURL: s.cfg.Mic.RTCURL("play", r.MeetingID, user, ts), CDNPullInfo: &cdn}
}

// view is a room as user sees it: URLs for the anchor, the audience's
// figures from the IM group.
func (s *Service) view(ctx context.Context, r *store.LiveRoom, user string) *Room {
	out := roomOf(r)
	if out.ChatID == "" {
		out.ChatID = r.ID
	}
	unix := s.now().Unix()
	if r.Mode >= ModeLink {
		out.Link = s.link(r, user, unix)
	}
	if r.Status != StatusStopped {
		if r.AnchorID == user {
			push := s.cfg.Stream.PushURLs(s.cfg.Stream.AppName, r.ID, unix)
			out.Push = &push
		}
		pull := s.cfg.Stream.PullURLs(s.cfg.Stream.AppName, r.ID, unix)
		out.Pull = &pull
	}
	out.Metrics, out.UserStatus = s.groupDetails(ctx, out.ChatID, user)
	return out
}

// owned refuses a change of r by anyone but its anchor.
func owned(r *store.LiveRoom, user, what string) error {
	if r.AnchorID != user {
		return fail(http.StatusForbidden, "only the anchor of room %s may %s it", r.ID, what)
	}
	return nil
}

// change runs fn on a room its anchor changes, and answers the room as stored.
func (s *Service) change(ctx context.Context, id, user, what string, fn func(*store.LiveRoom)) (*Room, error) {
	r, err := s.st.UpdateLiveRoom(ctx, id, func(r *store.LiveRoom) error {
		if err := owned(r, user, what); err != nil {
			return err
		}
		fn(r)
		r.UpdatedMS = s.now().UnixMilli()
		return nil
	})
	if err != nil {
		return nil, updateFailure(err)
	}
	return roomOf(r), nil
}

// updateFailure answers a failed change of a room.
func updateFailure(err error) error {
	var f *failure
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound
	case errors.As(err, &f):
		return f
	}
	return &failure{status: http.StatusInternalServerError, msg: "update room failed", err: err}
}

func (s *Service) meeting(r *store.LiveRoom) (*MeetingInfo, error) {
	if r.Mode != ModeLink {
		return nil, fail(http.StatusInternalServerError, "unsupported live mode: %d", r.Mode)
	}
	m := &MeetingInfo{}
	if r.MeetingInfo != "" {
		if err := json.Unmarshal([]byte(r.MeetingInfo), m); err != nil {
			return nil, &failure{status: http.StatusInternalServerError, msg: err.Error(), err: err}
		}
	}
	return m, nil
}

// imToken asks the IM service for user's token on a device.
func (s *Service) imToken(ctx context.Context, user, device, deviceType string) (string, error) {
	if !s.cfg.OpenAPI.Configured() {
		return "", fail(http.StatusInternalServerError, "IM tokens need the openapi keys of aui_live (not configured)")
	}
	var out struct{ Result struct{ AccessToken string } }
	err := s.api.Call(ctx, "GetMessageToken", map[string]string{"AppId": s.cfg.IMAppID, "DeviceId": device,
		"DeviceType": deviceType, "UserId": user}, &out)
	if err != nil {
		return "", &failure{status: http.StatusInternalServerError, msg: err.Error(), err: err}
	}
	return out.Result.AccessToken, nil
}

// groupDetails are a group's figures and user's mute state, from the
// cloud through a short cache (a list page would otherwise make two
// calls a room); nil when the cloud is not configured or fails.
func (s *Service) groupDetails(ctx context.Context, group, user string) (*Metrics, *UserStatus) {
	if !s.cfg.OpenAPI.Configured() {
		return nil, nil
	}
	now := s.now()
	m, ok := s.cache.get("m\x00"+group, now).(*Metrics)
	if !ok {
		var out struct {
			Result struct {
				LikeCount, OnlineCount int64
				PV                     int64 `json:"PV"`
				UV                     int64 `json:"UV"`
			}
		}
		if err := s.api.Call(ctx, "GetGroupStatistics", map[string]string{"AppId": s.cfg.IMAppID, "GroupId": group}, &out); err != nil {
			s.log.Warn("aui live: group statistics", "group", group, "err", err)
			return nil, nil
		}
		m = &Metrics{OnlineCount: uint64(max(out.Result.OnlineCount, 0)), LikeCount: uint64(max(out.Result.LikeCount, 0)),
			PV: uint64(max(out.Result.PV, 0)), UV: uint64(max(out.Result.UV, 0))}
		s.cache.put("m\x00"+group, m, now)
	}
	u, ok := s.cache.get("u\x00"+group+"\x00"+user, now).(*UserStatus)
	if !ok {
		var out struct {
			Result struct {
				UserList []struct {
					IsMute bool
					MuteBy []string
				}
			}
		}
		err := s.api.Call(ctx, "ListMessageGroupUserById", map[string]string{"AppId": s.cfg.IMAppID, "GroupId": group, "UserIdList": user}, &out)
		if err != nil {
			s.log.Warn("aui live: group user", "group", group, "err", err)
			return nil, nil
		}
		u = &UserStatus{}
		if len(out.Result.UserList) > 0 {
			u.Mute, u.MuteSource = out.Result.UserList[0].IsMute, out.Result.UserList[0].MuteBy
		}
		s.cache.put("u\x00"+group+"\x00"+user, u, now)
	}
	return m, u
}

// cloudTTL is how long the cloud's figures are reused: they are the
// audience's (online count, likes), never a write of this server.
const cloudTTL = 5 * time.Second

// cloudMax bounds the cache; past it the cache starts over.
const cloudMax = 50000

type cached struct {
	v   any
	exp time.Time
}

type cloudCache struct {
	mu sync.Mutex
	m  map[string]cached
}

func (c *cloudCache) get(k string, now time.Time) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.exp) {
		return nil
	}
	return e.v
}

func (c *cloudCache) put(k string, v any, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cloudMax {
		clear(c.m)
	}
	c.m[k] = cached{v: v, exp: now.Add(cloudTTL)}
}

// AdminStop ends a live room for a console operator (any anchor's).
func (s *Service) AdminStop(ctx context.Context, id string) (*store.LiveRoom, error) {
	r, err := s.st.UpdateLiveRoom(ctx, id, func(r *store.LiveRoom) error {
		now := s.now().UnixMilli()
		r.Status, r.StopMS, r.UpdatedMS = StatusStopped, now, now
		return nil
	})
	if err == nil {
		s.log.Info("aui live: room stopped by an operator", "room", id)
	}
	return r, err
}

// Members are a room's co-streaming list (the console's view).
func Members(r *store.LiveRoom) []MeetingMember {
	var m MeetingInfo
	_ = json.Unmarshal([]byte(r.MeetingInfo), &m)
	return m.Members
}

package auiclass

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sxb-edu/aui"
	"sxb-edu/store"
)

// Member identities and states, class states, IM message types, as the
// apps number them.
const (
	Student   = 1
	Assistant = 2
	Teacher   = 3

	Present = 1
	Left    = 2
	Kicked  = 3

	StatusPrepared = 0
	StatusStarted  = 1
	StatusStopped  = 2

	msgJoin  = 11001
	msgLeave = 11002
	msgKick  = 11003
)

// kickFor is how long a kick keeps a member out.
const kickFor = 365 * 24 * time.Hour

// Deps are what the front needs from the server.
type Deps struct {
	Store    *store.Store
	Accounts aui.Accounts
	Key      []byte // signs the login tokens (kept in the database)
	HTTP     *http.Client
	Now      func() time.Time
	Log      *slog.Logger
}

// Service is the classroom logic of the AUI class front.
type Service struct {
	cfg    *Config
	st     *store.Store
	acc    aui.Accounts
	api    *aui.Client
	http   *http.Client
	tokens *aui.Tokens
	now    func() time.Time
	log    *slog.Logger
}

// New builds the front's service.
func New(cfg *Config, d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	keys := [][]byte{d.Key}
	if cfg.JWTKey != "" {
		keys = append(keys, JJWTKey(cfg.JWTKey))
	}
	hc := d.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	return &Service{cfg: cfg, st: d.Store, acc: d.Accounts, now: now, log: d.Log, http: hc,
		api:    &aui.Client{Cfg: cfg.OpenAPI, HTTP: hc, Now: now},
		tokens: &aui.Tokens{Keys: keys, Timeout: cfg.JWTTimeout, Now: now}}
}

// classView is a class as the apps read it.
type classView struct {
	ID             string      `json:"id"`
	Boards         string      `json:"boards,omitempty"`
	CreatedAt      *jdate      `json:"created_at,omitempty"`
	UpdatedAt      *jdate      `json:"updated_at,omitempty"`
	Title          string      `json:"title,omitempty"`
	Extends        string      `json:"extends,omitempty"`
	Status         int         `json:"status"`
	Mode           int64       `json:"mode"`
	AliyunID       string      `json:"aliyun_id,omitempty"`
	Notice         string      `json:"notice,omitempty"`
	MeetingID      string      `json:"meeting_id,omitempty"`
	CoverURL       string      `json:"cover_url,omitempty"`
	TeacherID      string      `json:"teacher_id,omitempty"`
	TeacherNick    string      `json:"teacher_nick,omitempty"`
	MeetingInfo    string      `json:"meetingInfo,omitempty"`
	StartedAt      *jdate      `json:"started_at,omitempty"`
	StoppedAt      *jdate      `json:"stopped_at,omitempty"`
	UserStatus     *userStatus `json:"user_status,omitempty"`
	LinkInfo       *linkInfo   `json:"link_info,omitempty"`
	ShadowLinkInfo *linkInfo   `json:"shadow_link_info,omitempty"`
	Metrics        *metrics    `json:"metrics,omitempty"`
	Assistant      *memberView `json:"assistantPermit,omitempty"`
}

type userStatus struct {
	Mute       bool     `json:"mute"`
	MuteSource []string `json:"mute_source,omitempty"`
}

type metrics struct {
	LikeCount   int64 `json:"like_count"`
	OnlineCount int64 `json:"online_count"`
	PV          int64 `json:"pv"`
	UV          int64 `json:"uv"`
}

type linkInfo struct {
	RTCPushURL  string    `json:"rtc_push_url"`
	RTCPullURL  string    `json:"rtc_pull_url"`
	CDNPullInfo *pullInfo `json:"cdn_pull_info"`
}

// pullInfo are the CDN URLs of a co-streaming class: the teacher's
// camera and shared screen, each with and without the original audio.
type pullInfo struct {
	RTMP             string `json:"rtmp_url"`
	RTS              string `json:"rts_url"`
	FLV              string `json:"flv_url"`
	HLS              string `json:"hls_url"`
	RTMPOriaac       string `json:"rtmp_oriaac_url"`
	RTSOriaac        string `json:"rts_oriaac_url"`
	FLVOriaac        string `json:"flv_oriaac_url"`
	HLSOriaac        string `json:"hls_oriaac_url"`
	RTMPScreen       string `json:"rtmp_screen_url"`
	RTSScreen        string `json:"rts_screen_url"`
	FLVScreen        string `json:"flv_screen_url"`
	HLSScreen        string `json:"hls_screen_url"`
	RTMPScreenOriaac string `json:"rtmp_screen_oriaac_url"`
	RTSScreenOriaac  string `json:"rts_screen_oriaac_url"`
	FLVScreenOriaac  string `json:"flv_screen_oriaac_url"`
	HLSScreenOriaac  string `json:"hls_screen_oriaac_url"`
}

type memberView struct {
	ClassID    string `json:"class_id,omitempty"`
	UserID     string `json:"user_id"`
	UserName   string `json:"user_name,omitempty"`
	UserAvatar string `json:"user_avatar,omitempty"`
	Identity   int    `json:"identity"`
	Status     int    `json:"status"`
	JoinTime   *jdate `json:"join_time,omitempty"`
}

func memberOf(m *store.AUIClassMember, withClass bool) *memberView {
	v := &memberView{UserID: m.UserID, UserName: m.UserName, UserAvatar: m.UserAvatar, Identity: m.Identity,
		Status: m.Status, JoinTime: date(m.CreatedMS)}
	if withClass {
		v.ClassID = m.ClassID
	}
	return v
}

func viewOf(c *store.AUIClass) *classView {
	return &classView{ID: c.ID, Boards: c.Boards, CreatedAt: date(c.CreatedMS), UpdatedAt: date(c.UpdatedMS),
		Title: c.Title, Extends: c.Extends, Status: c.Status, Mode: c.Mode, AliyunID: c.AliyunID, Notice: c.Notice,
		MeetingID: c.MeetingID, CoverURL: c.CoverURL, TeacherID: c.TeacherID, TeacherNick: c.TeacherNick,
		MeetingInfo: c.MeetingInfo, StartedAt: date(c.StartedMS), StoppedAt: date(c.StopMS)}
}

// pull signs the CDN URLs of stream and its shared screen.
func (s *Service) pull(stream, screen string, now int64) *pullInfo {
	st := &s.cfg.Stream
	exp := now + st.AuthExpires
	one := func(name string) (rtmp, rts, flv, hls string) {
		path := "/live/" + name // the co-streaming mix is always in app "live"
		host := st.PullDomain + path
		k := aui.AuthKey(path, st.PullAuthKey, exp)
		return "rtmp://" + host + "?auth_key=" + k, "artc://" + host + "?auth_key=" + k,
			st.Scheme + "://" + host + ".flv?auth_key=" + aui.AuthKey(path+".flv", st.PullAuthKey, exp),
			st.Scheme + "://" + host + ".m3u8?auth_key=" + aui.AuthKey(path+".m3u8", st.PullAuthKey, exp)
	}
	p := &pullInfo{}
	p.RTMP, p.RTS, p.FLV, p.HLS = one(stream)
	p.RTMPOriaac, p.RTSOriaac, p.FLVOriaac, p.HLSOriaac = one(stream + "_oriaac")
	p.RTMPScreen, p.RTSScreen, p.FLVScreen, p.HLSScreen = one(screen)
	p.RTMPScreenOriaac, p.RTSScreenOriaac, p.FLVScreenOriaac, p.HLSScreenOriaac = one(screen + "_oriaac")
	return p
}

// link are the co-streaming URLs of user in the meeting (valid a day)
// and the CDN URLs of the teacher's streams.
func (s *Service) link(meeting, user, teacher string, now int64) *linkInfo {
	m := &s.cfg.Mic
	ts := now + 24*3600
	return &linkInfo{RTCPushURL: m.RTCURL("push", meeting, user, ts), RTCPullURL: m.RTCURL("play", meeting, user, ts),
		CDNPullInfo: s.pull(m.MixStream(meeting, teacher), fmt.Sprintf("%s_%s_%s_shareScreen", m.AppID, meeting, teacher), now)}
}

// view is a class as user reads it: the co-streaming URLs are user's.
func (s *Service) view(ctx context.Context, c *store.AUIClass, user string) *classView {
	v := viewOf(c)
	now := s.now().Unix()
	v.LinkInfo = s.link(c.MeetingID, user, c.TeacherID, now)
	v.ShadowLinkInfo = s.link(c.MeetingID, user+"_shadow", c.TeacherID+"_shadow", now)
	if s.cfg.OpenAPI.Configured() && c.AliyunID != "" {
		var st struct{ Result *metrics }
		var raw struct {
			Result struct{ LikeCount, OnlineCount, PV, UV int64 }
		}
		if err := s.api.Call(ctx, "GetGroupStatistics", map[string]string{"AppId": s.cfg.IMAppID, "GroupId": c.AliyunID}, &raw); err == nil {
			st.Result = &metrics{LikeCount: raw.Result.LikeCount, OnlineCount: raw.Result.OnlineCount, PV: raw.Result.PV, UV: raw.Result.UV}
			v.Metrics = st.Result
		} else {
			s.log.Warn("aui class: group statistics", "class", c.ID, "err", err)
		}
		var users struct {
			Result struct {
				UserList []struct {
					IsMute bool
					MuteBy []string
				}
			}
		}
		list, _ := json.Marshal([]string{c.TeacherID})
		if err := s.api.Call(ctx, "ListMessageGroupUserById", map[string]string{"AppId": s.cfg.IMAppID, "GroupId": c.AliyunID,
			"UserIdList": string(list)}, &users); err == nil && len(users.Result.UserList) > 0 {
			v.UserStatus = &userStatus{Mute: users.Result.UserList[0].IsMute, MuteSource: users.Result.UserList[0].MuteBy}
		} else if err != nil {
			s.log.Warn("aui class: group user", "class", c.ID, "err", err)
		}
	}
	if a, err := s.st.AUIClassAssistant(ctx, c.ID); err == nil {
		v.Assistant = memberOf(a, true)
	}
	return v
}

// createGroup makes the class's group in the IM services named (their
// v1 or v2 names); it answers the group id and which IMs have it.
func (s *Service) createGroup(ctx context.Context, teacher string, old, nw bool) (string, error) {
	id := ""
	if old {
		if !s.cfg.OpenAPI.Configured() {
			id = localID()
		} else {
			var out struct{ Result struct{ GroupId string } }
			err := s.api.Call(ctx, "CreateMessageGroup", map[string]string{"AppId": s.cfg.IMAppID, "CreatorId": teacher}, &out)
			if err != nil || out.Result.GroupId == "" {
				s.log.Warn("aui class: create group", "teacher", teacher, "err", err)
				return "", fmt.Errorf("aliyun createMessageGroup error. teacher: %s", teacher)
			}
			id = out.Result.GroupId
		}
	}
	if nw {
		if id == "" {
			id = localID()
		}
		if s.cfg.OpenAPI.Configured() {
			var out struct{ GroupId string }
			err := s.api.Call(ctx, "CreateLiveMessageGroup", map[string]string{"AppId": s.cfg.NewIM.AppID, "GroupId": id, "CreatorId": teacher}, &out)
			if err != nil || out.GroupId == "" {
				s.log.Warn("aui class: create new IM group", "teacher", teacher, "err", err)
				return "", fmt.Errorf("aliyun createLiveMessageGroup error. teacher: %s", teacher)
			}
			id = out.GroupId
		}
	}
	return id, nil
}

func localID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// notify tells the class's IM group(s) of a member's join, leave or kick.
func (s *Service) notify(ctx context.Context, c *store.AUIClass, typ int, m *store.AUIClassMember) {
	if !s.cfg.OpenAPI.Configured() || c.AliyunID == "" {
		return
	}
	body, _ := json.Marshal(memberOf(m, true))
	if strings.Contains(c.IM, "old") {
		var out any
		if err := s.api.Call(ctx, "SendMessageToGroup", map[string]string{"AppId": s.cfg.IMAppID, "GroupId": c.AliyunID,
			"Type": strconv.Itoa(typ), "Data": string(body), "OperatorUserId": "System", "SkipAudit": "true"}, &out); err != nil {
			s.log.Warn("aui class: group message", "class", c.ID, "type", typ, "err", err)
		}
	}
	if strings.Contains(c.IM, "new") {
		var out any
		if err := s.api.Call(ctx, "SendLiveMessageGroup", map[string]string{"AppId": s.cfg.NewIM.AppID, "GroupId": c.AliyunID,
			"SenderId": m.UserID, "Body": string(body), "MsgType": strconv.Itoa(typ)}, &out); err != nil {
			s.log.Warn("aui class: new IM group message", "class", c.ID, "type", typ, "err", err)
		}
	}
}

// boardAuth is a whiteboard request's authentication.
type boardAuth struct {
	Nonce    string `json:"nonce"`
	CurTime  int64  `json:"curTime"`
	Checksum string `json:"checksum"`
}

// whiteboardAuth signs for NetEase's whiteboard: checksum is
// sha1(appSecret + nonce + curTime), curTime in whole seconds.
func (s *Service) whiteboardAuth() boardAuth {
	nonce := localID()
	cur := s.now().Unix()
	sum := sha1.Sum([]byte(s.cfg.Whiteboard.AppSecret + nonce + strconv.FormatInt(cur, 10)))
	return boardAuth{Nonce: nonce, CurTime: cur, Checksum: hex.EncodeToString(sum[:])}
}

// boardError is NetEase refusing a whiteboard room.
type boardError struct {
	code int
	msg  string
}

func (e *boardError) Error() string { return e.msg }

// createBoard makes the class's whiteboard room: the JSON kept as the
// class's boards.
func (s *Service) createBoard(ctx context.Context, channel, title string) (string, error) {
	if !s.cfg.Whiteboard.On() {
		return "", nil
	}
	uid := s.now().Unix()
	body, _ := json.Marshal(map[string]any{"channelName": channel, "mode": 2, "uid": uid, "persistent": true,
		"channelDestroyTime": uid + s.cfg.Whiteboard.DestroyAfter, "platform": 2})
	var out struct {
		Code   int    `json:"code"`
		Cid    any    `json:"cid"`
		Msg    string `json:"msg"`
		Errmsg string `json:"errmsg"`
	}
	if err := s.board(ctx, http.MethodPost, "/v2/api/room", body, &out); err != nil {
		return "", err
	}
	if out.Code != 200 {
		return "", &boardError{out.Code, out.Msg + out.Errmsg}
	}
	cid := fmt.Sprint(out.Cid)
	b, _ := json.Marshal(struct {
		AppKey     string `json:"appKey"`
		BoardID    string `json:"boardId"`
		BoardTitle string `json:"boardTitle"`
		Cid        string `json:"cid"`
		Code       int    `json:"code"`
		Message    string `json:"message,omitempty"`
		UID        int64  `json:"uid"`
	}{s.cfg.Whiteboard.AppKey, channel, title, cid, 200, out.Msg, uid})
	return string(b), nil
}

// deleteBoard removes a class's whiteboard room (boards is its JSON).
func (s *Service) deleteBoard(ctx context.Context, boards string) {
	var b struct{ Cid string }
	if !s.cfg.Whiteboard.On() || json.Unmarshal([]byte(boards), &b) != nil || b.Cid == "" {
		return
	}
	if err := s.board(ctx, http.MethodDelete, "/v2/api/rooms/"+b.Cid, nil, nil); err != nil {
		s.log.Warn("aui class: delete whiteboard room", "cid", b.Cid, "err", err)
	}
}

func (s *Service) board(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(s.cfg.Whiteboard.Endpoint, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	a := s.whiteboardAuth()
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("AppKey", s.cfg.Whiteboard.AppKey)
	req.Header.Set("Nonce", a.Nonce)
	req.Header.Set("CurTime", strconv.FormatInt(a.CurTime, 10))
	req.Header.Set("CheckSum", a.Checksum)
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("whiteboard %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if out == nil {
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("whiteboard %s: HTTP %d", path, resp.StatusCode)
		}
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("whiteboard %s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	return nil
}

// imToken asks the IM service for user's token on a device.
func (s *Service) imToken(ctx context.Context, user, device, deviceType string) (access, refresh string, err error) {
	if !s.cfg.OpenAPI.Configured() {
		return "", "", errors.New("no openapi keys")
	}
	var out struct {
		Result struct{ AccessToken, RefreshToken string }
	}
	err = s.api.Call(ctx, "GetMessageToken", map[string]string{"AppId": s.cfg.IMAppID, "DeviceId": device,
		"DeviceType": deviceType, "UserId": user}, &out)
	return out.Result.AccessToken, out.Result.RefreshToken, err
}

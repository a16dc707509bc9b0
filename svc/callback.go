package svc

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"sxb-edu/sig"
	"sxb-edu/store"
)

// RecReply is the only answer of reccall.
type RecReply struct {
	Code int `json:"code"`
}

// IdxReply is the answer of idxfileendcall, success or not.
type IdxReply struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    int    `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
}

var errNoCallbackKey = fmt.Errorf("%w: no callback_key is configured", ErrForbidden)

// webURL reports whether u is an absolute http(s) URL: what a recording or
// a replay index may point at (never javascript: or a local path).
func webURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// VerifyCallback checks Tencent's callback signature when a callback key
// is configured: sign = hex md5(key + t), and t (the expiry) not past.
func (s *Service) VerifyCallback(b Body) error {
	key := s.Cfg.CallbackKey
	if key == "" {
		if s.Cfg.AllowUnsignedCallbacks {
			return nil
		}
		return errNoCallbackKey
	}
	var t int64
	switch v := b["t"].(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return ErrForbidden
		}
		t = n
	default:
		n, ok := IsInt(v)
		if !ok {
			return ErrForbidden
		}
		t = n
	}
	got, _ := b.Str("sign")
	sum := md5.Sum([]byte(key + strconv.FormatInt(t, 10)))
	want := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) != 1 || t < s.now() {
		return ErrForbidden
	}
	return nil
}

// RecCall stores a finished recording (event 100) and announces it to the
// room. A callback that can never be stored (malformed, an unknown user
// or room) is answered {"code":0} as the reference did, and logged; one
// that was not stored for a fault of the server (the database, IM) is
// answered {"code":90000}, so that the sender retries: what is
// acknowledged is stored (a deviation: the reference acknowledged both).
func (s *Service) RecCall(ctx context.Context, r *Req) (any, error) {
	if err := s.VerifyCallback(r.Body); err != nil {
		return nil, err
	}
	err := s.recCall(ctx, r.Body)
	var bad malformed
	var refused *sig.ServiceError
	switch {
	case err == nil:
	case errors.As(err, &bad), errors.Is(err, store.ErrNotFound), errors.As(err, &refused):
		// Sending it again would meet the same answer (IM refused the
		// announcement as the reference's IM did: not stored).
		s.Log.Warn("reccall ignored", "err", err)
	default:
		s.Log.Error("reccall not stored: answered a failure so that it is sent again", "err", err)
		return RecReply{Code: CodeServer}, nil
	}
	return RecReply{}, nil
}

// malformed is a callback that can never be stored.
type malformed string

func (m malformed) Error() string { return string(m) }

// maxVideoID bounds a recording's video_id (VOD file ids are 19 digits).
const maxVideoID = 255

func (s *Service) recCall(ctx context.Context, b Body) error {
	ev, ok := b.Int("event_type")
	if !ok {
		return malformed("event_type missing or not int")
	}
	if _, ok := b.Str("stream_id"); !ok {
		return malformed("stream_id missing or not string")
	}
	if ev != 100 {
		return nil
	}
	rec := store.Recording{}
	ints := []struct {
		k string
		v *int64
	}{{"start_time", &rec.StartTime}, {"end_time", &rec.EndTime}, {"media_start_time", &rec.MediaStartTime},
		{"file_size", &rec.Size}, {"duration", &rec.Length}}
	for _, f := range ints {
		n, ok := b.Int(f.k)
		if !ok {
			return malformed(f.k + " missing or not int")
		}
		*f.v = n
	}
	var ok1, ok2 bool
	rec.VideoID, ok1 = b.Str("video_id")
	rec.VideoURL, ok2 = b.Str("video_url")
	if !ok1 || !ok2 {
		return malformed("video_id or video_url missing or not string")
	}
	if len(rec.VideoID) > maxVideoID {
		return malformed("video_id is longer than 255 bytes")
	}
	if !webURL(rec.VideoURL) {
		return malformed("video_url is not an http(s) URL")
	}
	param, _ := b.Str("stream_param")
	q, err := url.ParseQuery(param)
	if err != nil || q.Get("groupid") == "" || !q.Has("userid") {
		return malformed("stream_param lacks groupid or userid")
	}
	uidRaw, err := base64.StdEncoding.DecodeString(q.Get("userid"))
	if err != nil {
		uidRaw, err = base64.RawStdEncoding.DecodeString(q.Get("userid"))
	}
	if err != nil {
		return malformed("stream_param.userid is not base64")
	}
	uid := strings.TrimRight(string(uidRaw), "\n")
	user, err := s.Store.AccountByUID(ctx, uid)
	if err != nil {
		return err
	}
	rec.Uin = user.Uin
	rec.RoomID = Intval(q.Get("groupid"))
	unlock, err := s.lockRoom(ctx, rec.RoomID)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.Store.Room(ctx, rec.RoomID); err != nil {
		return err
	}
	value := map[string]any{
		"uid": uid, "start_time": rec.StartTime, "end_time": rec.EndTime,
		"media_start_time": rec.MediaStartTime, "file_size": rec.Size, "duration": rec.Length,
		"video_id": rec.VideoID, "video_url": rec.VideoURL,
	}
	seq, err := s.sendMsg(ctx, user.AppID, rec.RoomID, msgRecording, s.now(), value)
	if err != nil {
		return err
	}
	if err := s.Store.SaveRecording(ctx, rec, seq); err != nil {
		return err
	}
	s.event(ctx, "record", rec.RoomID, rec.Uin)
	return nil
}

// errNotTriggerable is the reference's answer when the replay index may
// not (or no longer) be requested.
const errNotTriggerable = "only now>can_trigger_replay_idx_time  and can_trigger_replay_idx_time>0 and trigger_replay_idx_time=0 can trigger replay idx"

func idxReply(code int, info string) (any, error) {
	return IdxReply{ActionStatus: "OK", ErrorCode: code, ErrorInfo: info}, nil
}

// IdxFileEndCall stores a replay index that is ready; the room becomes
// playable (state 3) even when the index failed (its code is stored).
func (s *Service) IdxFileEndCall(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	if err := s.VerifyCallback(b); err != nil {
		return nil, err
	}
	src, ok := b.Str("SrcRequest")
	if !ok {
		return idxReply(CodeReqData, "Lack of SrcRequest or Invalid")
	}
	var srcReq any
	if err := json.Unmarshal([]byte(src), &srcReq); err != nil {
		return idxReply(CodeReqData, "decode SrcRequest failed.")
	}
	var group string
	switch v := srcReq.(type) {
	case map[string]any:
		if group, ok = v["GroupId"].(string); !ok {
			return idxReply(CodeReqData, "Lack of SrcRequest.GroupId or Invalid")
		}
	case []any:
		return idxReply(CodeReqData, "Lack of SrcRequest.GroupId or Invalid")
	default:
		return idxReply(CodeReqData, "decode SrcRequest failed.")
	}
	code, ok := b.Int("ErrorCode")
	if !ok {
		return idxReply(CodeReqData, "Lack of ErrorCode or Invalid")
	}
	if _, ok := b.Str("ErrorInfo"); !ok {
		return idxReply(CodeReqData, "Lack of ErrorInfo or Invalid")
	}
	var fileURL string
	if code == 0 {
		idx, ok := b.Obj("ReplayIndex")
		if !ok {
			if _, list := b["ReplayIndex"].([]any); !list {
				return idxReply(CodeReqData, "Lack of ReplayIndex or Invalid")
			}
			idx = Body{} // a JSON list is a PHP array without these keys
		}
		if fileURL, ok = idx.Str("FileUrl"); !ok || !webURL(fileURL) {
			return idxReply(CodeReqData, "Lack of ReplayIndex.FileUrl or Invalid")
		}
		if _, ok := idx.Int("CreateTime"); !ok {
			return idxReply(CodeReqData, "Lack of ReplayIndex.CreateTime or Invalid")
		}
	}
	id := Intval(group)
	unlock, err := s.lockRoom(ctx, id)
	if err != nil {
		s.Log.Error("idxfileendcall", "room", id, "err", err)
		return idxReply(CodeServer, "Server internal error")
	}
	defer unlock()
	room, err := s.Store.Room(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return idxReply(CodeRoomNotExist, "get room info failed")
	}
	if err != nil {
		s.Log.Error("idxfileendcall", "room", id, "err", err)
		return idxReply(CodeServer, "Server internal error")
	}
	if room.State != store.StateEnded && room.State != store.StatePlayback {
		return idxReply(CodeRoomState, "course state error")
	}
	err = s.Store.ReplayIndexReady(ctx, id, fileURL, code, s.now())
	if errors.Is(err, store.ErrConflict) {
		return idxReply(CodeRoomState, "course state error")
	}
	if err != nil {
		s.Log.Error("idxfileendcall", "room", id, "err", err)
		return idxReply(CodeServer, "Server internal error: update room info failed")
	}
	return idxReply(CodeOK, "")
}

// MakeReplayIdx requests the replay index of an ended class (a Simple command, but
// with appid and roomnum required).
func (s *Service) MakeReplayIdx(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	if b.Empty("appid") {
		return nil, E(CodeReqData, "Lack of appid")
	}
	appid, ok := b.Int("appid")
	if !ok {
		return nil, E(CodeReqData, "Invalid appid")
	}
	id, err := roomNum(b, " Invalid roomnum")
	if err != nil {
		return nil, err
	}
	room, err := s.loadRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	if room.State != store.StateEnded {
		return nil, E(CodeRoomState, " only state=has_lived room can create replay idx file")
	}
	if room.AppID != appid {
		return nil, E(CodeReqData, "appid is diff from appid of the host.")
	}
	now := s.now()
	if room.CanTriggerTime == 0 || room.CanTriggerTime > now || room.TriggerTime != 0 {
		return nil, E(CodeRoomState, errNotTriggerable)
	}
	return nil, s.requestIndex(ctx, room)
}

// requestIndex asks the replay-index service for a room's index, at most
// once per room however many callers race (the claim is one UPDATE).
func (s *Service) requestIndex(ctx context.Context, room *store.Room) error {
	if s.Cfg.ReplayIndexURL == "" {
		return E(CodeSendIM, "replay index service not configured")
	}
	if _, ok := s.App(room.AppID); !ok {
		return E(CodeSendIM, "appid of the room is not configured")
	}
	now := s.now()
	err := s.Store.ClaimReplayIndex(ctx, room.ID, now)
	if errors.Is(err, store.ErrConflict) {
		return E(CodeRoomState, errNotTriggerable)
	}
	if err != nil {
		return internal("claim replay index", err)
	}
	users, err := s.Store.MemberHistory(ctx, room.ID, room.HostUin)
	if err != nil {
		return internal("get course member list fail", err)
	}
	req := sig.ReplayIndexReq{GroupID: room.GroupID, MsgSeqStart: room.StartSeq, MsgSeqEnd: room.EndSeq,
		MaxMsgSeqVideoEnd: room.LastRecSeq, UserList: make([]sig.ReplayUser, len(users))}
	for i, u := range users {
		req.UserList[i].Account = u
	}
	idx, callErr := s.IM.CreateReplayIndex(ctx, s.Cfg.ReplayIndexURL, s.imApp(room.AppID), req)
	var result int64 // the reference's inner codes: -2 no valid answer, -3 an error code
	var detail string
	if callErr != nil {
		result = -2
		var se *sig.ServiceError
		if errors.As(callErr, &se) {
			result = -3
			detail = fmt.Sprintf("code:%d,info:%s", se.Code, se.Info)
		} else {
			detail = "code:0,info:"
		}
		idx = &sig.ReplayIndex{}
	}
	if idx.FileURL != "" && !webURL(idx.FileURL) {
		s.Log.Warn("replay index service answered a url that is not http(s); ignored", "room", room.ID)
		idx.FileURL = ""
	}
	if err := s.Store.ReplayIndexRequested(ctx, room.ID, result, idx.FileURL, idx.CreateTime); err != nil {
		return internal("update room info failed", err)
	}
	if callErr != nil {
		s.Log.Warn("replay index request failed", "room", room.ID, "err", callErr)
		return &Error{Code: CodeSendIM, cause: callErr,
			Info: fmt.Sprintf("send req to replay idex server failed,inner code %d,idx server detail[%s]", result, detail)}
	}
	return nil
}

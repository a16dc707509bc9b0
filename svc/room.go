package svc

import (
	"context"
	"errors"
	"strconv"

	"sxb-edu/store"
)

// RoomData answers create.
type RoomData struct {
	RoomNum int64  `json:"roomnum"`
	GroupID string `json:"groupid"`
}

// loadRoom reads a room, 10100 when there is none.
func (s *Service) loadRoom(ctx context.Context, id int64) (*store.Room, error) {
	room, err := s.Store.Room(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, E(CodeRoomNotExist, "get room info failed")
	}
	if err != nil {
		return nil, internal("read room", err)
	}
	return room, nil
}

// Create makes a room (teachers only).
func (s *Service) Create(ctx context.Context, r *Req) (any, error) {
	if !r.Body.Has("title") {
		return nil, E(CodeReqData, "Lack of title")
	}
	title, ok := r.Body.Str("title")
	if !ok || len(title) > maxTitleLen {
		return nil, E(CodeReqData, " Invalid title")
	}
	var cover string
	if r.Body.Has("cover") {
		if cover, ok = r.Body.Str("cover"); !ok || len(cover) > maxCoverLen {
			return nil, E(CodeReqData, " Invalid cover")
		}
	}
	if r.User.Role != 1 {
		return nil, E(CodeNoPrivilege, "only teacher can create a course.")
	}
	id, err := s.Store.CreateRoom(ctx, &r.User.Account, title, cover, s.now())
	if err != nil {
		return nil, internal("create room fail", err)
	}
	return RoomData{RoomNum: id, GroupID: strconv.FormatInt(id, 10)}, nil
}

// teacherRoom loads a room and checks that the caller is its teacher.
func (s *Service) teacherRoom(ctx context.Context, r *Req, id int64, denied string) (*store.Room, error) {
	room, err := s.loadRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.User.Role != 1 || room.HostUin != r.User.Uin {
		return nil, E(CodeNoPrivilege, denied)
	}
	return room, nil
}

// StartCourse starts a created room.
func (s *Service) StartCourse(ctx context.Context, r *Req) (any, error) {
	id, err := roomNum(r.Body, " Invalid roomnum")
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	room, err := s.teacherRoom(ctx, r, id, " only the teacher who created the course can start it.")
	if err != nil {
		return nil, err
	}
	if room.State != store.StateCreated {
		return nil, E(CodeRoomState, " only state=created room can start a course")
	}
	seq, err := s.sendMsg(ctx, r.AppID, id, msgClassStart, r.TimeStamp, uidValue{r.User.UID})
	if err != nil {
		return nil, err
	}
	err = s.Store.StartRoom(ctx, id, r.User.Uin, seq, s.now())
	if errors.Is(err, store.ErrConflict) {
		return nil, E(CodeRoomState, " only state=created room can start a course")
	}
	if err != nil {
		return nil, internal("update room info failed", err)
	}
	s.event(ctx, "start", id, r.User.Uin)
	return nil, nil
}

// ExitRoom ends a living class (exitroom: the teacher ends it; a student
// leaves through ReportMemID).
func (s *Service) ExitRoom(ctx context.Context, r *Req) (any, error) {
	id, err := roomNum(r.Body, "Invalid roomnum")
	if err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, E(CodeReqData, "Invalid roomnum")
	}
	unlock, err := s.lockRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	room, err := s.teacherRoom(ctx, r, id, "only the teacher can end the course.")
	if err != nil {
		return nil, err
	}
	if room.State != store.StateLiving {
		return nil, E(CodeRoomState, "only state=living room can exit")
	}
	seq, err := s.sendMsg(ctx, r.AppID, id, msgClassEnd, r.TimeStamp, uidValue{r.User.UID})
	if err != nil {
		return nil, err
	}
	err = s.Store.EndRoom(ctx, id, seq, s.now(), seconds(s.Cfg.ReplayIdxDelay))
	if errors.Is(err, store.ErrConflict) {
		return nil, E(CodeRoomState, "only state=living room can exit")
	}
	if err != nil {
		return nil, internal("update room info failed", err)
	}
	s.event(ctx, "end", id, r.User.Uin)
	return nil, nil
}

// RoomList answers roomlist.
type RoomList struct {
	Total int64      `json:"total"`
	Rooms []RoomInfo `json:"rooms"`
}

// RoomInfo is a room as listed (document and reference fields both).
type RoomInfo struct {
	HostUID                string `json:"host_uid"`
	Title                  string `json:"title"`
	RoomNum                int64  `json:"roomnum"`
	State                  int    `json:"state"`
	GroupID                string `json:"groupid"`
	Cover                  string `json:"cover"`
	MemSize                int64  `json:"memsize"`
	BeginTime              int64  `json:"begin_time"`
	EndTime                int64  `json:"end_time"`
	BeginIMSeq             int64  `json:"begin_imseq"`
	EndIMSeq               int64  `json:"end_imseq"`
	PlaybackIdxURL         string `json:"playback_idx_url"`
	CanTriggerReplayIdx    int    `json:"can_trigger_replay_idx"`
	TriggerReplayIdxTime   int64  `json:"trigger_replay_idx_time"`
	TriggerReplayIdxResult int64  `json:"trigger_replay_idx_result"`
	ReplayIdxCreatedTime   int64  `json:"replay_idx_created_time"`
	ReplayIdxCreatedResult int64  `json:"replay_idx_created_result"`
	ReplayIdxURL           string `json:"replay_idx_url"`
}

// RoomList lists the rooms of the caller's appid.
func (s *Service) RoomList(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	index, size, err := page(b)
	if err != nil {
		return nil, err
	}
	f := store.RoomFilter{AppID: r.AppID, State: -1, Offset: index, Limit: size}
	if f.RoomID, err = optInt(b, "roomnum", "roomnum invalid"); err != nil {
		return nil, err
	}
	if f.From, err = optInt(b, "from_time", "from_time invalid"); err != nil {
		return nil, err
	}
	if f.To, err = optInt(b, "to_time", "to_time invalid"); err != nil {
		return nil, err
	}
	if f.From != 0 && f.To != 0 && f.From > f.To {
		return nil, E(CodeReqData, "from_time must less than to_time")
	}
	var hostUID string
	if b.Has("host_uid") {
		var ok bool
		if hostUID, ok = b.Str("host_uid"); !ok {
			return nil, E(CodeReqData, "host_uid invalid")
		}
	}
	if b.Has("state") {
		st, ok := b.Int("state")
		if !ok || st < store.StateCreated || st > store.StatePlayback {
			return nil, E(CodeReqData, "state invalid")
		}
		f.State = int(st)
	}
	if hostUID != "" {
		host, err := s.Store.AccountByUID(ctx, hostUID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, E(CodeUserNotExist, "check host_uid failed,msg:User not exist")
		}
		if err != nil {
			return nil, internal("read account", err)
		}
		if host.AppID != r.AppID {
			return nil, E(CodeReqData, "you and host_uid are from diff appid.")
		}
		f.HostUin = host.Uin
	}
	total, items, err := s.Store.Rooms(ctx, f)
	if err != nil {
		return nil, internal("list rooms", err)
	}
	now := s.now()
	out := RoomList{Total: total, Rooms: make([]RoomInfo, len(items))}
	for i, it := range items {
		can := 0
		if it.State == store.StateEnded && it.CanTriggerTime != 0 && it.CanTriggerTime+1 < now && it.TriggerTime == 0 {
			can = 1
		}
		out.Rooms[i] = RoomInfo{
			HostUID: it.HostUID, Title: it.Title, RoomNum: it.ID, State: it.State, GroupID: it.GroupID,
			Cover: it.Cover, MemSize: it.MemSize, BeginTime: it.StartTime, EndTime: it.EndTime,
			BeginIMSeq: it.StartSeq, EndIMSeq: it.EndSeq, PlaybackIdxURL: it.IdxURL,
			CanTriggerReplayIdx: can, TriggerReplayIdxTime: it.TriggerTime,
			TriggerReplayIdxResult: it.TriggerResult, ReplayIdxCreatedTime: it.IdxCreatedTime,
			ReplayIdxCreatedResult: it.IdxCreatedResult, ReplayIdxURL: it.IdxURL,
		}
	}
	return out, nil
}

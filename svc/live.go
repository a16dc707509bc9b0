package svc

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"

	"sxb-edu/sig"
	"sxb-edu/store"
)

// Limits at least as strict as the reference's columns.
const (
	maxTitleLen    = 128
	maxCoverLen    = 128
	maxFileNameLen = 256
	maxURLLen      = 65535 // t_bind_file.url is TEXT in the reference
	maxPageSize    = 50
)

// IM message types (PROTOCOL §7).
const (
	msgClassStart = 1001
	msgClassEnd   = 1002
	msgEnter      = 1003
	msgRecording  = 1004
)

// RoomData answers create.
type RoomData struct {
	RoomNum int64  `json:"roomnum"`
	GroupID string `json:"groupid"`
}

// roomNum reads a required int roomnum; invalid is the errorInfo for a
// value of another type (the reference's commands differ in it).
func roomNum(b Body, invalid string) (int64, error) {
	if !b.Has("roomnum") {
		return 0, E(ErrReqData, "Lack of roomnum")
	}
	n, ok := b.Int("roomnum")
	if !ok {
		return 0, E(ErrReqData, invalid)
	}
	return n, nil
}

// roomNumLoose reads a required roomnum that may be a string (intval).
func roomNumLoose(b Body, invalid string) (int64, error) {
	if !b.Has("roomnum") {
		return 0, E(ErrReqData, "Lack of roomnum")
	}
	n, ok := b.IntOrString("roomnum")
	if !ok {
		return 0, E(ErrReqData, invalid)
	}
	return n, nil
}

// optInt reads an optional int field (0 when absent or null); invalid is
// the errorInfo for a value of another type.
func optInt(b Body, k, invalid string) (int64, error) {
	if !b.Has(k) {
		return 0, nil
	}
	n, ok := b.Int(k)
	if !ok {
		return 0, E(ErrReqData, invalid)
	}
	return n, nil
}

// page reads the required index (>= 0) and size (0..50).
func page(b Body) (index, size int64, err error) {
	if !b.Has("index") {
		return 0, 0, E(ErrReqData, "Lack of page index")
	}
	index, ok := b.Int("index")
	if !ok || index < 0 {
		return 0, 0, E(ErrReqData, "Page index should be a non-negative integer")
	}
	if !b.Has("size") {
		return 0, 0, E(ErrReqData, "Lack of page size")
	}
	size, ok = b.Int("size")
	if !ok || size < 0 || size > maxPageSize {
		return 0, 0, E(ErrReqData, "Page size should be a positive integer(not larger than 50)")
	}
	return index, size, nil
}

// loadRoom reads a room, 10100 when there is none.
func (s *Service) loadRoom(ctx context.Context, id int64) (*store.Room, error) {
	room, err := s.Store.Room(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, E(ErrRoomNotExist, "get room info failed")
	}
	if err != nil {
		return nil, internal("read room", err)
	}
	return room, nil
}

// sendMsg sends a custom group message; a failure is 10103.
func (s *Service) sendMsg(ctx context.Context, appid int64, room int64, typ int, ts int64, value any) (int64, error) {
	msg := sig.GroupMsg{Type: typ, Seq: 10000 + rand.Int64N(100000000-10000+1), Timestamp: ts, Value: value}
	seq, err := s.IM.SendGroupMsg(ctx, s.imApp(appid), strconv.FormatInt(room, 10), msg)
	if err != nil {
		s.Log.Warn("im message failed", "room", room, "type", typ, "err", err)
		return 0, &Error{Code: ErrSendIM, Info: "save info to imgroup failed.", cause: err}
	}
	return seq, nil
}

type uidValue struct {
	UID string `json:"uid"`
}

// Create makes a room (teachers only).
func (s *Service) Create(ctx context.Context, r *Req) (any, error) {
	if !r.Body.Has("title") {
		return nil, E(ErrReqData, "Lack of title")
	}
	title, ok := r.Body.Str("title")
	if !ok || len(title) > maxTitleLen {
		return nil, E(ErrReqData, " Invalid title")
	}
	var cover string
	if r.Body.Has("cover") {
		if cover, ok = r.Body.Str("cover"); !ok || len(cover) > maxCoverLen {
			return nil, E(ErrReqData, " Invalid cover")
		}
	}
	if r.User.Role != 1 {
		return nil, E(ErrNoPrivilege, "only teacher can create a course.")
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
		return nil, E(ErrNoPrivilege, denied)
	}
	return room, nil
}

// StartCourse starts a created room.
func (s *Service) StartCourse(ctx context.Context, r *Req) (any, error) {
	id, err := roomNum(r.Body, " Invalid roomnum")
	if err != nil {
		return nil, err
	}
	mu := s.roomLock(id)
	mu.Lock()
	defer mu.Unlock()
	room, err := s.teacherRoom(ctx, r, id, " only the teacher who created the course can start it.")
	if err != nil {
		return nil, err
	}
	if room.State != store.StateCreated {
		return nil, E(ErrRoomState, " only state=created room can start a course")
	}
	seq, err := s.sendMsg(ctx, r.AppID, id, msgClassStart, r.TimeStamp, uidValue{r.User.UID})
	if err != nil {
		return nil, err
	}
	err = s.Store.StartRoom(ctx, id, r.User.Uin, seq, s.now())
	if errors.Is(err, store.ErrConflict) {
		return nil, E(ErrRoomState, " only state=created room can start a course")
	}
	if err != nil {
		return nil, internal("update room info failed", err)
	}
	return nil, nil
}

// ExitRoom ends a living class.
func (s *Service) ExitRoom(ctx context.Context, r *Req) (any, error) {
	id, err := roomNum(r.Body, "Invalid roomnum")
	if err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, E(ErrReqData, "Invalid roomnum")
	}
	mu := s.roomLock(id)
	mu.Lock()
	defer mu.Unlock()
	room, err := s.teacherRoom(ctx, r, id, "only the teacher can end the course.")
	if err != nil {
		return nil, err
	}
	if room.State != store.StateLiving {
		return nil, E(ErrRoomState, "only state=living room can exit")
	}
	seq, err := s.sendMsg(ctx, r.AppID, id, msgClassEnd, r.TimeStamp, uidValue{r.User.UID})
	if err != nil {
		return nil, err
	}
	err = s.Store.EndRoom(ctx, id, seq, s.now(), s.Cfg.ReplayIdxDelay)
	if errors.Is(err, store.ErrConflict) {
		return nil, E(ErrRoomState, "only state=living room can exit")
	}
	if err != nil {
		return nil, internal("update room info failed", err)
	}
	return nil, nil
}

// Heartbeat refreshes the caller's presence in a room. It is the hot path:
// no disk access (the room's teacher and the token are cached, the times
// are written behind).
func (s *Service) Heartbeat(ctx context.Context, r *Req) (any, error) {
	id, err := roomNumLoose(r.Body, "Invalid roomnum")
	if err != nil {
		return nil, err
	}
	host, err := s.Store.RoomHost(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, E(ErrRoomNotExist, "get room info failed")
	}
	if err != nil {
		return nil, internal("read room", err)
	}
	s.Store.Heartbeat(id, r.User.Uin, host == r.User.Uin, s.now())
	return nil, nil
}

// ReportMemID reports a member entering (operate 0) or leaving (1).
func (s *Service) ReportMemID(ctx context.Context, r *Req) (any, error) {
	id, err := roomNumLoose(r.Body, " Invalid roomnum")
	if err != nil {
		return nil, err
	}
	if !r.Body.Has("operate") {
		return nil, E(ErrReqData, "Lack of operate")
	}
	op, ok := r.Body.Int("operate")
	if !ok || (op != 0 && op != 1) {
		return nil, E(ErrReqData, " Invalid operate")
	}
	mu := s.roomLock(id)
	mu.Lock()
	defer mu.Unlock()
	room, err := s.loadRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	if room.State != store.StateLiving {
		return nil, E(ErrRoomState, "can only enter/exit a state=living room")
	}
	uin := r.User.Uin
	if uin != room.HostUin {
		n, err := s.Store.PresentCount(ctx, id)
		if err != nil {
			return nil, internal("read members", err)
		}
		if n == 0 {
			return nil, E(ErrRoomNotExist, "room is not exist")
		}
	}
	if op == 1 {
		found, err := s.Store.Exit(ctx, id, uin)
		if err != nil {
			return nil, internal("exit room", err)
		}
		if !found {
			return nil, E(ErrRepeatExit, "can not repeat exit a room.")
		}
		return nil, nil
	}
	if err := s.Store.Enter(ctx, id, uin, s.now()); err != nil {
		return nil, internal("enter room", err)
	}
	if _, err := s.sendMsg(ctx, r.AppID, id, msgEnter, r.TimeStamp, uidValue{r.User.UID}); err != nil {
		return nil, err
	}
	return nil, nil
}

// MemberList answers roomidlist.
type MemberList struct {
	Total  int64       `json:"total"`
	IDList []MemberRow `json:"idlist"`
}

// MemberRow is one present member.
type MemberRow struct {
	ID   string `json:"id"`
	Role int    `json:"role"`
}

// RoomIDList lists the members present in a room.
func (s *Service) RoomIDList(ctx context.Context, r *Req) (any, error) {
	id, err := roomNumLoose(r.Body, " Invalid roomnum")
	if err != nil {
		return nil, err
	}
	index, size, err := page(r.Body)
	if err != nil {
		return nil, err
	}
	total, members, err := s.Store.Members(ctx, id, index, size)
	if err != nil {
		return nil, internal("get member list fail", err)
	}
	out := MemberList{Total: total, IDList: make([]MemberRow, len(members))}
	for i, m := range members {
		out.IDList[i] = MemberRow{ID: m.UID, Role: m.Role}
	}
	return out, nil
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
		return nil, E(ErrReqData, "from_time must less than to_time")
	}
	var hostUID string
	if b.Has("host_uid") {
		var ok bool
		if hostUID, ok = b.Str("host_uid"); !ok {
			return nil, E(ErrReqData, "host_uid invalid")
		}
	}
	if b.Has("state") {
		st, ok := b.Int("state")
		if !ok || st < store.StateCreated || st > store.StatePlayback {
			return nil, E(ErrReqData, "state invalid")
		}
		f.State = int(st)
	}
	if hostUID != "" {
		host, err := s.Store.AccountByUID(ctx, hostUID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, E(ErrUserNotExist, "check host_uid failed,msg:User not exist")
		}
		if err != nil {
			return nil, internal("read account", err)
		}
		if host.AppID != r.AppID {
			return nil, E(ErrReqData, "you and host_uid are from diff appid.")
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

// ReportBind binds (operate 0) or unbinds (1) a file to a room or to the
// caller's own library.
func (s *Service) ReportBind(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	id, err := optInt(b, "roomnum", "Invalid roomnum")
	if err != nil {
		return nil, err
	}
	if id < 0 {
		return nil, E(ErrReqData, "Invalid roomnum")
	}
	if !b.Has("operate") {
		return nil, E(ErrReqData, "Lack of operate")
	}
	op, ok := b.Int("operate")
	if !ok || (op != 0 && op != 1) {
		return nil, E(ErrReqData, " Invalid operate")
	}
	if !b.Has("bind_file") {
		return nil, E(ErrReqData, "Lack of bind_file")
	}
	file, ok := b.Obj("bind_file")
	if !ok {
		if _, list := b["bind_file"].([]any); !list {
			return nil, E(ErrReqData, "bind_file must be array")
		}
		file = Body{} // a JSON list is a PHP array without these keys
	}
	if _, ok := file["type"]; !ok {
		return nil, E(ErrReqData, "Lack info bindfile.type")
	}
	typ, ok := file.Int("type")
	if !ok {
		return nil, E(ErrReqData, "invalide bindfile.type")
	}
	if _, ok := file["file_name"]; !ok {
		return nil, E(ErrReqData, "Lack info bindfile.file_name")
	}
	name, ok := file.Str("file_name")
	if !ok || len(name) > maxFileNameLen {
		return nil, E(ErrReqData, "invalide bindfile.filename")
	}
	if _, ok := file["url"]; !ok {
		return nil, E(ErrReqData, "Lack info bindfile.url")
	}
	url, ok := file.Str("url")
	if !ok || len(url) > maxURLLen {
		return nil, E(ErrReqData, "invalide bindfile.url")
	}
	if id > 0 {
		room, err := s.teacherRoom(ctx, r, id, "only the teacher can bind/unbind a resource.")
		if err != nil {
			return nil, err
		}
		if room.State != store.StateCreated && room.State != store.StateLiving {
			return nil, E(ErrRoomState, "only state=created/living room can bind resource")
		}
	}
	if op == 1 {
		found, err := s.Store.Unbind(ctx, id, r.User.Uin, url)
		if err != nil {
			return nil, internal("unbind", err)
		}
		if !found {
			return nil, E(ErrNotBound, "the resource not binded")
		}
		return nil, nil
	}
	err = s.Store.Bind(ctx, store.BindFile{Uin: r.User.Uin, RoomID: id, Time: s.now(), Type: typ, FileName: name, URL: url})
	if errors.Is(err, store.ErrExists) {
		return nil, E(ErrRepeatBind, "has binded.")
	}
	if err != nil {
		return nil, internal("bind", err)
	}
	return nil, nil
}

// BindList answers querybind.
type BindList struct {
	Total     int64     `json:"total"`
	BindFiles []BindRow `json:"bind_files"`
}

// BindRow is one bound file.
type BindRow struct {
	Type     int64  `json:"type"`
	BindTime int64  `json:"bind_time"`
	FileName string `json:"file_name"`
	URL      string `json:"url"`
}

// QueryBind lists the files bound to a room (any caller of the room's
// appid), or the caller's own library when no room is given.
func (s *Service) QueryBind(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	f := store.BindFilter{}
	var err error
	if f.RoomID, err = optInt(b, "roomnum", "Invalid roomnum"); err != nil {
		return nil, err
	}
	if f.From, err = optInt(b, "from_time", "Invalid from_time"); err != nil {
		return nil, err
	}
	if f.To, err = optInt(b, "to_time", "Invalid to_time"); err != nil {
		return nil, err
	}
	if f.Offset, f.Limit, err = page(b); err != nil {
		return nil, err
	}
	empty := BindList{BindFiles: []BindRow{}}
	if f.RoomID > 0 {
		room, err := s.Store.Room(ctx, f.RoomID)
		if errors.Is(err, store.ErrNotFound) {
			return empty, nil
		}
		if err != nil {
			return nil, internal("read room", err)
		}
		if room.AppID != r.AppID {
			return empty, nil
		}
	} else {
		f.RoomID = 0
		f.Uin = r.User.Uin
	}
	total, files, err := s.Store.Binds(ctx, f)
	if err != nil {
		return nil, internal("get bind file list fail", err)
	}
	out := BindList{Total: total, BindFiles: make([]BindRow, len(files))}
	for i, bf := range files {
		out.BindFiles[i] = BindRow{Type: bf.Type, BindTime: bf.Time, FileName: bf.FileName, URL: bf.URL}
	}
	return out, nil
}

package lcic

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"sxb-edu/store"
)

func init() {
	for name, a := range map[string]action{
		"CreateRoom": (*Service).createRoom, "BatchCreateRoom": (*Service).batchCreateRoom,
		"DescribeRoom": (*Service).describeRoom, "ModifyRoom": (*Service).modifyRoom, "DeleteRoom": (*Service).deleteRoom,
		"GetRooms": (*Service).getRooms, "StartRoom": (*Service).startRoom, "EndRoom": (*Service).endRoom,
		"KickUserFromRoom": (*Service).kickUser, "UnblockKickedUser": (*Service).unblockUser,
		"DescribeCurrentMemberList": (*Service).currentMembers, "GetRoomEvent": (*Service).roomEvents,
		"DescribeRoomStatistics": (*Service).roomStatistics,
	} {
		actions[name] = a
	}
}

// roomFields are the room fields the API documents beside those that mean
// something here: they are kept as given and answered back.
var roomFields = map[string]bool{
	"Resolution": true, "MaxMicNumber": true, "SubType": true, "AutoMic": true, "TurnOffMic": true, "AudioQuality": true,
	"DisableRecord": true, "RecordLayout": true, "AudienceType": true, "InteractionMode": true, "VideoOrientation": true,
	"IsGradingRequiredPostClass": true, "RoomType": true, "EnableDirectControl": true, "EndDelayTime": true, "LiveType": true,
	"RecordLiveUrl": true, "EnableAutoStart": true, "RecordBackground": true, "RecordScene": true, "RecordLang": true,
	"RecordStream": true, "WhiteBoardSnapshotMode": true, "SubtitlesTranscription": true, "Guests": true, "RecordQuality": true,
}

// roomInfo is a room as CreateRoom, BatchCreateRoom and ModifyRoom take it.
type roomInfo struct {
	RoomId     *uint64
	SdkAppId   *uint64
	Name       *string
	StartTime  *uint64
	EndTime    *uint64
	TeacherId  *string
	Assistants []string
	GroupId    *string
	extra      map[string]json.RawMessage
}

// parseRoom reads a room's fields from raw JSON: the known ones typed,
// the documented others kept, anything else refused.
func parseRoom(raw json.RawMessage, c *call) (*roomInfo, error) {
	r := &roomInfo{}
	if err := (&call{params: raw}).bind(r); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	_ = json.Unmarshal(raw, &all)
	r.extra = map[string]json.RawMessage{}
	for k, v := range all {
		switch {
		case k == "RoomId" || k == "SdkAppId" || k == "Name" || k == "StartTime" || k == "EndTime" || k == "TeacherId" ||
			k == "Assistants" || k == "GroupId":
		case roomFields[k]:
			r.extra[k] = v
		default:
			return nil, fail("UnknownParameter", "the parameter %s is not a room field", k)
		}
	}
	return r, nil
}

// schedule checks a room's times, teacher, assistants and group against
// the app's; it answers the teacher's account.
func (s *Service) schedule(ctx context.Context, c *call, name string, start, end int64, teacher string, assistants []string, group string) (*store.Account, error) {
	switch {
	case name == "":
		return nil, fail("MissingParameter", "Name is required")
	case len(name) > 255:
		return nil, fail("InvalidParameter", "Name holds at most 255 bytes")
	case start <= 0:
		return nil, fail("InvalidParameter.StartTime", "StartTime is required (unix seconds)")
	case end <= start:
		return nil, fail("InvalidParameter.EndTime", "EndTime must be after StartTime")
	case end <= s.d.Now().Unix():
		return nil, fail("InvalidParameter.EndTime", "EndTime is already past")
	case time.Duration(end-start)*time.Second > s.cfg.MaxClass:
		return nil, fail("FailedOperation.ClassTooLong", "a class lasts at most %s", s.cfg.MaxClass)
	case teacher == "":
		return nil, fail("MissingParameter", "TeacherId is required: the class's teacher starts it")
	}
	t, err := s.user(ctx, c, teacher)
	if err != nil {
		return nil, err
	}
	for _, a := range assistants {
		if _, err := s.user(ctx, c, a); err != nil {
			return nil, err
		}
	}
	if group != "" {
		if _, err := s.group(ctx, c, group); err != nil {
			return nil, err
		}
	}
	acc, err := s.st.AccountByUID(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	if err := s.st.SetTeacher(ctx, acc.Uin); err != nil {
		return nil, err
	}
	acc.Role = 1
	return acc, nil
}

func (s *Service) create(ctx context.Context, c *call, r *roomInfo) (int64, error) {
	room := &store.LCICRoom{AppID: c.key.AppID, Name: str(r.Name), StartTime: u64(r.StartTime), EndTime: u64(r.EndTime),
		TeacherID: str(r.TeacherId), Assistants: r.Assistants, GroupID: str(r.GroupId), Extra: r.extra, Created: s.d.Now().Unix()}
	host, err := s.schedule(ctx, c, room.Name, room.StartTime, room.EndTime, room.TeacherID, room.Assistants, room.GroupID)
	if err != nil {
		return 0, err
	}
	return s.st.CreateLCICRoom(ctx, host, room)
}

func (s *Service) createRoom(ctx context.Context, c *call) (any, error) {
	r, err := parseRoom(c.params, c)
	if err != nil {
		return nil, err
	}
	if err := c.app(r.SdkAppId, true); err != nil {
		return nil, err
	}
	id, err := s.create(ctx, c, r)
	if err != nil {
		return nil, err
	}
	return map[string]any{"RoomId": id}, nil
}

func (s *Service) batchCreateRoom(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId  *uint64
		RoomInfos []json.RawMessage
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	if len(p.RoomInfos) == 0 || len(p.RoomInfos) > 1000 {
		return nil, fail("InvalidParameter", "RoomInfos holds 1 to 1000 rooms")
	}
	rooms := make([]*roomInfo, len(p.RoomInfos))
	for i, raw := range p.RoomInfos {
		r, err := parseRoom(raw, c)
		if err != nil {
			return nil, err
		}
		// Every room is checked before any is made.
		if _, err := s.schedule(ctx, c, str(r.Name), u64(r.StartTime), u64(r.EndTime), str(r.TeacherId), r.Assistants, str(r.GroupId)); err != nil {
			return nil, err
		}
		rooms[i] = r
	}
	ids := make([]int64, len(rooms))
	for i, r := range rooms {
		id, err := s.create(ctx, c, r)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return map[string]any{"RoomIds": ids}, nil
}

// room finds a scheduled room of the key's app.
func (s *Service) room(ctx context.Context, c *call, id int64) (*store.LCICRoom, *store.Room, error) {
	if id <= 0 {
		return nil, nil, fail("MissingParameter", "RoomId is required")
	}
	r, err := s.st.LCICRoom(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && r.AppID != c.key.AppID {
		return nil, nil, fail("ResourceNotFound.Room", "no room %d", id)
	}
	if err != nil {
		return nil, nil, err
	}
	cl, err := s.st.Room(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, fail("ResourceNotFound.Room", "no room %d", id)
	}
	return r, cl, err
}

// status is a room's state in the API's words: 0 not started, 1
// started, 2 ended, 3 expired.
func status(r *store.LCICRoom, state int) int {
	switch {
	case r.Expired:
		return 3
	case state == store.StateLiving:
		return 1
	case state == store.StateEnded || state == store.StatePlayback:
		return 2
	}
	return 0
}

func roomView(r *store.LCICRoom, state int, realStart, realEnd int64) map[string]any {
	out := map[string]any{}
	for k, v := range r.Extra {
		out[k] = v
	}
	assistants := r.Assistants
	if assistants == nil {
		assistants = []string{}
	}
	out["RoomId"], out["SdkAppId"], out["Name"], out["StartTime"], out["EndTime"] = r.RoomID, r.AppID, r.Name, r.StartTime, r.EndTime
	out["TeacherId"], out["Assistants"], out["Status"] = r.TeacherID, assistants, status(r, state)
	if r.GroupID != "" {
		out["GroupId"] = r.GroupID
	}
	if realStart > 0 {
		out["RealStartTime"] = realStart
	}
	if realEnd > 0 && state != store.StateLiving {
		out["RealEndTime"] = realEnd
	}
	return out
}

func roomID(c *call) (int64, error) {
	var p struct {
		RoomId   *uint64
		SdkAppId *uint64
	}
	if err := c.bind(&p); err != nil {
		return 0, err
	}
	if err := c.app(p.SdkAppId, false); err != nil {
		return 0, err
	}
	return u64(p.RoomId), nil
}

func (s *Service) describeRoom(ctx context.Context, c *call) (any, error) {
	id, err := roomID(c)
	if err != nil {
		return nil, err
	}
	r, cl, err := s.room(ctx, c, id)
	if err != nil {
		return nil, err
	}
	recs, err := s.st.Recordings(ctx, id)
	if err != nil {
		return nil, err
	}
	out := roomView(r, cl.State, cl.StartTime, cl.EndTime)
	recordView(out, cl.State, recs)
	return out, nil
}

func (s *Service) modifyRoom(ctx context.Context, c *call) (any, error) {
	p, err := parseRoom(c.params, c)
	if err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, false); err != nil {
		return nil, err
	}
	r, cl, err := s.room(ctx, c, u64(p.RoomId))
	if err != nil {
		return nil, err
	}
	if r.Expired {
		return nil, fail("FailedOperation.ClassExpired", "room %d expired: nobody started it by its end", r.RoomID)
	}
	if cl.State != store.StateCreated {
		return nil, fail("FailedOperation.ClassStarted", "room %d has started: it cannot be changed", r.RoomID)
	}
	old := r.TeacherID
	if p.Name != nil {
		r.Name = str(p.Name)
	}
	if p.StartTime != nil {
		r.StartTime = u64(p.StartTime)
	}
	if p.EndTime != nil {
		r.EndTime = u64(p.EndTime)
	}
	if p.TeacherId != nil {
		r.TeacherID = str(p.TeacherId)
	}
	if p.Assistants != nil {
		r.Assistants = p.Assistants
	}
	if p.GroupId != nil {
		r.GroupID = str(p.GroupId)
	}
	if r.Extra == nil {
		r.Extra = map[string]json.RawMessage{}
	}
	for k, v := range p.extra {
		r.Extra[k] = v
	}
	host, err := s.schedule(ctx, c, r.Name, r.StartTime, r.EndTime, r.TeacherID, r.Assistants, r.GroupID)
	if err != nil {
		return nil, err
	}
	if r.TeacherID == old {
		host = nil
	}
	err = s.st.ModifyLCICRoom(ctx, r, host)
	if errors.Is(err, store.ErrConflict) {
		return nil, fail("FailedOperation.ClassStarted", "room %d has started: it cannot be changed", r.RoomID)
	}
	return nil, err
}

func (s *Service) deleteRoom(ctx context.Context, c *call) (any, error) {
	id, err := roomID(c)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.room(ctx, c, id); err != nil {
		return nil, err
	}
	err = s.st.DeleteLCICRoom(ctx, id)
	if errors.Is(err, store.ErrConflict) {
		return nil, fail("FailedOperation.RoomNotEnd", "room %d is in class: end it first", id)
	}
	return nil, err
}

func (s *Service) getRooms(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId           *uint64
		StartTime, EndTime *uint64
		Page, Limit        *uint64
		Status             []uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	if p.StartTime != nil && p.EndTime != nil && *p.EndTime < *p.StartTime {
		return nil, fail("InvalidParameter.EndTime", "EndTime is before StartTime")
	}
	offset, limit := page(p.Page, p.Limit, 10, 1000)
	f := store.LCICRoomFilter{AppID: c.key.AppID, From: u64(p.StartTime), To: u64(p.EndTime), Offset: offset, Limit: limit}
	for _, st := range p.Status {
		if st > 3 {
			return nil, fail("InvalidParameter", "Status holds 0 to 3")
		}
		f.Statuses = append(f.Statuses, int(st))
	}
	total, rows, err := s.st.LCICRooms(ctx, f)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, len(rows))
	for i := range rows {
		list[i] = roomView(&rows[i].LCICRoom, rows[i].State, rows[i].RealStart, rows[i].RealEnd)
	}
	return map[string]any{"Total": total, "Rooms": list}, nil
}

// classErr turns the 随心播 service's refusal into the API's error.
func classErr(err error, code, msg string) error {
	if errors.Is(err, ErrState) {
		return fail(code, "%s", msg)
	}
	return err
}

func (s *Service) startRoom(ctx context.Context, c *call) (any, error) {
	id, err := roomID(c)
	if err != nil {
		return nil, err
	}
	r, _, err := s.room(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if r.Expired {
		return nil, fail("FailedOperation.ClassExpired", "room %d expired", id)
	}
	return nil, classErr(s.d.Start(ctx, id), "FailedOperation.ClassStarted", "the room is not waiting to start")
}

func (s *Service) endRoom(ctx context.Context, c *call) (any, error) {
	id, err := roomID(c)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.room(ctx, c, id); err != nil {
		return nil, err
	}
	return nil, classErr(s.d.End(ctx, id), "FailedOperation.RoomNotStart", "the room is not in class")
}

func (s *Service) memberOf(ctx context.Context, c *call) (*store.LCICRoom, *store.LCICUser, error) {
	var p struct {
		SdkAppId *uint64
		RoomId   *uint64
		UserId   *string
		KickType *uint64
		Duration *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, nil, err
	}
	r, _, err := s.room(ctx, c, u64(p.RoomId))
	if err != nil {
		return nil, nil, err
	}
	u, err := s.user(ctx, c, str(p.UserId))
	if err != nil {
		return nil, nil, err
	}
	return r, u, nil
}

func (s *Service) kickUser(ctx context.Context, c *call) (any, error) {
	r, u, err := s.memberOf(ctx, c)
	if err != nil {
		return nil, err
	}
	if u.UserID == r.TeacherID {
		return nil, fail("InvalidParameter.UserId", "the teacher cannot be kicked out of their class")
	}
	return nil, s.d.Kick(ctx, r.RoomID, u.Uin)
}

func (s *Service) unblockUser(ctx context.Context, c *call) (any, error) {
	r, u, err := s.memberOf(ctx, c)
	if err != nil {
		return nil, err
	}
	_, err = s.d.Unblock(ctx, r.RoomID, u.Uin)
	return nil, err
}

// names are the users' names by uid.
func (s *Service) names(ctx context.Context, uids []string) map[string]string {
	users, err := s.st.LCICUsers(ctx, uids)
	out := map[string]string{}
	if err != nil {
		return out
	}
	for id, u := range users {
		out[id] = u.Name
	}
	return out
}

func (s *Service) currentMembers(ctx context.Context, c *call) (any, error) {
	var p struct {
		RoomId, Page, Limit *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	r, _, err := s.room(ctx, c, u64(p.RoomId))
	if err != nil {
		return nil, err
	}
	offset, limit := page(p.Page, p.Limit, 100, 1000)
	total, ms, err := s.st.Members(ctx, r.RoomID, offset, limit)
	if err != nil {
		return nil, err
	}
	uids := make([]string, len(ms))
	for i, m := range ms {
		uids[i] = m.UID
	}
	names := s.names(ctx, uids)
	records := make([]map[string]any, len(ms))
	for i, m := range ms {
		records[i] = map[string]any{"UserId": m.UID, "UserName": names[m.UID]}
	}
	return map[string]any{"Total": total, "MemberRecords": records}, nil
}

func (s *Service) roomEvents(ctx context.Context, c *call) (any, error) {
	var p struct {
		RoomId, SdkAppId, Page, Limit *uint64
		Keyword                       *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	r, _, err := s.room(ctx, c, u64(p.RoomId))
	if err != nil {
		return nil, err
	}
	var types []string
	if k := str(p.Keyword); k != "" {
		types = []string{k}
	}
	offset, limit := page(p.Page, p.Limit, 10, 1000)
	// The oldest first: the outbox lists newest first, so page from its end.
	total, all, err := s.st.LCICEvents(ctx, r.AppID, r.RoomID, types, 0, 100000)
	if err != nil {
		return nil, err
	}
	events := make([]map[string]any, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		e := all[i]
		events = append(events, map[string]any{"Timestamp": e.At, "EventType": e.Type, "EventData": json.RawMessage(e.Data)})
	}
	events = events[min(offset, total):min(offset+limit, total)]
	return map[string]any{"Total": total, "Events": events}, nil
}

func (s *Service) roomStatistics(ctx context.Context, c *call) (any, error) {
	var p struct {
		RoomId, Page, Limit *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	r, cl, err := s.room(ctx, c, u64(p.RoomId))
	if err != nil {
		return nil, err
	}
	entries, err := s.st.MemberEntries(ctx, r.RoomID)
	if err != nil {
		return nil, err
	}
	uids := make([]string, len(entries))
	for i, e := range entries {
		uids[i] = e.UID
	}
	names := s.names(ctx, uids)
	offset, limit := page(p.Page, p.Limit, 100, 1000)
	total := int64(len(entries))
	var records []map[string]any
	for _, e := range entries[min(offset, total):min(offset+limit, total)] {
		records = append(records, map[string]any{"UserId": e.UID, "UserName": names[e.UID]})
	}
	if records == nil {
		records = []map[string]any{}
	}
	out := map[string]any{"MemberNumber": total, "Total": total, "MemberRecords": records}
	if cl.StartTime > 0 {
		out["RealStartTime"] = cl.StartTime
	}
	if cl.State == store.StateEnded || cl.State == store.StatePlayback {
		out["RealEndTime"] = cl.EndTime
	}
	return out, nil
}

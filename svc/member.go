package svc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sxb-edu/store"
)

// Heartbeat refreshes the caller's presence in a room. It is the hot path:
// no disk access (the room's teacher and the token are cached, the times
// are written behind).
func (s *Service) Heartbeat(ctx context.Context, r *Req) (any, error) {
	id, err := roomNumLoose(r.Body, "Invalid roomnum")
	if err != nil {
		return nil, err
	}
	o, err := s.Store.RoomOwner(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.AppID != r.AppID) {
		return nil, E(CodeRoomNotExist, "get room info failed")
	}
	if err != nil {
		return nil, internal("read room", err)
	}
	if err := s.Store.Heartbeat(id, r.User.Uin, o.Host == r.User.Uin, s.now()); err != nil {
		return nil, internal("heartbeat", err)
	}
	return nil, nil
}

// ReportMemID reports a member entering (operate 0) or leaving (1).
func (s *Service) ReportMemID(ctx context.Context, r *Req) (any, error) {
	id, err := roomNumLoose(r.Body, " Invalid roomnum")
	if err != nil {
		return nil, err
	}
	if !r.Body.Has("operate") {
		return nil, E(CodeReqData, "Lack of operate")
	}
	op, ok := r.Body.Int("operate")
	if !ok || (op != 0 && op != 1) {
		return nil, E(CodeReqData, " Invalid operate")
	}
	defer s.rooms.lock(id, true)()
	room, err := s.Store.RoomForEnter(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && room.AppID != r.AppID {
		return nil, E(CodeRoomNotExist, "get room info failed")
	}
	if err != nil {
		return nil, internal("read room", err)
	}
	if room.State != store.StateLiving {
		return nil, E(CodeRoomState, "can only enter/exit a state=living room")
	}
	uin := r.User.Uin
	if uin != room.HostUin {
		n, err := s.Store.PresentCount(ctx, id)
		if err != nil {
			return nil, internal("read members", err)
		}
		if n == 0 {
			return nil, E(CodeRoomNotExist, "room is not exist")
		}
	}
	if op == 1 {
		found, err := s.Store.Leave(ctx, id, uin)
		if err != nil {
			return nil, internal("exit room", err)
		}
		if !found {
			return nil, E(CodeRepeatExit, "can not repeat exit a room.")
		}
		s.event(ctx, "quit", id, uin)
		return nil, nil
	}
	if s.Opens != nil && uin != room.HostUin {
		at, err := s.Opens(ctx, id)
		if err != nil {
			return nil, internal("read schedule", err)
		}
		if at > s.now() {
			return nil, E(CodeRoomState, fmt.Sprintf("the class opens at %s", time.Unix(at, 0).UTC().Format(time.RFC3339)))
		}
	}
	if removed, err := s.Store.Removed(ctx, id, uin); err != nil {
		return nil, internal("enter room", err)
	} else if removed {
		return nil, E(CodeRemoved, "removed from this class by an operator")
	}
	err = s.Store.Enter(ctx, id, store.Member{Uin: uin, UID: r.User.UID, Role: r.User.Role}, s.now())
	if errors.Is(err, store.ErrConflict) { // ended meanwhile (by another server)
		return nil, E(CodeRoomState, "can only enter/exit a state=living room")
	}
	if err != nil {
		return nil, internal("enter room", err)
	}
	if _, err := s.sendMsg(ctx, r.AppID, id, msgEnter, r.TimeStamp, uidValue{r.User.UID}); err != nil {
		return nil, err
	}
	s.event(ctx, "join", id, uin)
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
	// An unknown room lists nobody (as the reference); another app's room
	// is not there for this caller.
	o, err := s.Store.RoomOwner(ctx, id)
	if err == nil && o.AppID != r.AppID {
		return nil, E(CodeRoomNotExist, "get room info failed")
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, internal("read room", err)
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

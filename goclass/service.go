package goclass

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sxb-edu/store"
)

// Store is what the API needs of the database.
type Store interface {
	InGoClassRoom(ctx context.Context, typ int, name string, create *store.GoClassNew, fn func(*store.GoClassTx) error) error
	GoClassSilent(ctx context.Context, beforeMS int64) ([]store.GoClassRef, error)
	GoClassScheduleEmpty(ctx context.Context, atMS int64) error
	GoClassDue(ctx context.Context, nowMS int64) ([]store.GoClassRef, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Store  Store
	Client *http.Client     // calls to ZEGO's server API (nil: 5-s timeout)
	Now    func() time.Time // nil: time.Now
	Log    *slog.Logger
}

// Service is the GO课堂 room API.
type Service struct {
	cfg   *Config
	st    Store
	now   func() time.Time
	log   *slog.Logger
	small *liveRoom
	large *liveRoom
	// newRooms counts the rooms each client address made this minute.
	newRooms creations
}

// Limits on what a client may store.
const (
	maxRoomID = 128 // bytes, as ZEGO's room ids
	maxNick   = 256 // bytes
	// maxMessage bounds a chat message (ZEGO's room messages hold 1 KB).
	maxMessage = 1024
)

// New builds the service for a validated configuration.
func New(cfg *Config, d Deps) *Service {
	s := &Service{cfg: cfg, st: d.Store, now: d.Now, log: cmp.Or(d.Log, slog.Default())}
	if s.now == nil {
		s.now = time.Now
	}
	client := d.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	mk := func(k *Class) *liveRoom {
		return &liveRoom{appID: k.AppID, secret: k.AppSecret, sign: k.AppSign, bizType: k.BizType,
			base: cfg.endpoint(k), client: client, now: s.now}
	}
	s.small, s.large = mk(&cfg.Small), mk(&cfg.Large)
	return s
}

// Config is the service's configuration.
func (s *Service) Config() *Config { return s.cfg }

func (s *Service) ms() int64 { return s.now().UnixMilli() }

// class is a room type's configuration and API client; type 0 is a
// small class, as the reference's older clients send none.
func (s *Service) class(typ int) (*Class, *liveRoom) {
	if typ == LargeClass {
		return &s.cfg.Large, s.large
	}
	return &s.cfg.Small, s.small
}

func roomType(typ int8) int {
	if typ == LargeClass {
		return LargeClass
	}
	return SmallClass
}

func validType(typ int8) bool { return typ == 0 || typ == SmallClass || typ == LargeClass }

// validRoom: a room id with a space at either end is refused, as MySQL's
// comparisons ignore trailing spaces ('r ' would be room 'r' in the
// database and another room at ZEGO).
func validRoom(id string) bool {
	return id != "" && len(id) <= maxRoomID && strings.TrimSpace(id) == id
}

func validState(v int8) bool { return v == 0 || v == off || v == on }

// note is a notification to send once the change is stored.
type note struct {
	cmd  int
	data any
}

// change is one room's notifications and the members who get them.
type change struct {
	notes []note
	to    []int64
	clear bool // the room ended: tell ZEGO after the notes
}

func (c *change) add(cmd int, data any) { c.notes = append(c.notes, note{cmd, data}) }

// recipients sets who gets the notes: the room's members now.
func (c *change) recipients(ctx context.Context, t *store.GoClassTx) error {
	ms, err := t.Members(ctx, false)
	if err != nil {
		return err
	}
	c.to = c.to[:0]
	for _, m := range ms {
		c.to = append(c.to, m.UID)
	}
	return nil
}

// inRoom runs fn on the room, locked, and then sends what it noted. A
// missing room is missing (nil fn result is never seen then).
func (s *Service) inRoom(ctx context.Context, typ int, name string, create *creator, missing *Error,
	fn func(*store.GoClassTx, *change) error) error {
	var c change
	var mk *store.GoClassNew
	if create != nil {
		k, _ := s.class(typ)
		mk = &store.GoClassNew{Room: store.GoClassRoom{DefaultCamera: k.DefaultCamera, DefaultMic: k.DefaultMic,
			AllowCamera: k.AllowCamera, AllowMic: k.AllowMic, CreatedMS: s.ms()},
			MaxRooms: s.cfg.MaxRooms,
			Allow:    func() error { return s.newRooms.allow(create.addr, s.now(), s.cfg.RoomsPerMinute) }}
	}
	err := s.st.InGoClassRoom(ctx, typ, name, mk, func(t *store.GoClassTx) error {
		c = change{}
		if err := fn(t, &c); err != nil {
			return err
		}
		if len(c.notes) > 0 && c.to == nil {
			return c.recipients(ctx, t)
		}
		return nil
	})
	var pe *Error
	switch {
	case errors.Is(err, store.ErrFull):
		return &Error{CodeTooMany, fmt.Sprintf("too many rooms: this server holds at most %d GO课堂 rooms", s.cfg.MaxRooms)}
	case errors.As(err, new(*tooFast)):
		return &Error{CodeTooMany, err.Error()}
	case errors.Is(err, store.ErrNotFound):
		if missing == nil {
			return nil // the caller does not mind
		}
		return missing
	case errors.As(err, &pe):
		return pe
	case err != nil:
		s.log.Error("goclass: database", "room", name, "type", typ, "err", err)
		return &Error{CodeSystem, "system error"}
	}
	s.send(ctx, typ, name, &c)
	return nil
}

// send delivers a change's notifications; failures are logged, as the
// reference does (the change itself stands).
func (s *Service) send(ctx context.Context, typ int, name string, c *change) {
	_, lr := s.class(typ)
	// A request cancelled by its client still sends what it changed.
	ctx = context.WithoutCancel(ctx)
	if len(c.to) > 0 {
		for _, n := range c.notes {
			msg, _ := json.Marshal(struct {
				Cmd  int `json:"cmd"`
				Data any `json:"data"`
			}{n.cmd, n.data})
			if err := lr.sendMsg(ctx, name, msg, c.to); err != nil {
				s.log.Warn("goclass: notification not sent", "room", name, "cmd", n.cmd, "err", err)
			}
		}
	}
	if c.clear {
		if err := lr.clearRoom(ctx, name); err != nil {
			s.log.Warn("goclass: clearroom failed", "room", name, "err", err)
		}
	}
}

// LoginReq is a login: the first one creates the room.
type LoginReq struct {
	RoomID   string
	RoomType int8
	UID      int64
	NickName string
	Role     int32
	Platform int64
	Addr     string // the client's address (new rooms are limited by it)
}

// Login enters a member into a room (again: a repeated login keeps the
// member's states and tells the room its role).
func (s *Service) Login(ctx context.Context, r LoginReq) (*Login, error) {
	if r.UID <= 0 || !validRoom(r.RoomID) || (r.Role != roleTeacher && r.Role != roleStudent) ||
		!validType(r.RoomType) || len(r.NickName) > maxNick {
		return nil, errInvalid
	}
	typ := roomType(r.RoomType)
	k, lr := s.class(typ)
	var out Login
	role := int(r.Role)
	// The room is missing only if destroyed between its creation and the
	// login: rare, and worth a retry.
	e := s.inRoom(ctx, typ, r.RoomID, &creator{addr: r.Addr}, &Error{CodeSystem, "SetRoomState Failed"}, func(t *store.GoClassTx, c *change) error {
		room := &t.Room
		out.RoomInfo = RoomInfo{RoomID: r.RoomID, DefaultCamera: int8(room.DefaultCamera), DefaultMic: int8(room.DefaultMic),
			AllowCamera: int8(room.AllowCamera), AllowMic: int8(room.AllowMic), SharingUID: room.SharingUID}
		if room.TeacherUID != 0 && room.TeacherUID != r.UID && role == roleTeacher {
			return errTeacherIn
		}
		m, err := t.Member(ctx, r.UID)
		if err != nil {
			return err
		}
		if m == nil {
			n, err := t.Count(ctx, false)
			if err != nil {
				return err
			}
			max := k.MaxPeople
			if room.TeacherUID == 0 && role == roleStudent {
				max-- // a seat is kept for the teacher
			}
			if n >= max {
				return errPeopleFull
			}
		}
		switch {
		case role == roleTeacher:
			room.TeacherUID = r.UID
		case room.TeacherUID == r.UID:
			// The teacher came back as a student: the seat is free again
			// (the reference kept it taken until the room was destroyed).
			room.TeacherUID = 0
		}
		now := s.ms()
		if m == nil {
			m = &store.GoClassMember{UID: r.UID, NickName: r.NickName, Role: role, Camera: off, Mic: off,
				CanShare: off, LoginMS: now, HeartbeatMS: now}
			if role == roleTeacher {
				m.CanShare = on
			}
			room.AttendeeSeq++
			typ := int8(2)
			if role == roleTeacher {
				typ = 1
			}
			c.add(cmdAttendees, listNote{Seq: room.AttendeeSeq, Type: typ, Delta: 1, Person: person(m)})
		} else {
			if r.NickName != "" {
				m.NickName = r.NickName
			}
			m.Role, m.LoginMS, m.HeartbeatMS = role, now, now
			c.add(cmdPersonal, personalNote{Type: changeRole, Users: []Person{person(m)}})
		}
		if err := t.PutMember(ctx, m); err != nil {
			return err
		}
		room.DestroyMS = 0
		out.Person = person(m)
		return t.SaveRoom(ctx)
	})
	if e != nil {
		return nil, e
	}
	out.MaxJoinLive = int32(k.MaxJoinLive)
	switch r.Platform {
	case 16, 32, 64: // mini program, web, H5
		out.AppToken = lr.appToken(strconv.FormatInt(r.UID, 10))
	}
	return &out, nil
}

// Lists answers get_attendee_list (joinLive false) and get_join_live_list.
func (s *Service) List(ctx context.Context, roomID string, typ8 int8, uid int64, joinLive bool) (*List, error) {
	if uid <= 0 || !validRoom(roomID) || !validType(typ8) {
		return nil, errInvalid
	}
	out := &List{RoomID: roomID}
	e := s.inRoom(ctx, roomType(typ8), roomID, nil, errNoRoom, func(t *store.GoClassTx, _ *change) error {
		if m, err := t.Member(ctx, uid); err != nil {
			return err
		} else if m == nil {
			return errNeedLogin
		}
		ms, err := t.Members(ctx, joinLive)
		if err != nil {
			return err
		}
		out.Users = make([]Person, 0, len(ms))
		for i := range ms {
			out.Users = append(out.Users, person(&ms[i]))
		}
		out.Seq = t.Room.AttendeeSeq
		if joinLive {
			out.Seq = t.Room.JoinLiveSeq
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return out, nil
}

// UserInfo answers get_user_info: any member's state.
func (s *Service) UserInfo(ctx context.Context, roomID string, typ8 int8, uid, target int64) (*Person, error) {
	if !validRoom(roomID) || uid <= 0 || target <= 0 || !validType(typ8) {
		return nil, errInvalid
	}
	var out Person
	e := s.inRoom(ctx, roomType(typ8), roomID, nil, errNotInRoom, func(t *store.GoClassTx, _ *change) error {
		m, err := t.Member(ctx, target)
		if err != nil {
			return err
		} else if m == nil {
			return errNotInRoom
		}
		out = person(m)
		return nil
	})
	if e != nil {
		return nil, e
	}
	return &out, nil
}

// SetReq is a set_user_info: states 0 (unchanged), 1 (off) or 2 (on).
type SetReq struct {
	RoomID                string
	RoomType              int8
	UID, TargetUID        int64
	Camera, Mic, CanShare int8
}

// SetUserInfo changes a member's camera, mic or sharing right. Turning
// a camera or mic on joins the co-streaming list (within its cap);
// turning both off leaves it.
func (s *Service) SetUserInfo(ctx context.Context, r SetReq) error {
	if !validRoom(r.RoomID) || r.UID <= 0 || r.TargetUID <= 0 || !validState(r.Camera) || !validState(r.Mic) ||
		!validState(r.CanShare) || !validType(r.RoomType) {
		return errInvalid
	}
	if r.Camera == 0 && r.Mic == 0 && r.CanShare == 0 {
		return nil
	}
	typ := roomType(r.RoomType)
	k, _ := s.class(typ)
	return s.inRoom(ctx, typ, r.RoomID, nil, errNeedLogin, func(t *store.GoClassTx, c *change) error {
		me, err := t.Member(ctx, r.UID)
		if err != nil {
			return err
		} else if me == nil {
			return errNeedLogin
		}
		// Small classes: anyone sets their own, the teacher anyone's.
		// Large classes: only the teacher, their own.
		allowed := me.UID == r.TargetUID || me.Role == roleTeacher
		if typ == LargeClass {
			allowed = me.Role == roleTeacher && me.UID == r.TargetUID
		}
		if !allowed {
			return errNoPerm
		}
		m := me
		if r.UID != r.TargetUID {
			if m, err = t.Member(ctx, r.TargetUID); err != nil {
				return err
			} else if m == nil {
				return errNotInRoom
			}
		} else if me.Role == roleStudent && r.CanShare == on && me.CanShare != on {
			return errNoPerm // a student cannot grant themself sharing
		}
		wasLive := m.Camera == on || m.Mic == on
		camera, mic, canShare := int(r.Camera), int(r.Mic), int(r.CanShare)
		for _, p := range []struct{ want, cur *int }{{&camera, &m.Camera}, {&mic, &m.Mic}, {&canShare, &m.CanShare}} {
			if *p.want == *p.cur {
				*p.want = 0
			} else if *p.want != 0 {
				*p.cur = *p.want
			}
		}
		if camera == 0 && mic == 0 && canShare == 0 {
			return nil
		}
		room := &t.Room
		switch {
		case !wasLive && (camera == on || mic == on) && !m.JoinedLive:
			if m.Role == roleStudent {
				n, err := t.Count(ctx, true)
				if err != nil {
					return err
				}
				max := k.MaxJoinLive
				// A mic seat is kept for a teacher not co-streaming.
				if room.TeacherUID == 0 {
					max--
				} else if tm, err := t.Member(ctx, room.TeacherUID); err != nil {
					return err
				} else if tm == nil || !tm.JoinedLive {
					max--
				}
				if n >= max {
					return errJoinFull
				}
			}
			room.JoinLiveSeq++
			c.add(cmdJoinLive, listNote{Seq: room.JoinLiveSeq, Type: liveType(m.Role, 1), Delta: 1, Person: person(m)})
			m.JoinedLive, m.JoinLiveMS = true, s.ms()
		case wasLive && m.Camera == off && m.Mic == off && m.JoinedLive:
			room.JoinLiveSeq++
			c.add(cmdJoinLive, listNote{Seq: room.JoinLiveSeq, Type: liveType(m.Role, -1), Delta: -1, Person: person(m)})
			m.JoinedLive, m.JoinLiveMS = false, 0
		}
		if err := t.PutMember(ctx, m); err != nil {
			return err
		}
		op := operator{OperatorUID: me.UID, OperatorName: me.NickName}
		for _, ev := range []struct {
			v   int
			typ int8
		}{{camera, changeCamera}, {mic, changeMic}, {canShare, changeCanShare}} {
			if ev.v != 0 {
				c.add(cmdPersonal, personalNote{operator: op, Type: ev.typ, Users: []Person{person(m)}})
			}
		}
		if canShare == off && room.SharingUID == m.UID {
			room.SharingUID = 0
			c.add(cmdStopShare, stopShareNote{operator: op, TargetUID: m.UID, TargetName: m.NickName})
		}
		return t.SaveRoom(ctx)
	})
}

// liveType is a list change's type: 1 teacher in, 2 student in, 3
// teacher out, 4 student out.
func liveType(role, delta int) int8 {
	t := int8(1)
	if role != roleTeacher {
		t = 2
	}
	if delta < 0 {
		t += 2
	}
	return t
}

// Heartbeat keeps a member present and tells it the list versions.
func (s *Service) Heartbeat(ctx context.Context, roomID string, typ8 int8, uid int64) (*Seqs, error) {
	if uid <= 0 || !validRoom(roomID) || !validType(typ8) {
		return nil, errInvalid
	}
	out := &Seqs{Interval: int32(s.cfg.HeartbeatInterval)}
	e := s.inRoom(ctx, roomType(typ8), roomID, nil, errNeedLogin, func(t *store.GoClassTx, _ *change) error {
		if m, err := t.Member(ctx, uid); err != nil {
			return err
		} else if m == nil {
			return errNeedLogin
		}
		out.AttendeeListSeq, out.JoinLiveListSeq = t.Room.AttendeeSeq, t.Room.JoinLiveSeq
		return t.Heartbeat(ctx, uid, s.ms())
	})
	if e != nil {
		return nil, e
	}
	return out, nil
}

// Leave takes a member out of the room.
func (s *Service) Leave(ctx context.Context, roomID string, typ8 int8, uid int64) error {
	if uid <= 0 || !validRoom(roomID) || !validType(typ8) {
		return errInvalid
	}
	return s.inRoom(ctx, roomType(typ8), roomID, nil, errNoRoom, func(t *store.GoClassTx, c *change) error {
		m, err := t.Member(ctx, uid)
		if err != nil {
			return err
		} else if m == nil {
			return errNeedLogin
		}
		return s.leave(ctx, t, c, m)
	})
}

// leave removes m (a leave or a silent member) and notes what the room
// is told: the attendee list, the join-live list, the end of m's share.
func (s *Service) leave(ctx context.Context, t *store.GoClassTx, c *change, m *store.GoClassMember) error {
	room := &t.Room
	live := m.Camera == on || m.Mic == on || m.JoinedLive
	if err := t.DeleteMember(ctx, m.UID); err != nil {
		return err
	}
	room.AttendeeSeq++
	c.add(cmdAttendees, listNote{Seq: room.AttendeeSeq, Type: liveType(m.Role, -1), Delta: -1, Person: person(m)})
	if live {
		room.JoinLiveSeq++
		c.add(cmdJoinLive, listNote{Seq: room.JoinLiveSeq, Type: liveType(m.Role, -1), Delta: -1, Person: person(m)})
	}
	// By uid, not role: a teacher who came back as a student and left
	// frees the seat (the reference kept it).
	if room.TeacherUID == m.UID {
		room.TeacherUID = 0
	}
	// A sharer who leaves ends the share (the reference left the room
	// "sharing" with nobody there).
	if room.SharingUID == m.UID {
		room.SharingUID = 0
		op := operator{OperatorUID: m.UID, OperatorName: m.NickName}
		c.add(cmdStopShare, stopShareNote{operator: op, TargetUID: m.UID, TargetName: m.NickName})
	}
	n, err := t.Count(ctx, false)
	if err != nil {
		return err
	}
	if n == 0 && room.DestroyMS == 0 {
		room.DestroyMS = s.ms() + int64(s.cfg.DestroyBuffer)*1000
	}
	return t.SaveRoom(ctx)
}

// EndTeaching ends the class: the room is told and removed at once.
func (s *Service) EndTeaching(ctx context.Context, roomID string, typ8 int8, uid int64) error {
	if uid <= 0 || !validRoom(roomID) || !validType(typ8) {
		return errInvalid
	}
	return s.inRoom(ctx, roomType(typ8), roomID, nil, errNoRoom, func(t *store.GoClassTx, c *change) error {
		if uid != t.Room.TeacherUID {
			return errNotTeacher
		}
		m, err := t.Member(ctx, uid)
		if err != nil {
			return err
		} else if m == nil {
			return errNeedLogin
		} else if m.Role != roleTeacher {
			return errNotTeacher
		}
		c.add(cmdEndTeach, endNote{operator{OperatorUID: m.UID, OperatorName: m.NickName}})
		if err := c.recipients(ctx, t); err != nil {
			return err
		}
		c.clear = true
		return t.DeleteRoom(ctx)
	})
}

// StartShare makes uid the room's one sharer.
func (s *Service) StartShare(ctx context.Context, roomID string, typ8 int8, uid int64) error {
	if uid <= 0 || !validRoom(roomID) || !validType(typ8) {
		return errInvalid
	}
	return s.inRoom(ctx, roomType(typ8), roomID, nil, errNeedLogin, func(t *store.GoClassTx, c *change) error {
		m, err := t.Member(ctx, uid)
		if err != nil {
			return err
		} else if m == nil {
			return errNeedLogin
		}
		if m.CanShare != on {
			return errNoPerm
		}
		if t.Room.SharingUID > 0 {
			return errSharing
		}
		t.Room.SharingUID = uid
		c.add(cmdStartShare, startShareNote{SharingUID: uid, SharingName: m.NickName})
		return t.SaveRoom(ctx)
	})
}

// StopShare ends target's share: their own, or anyone's by the teacher.
func (s *Service) StopShare(ctx context.Context, roomID string, typ8 int8, uid, target int64) error {
	if uid <= 0 || !validRoom(roomID) || target <= 0 || !validType(typ8) {
		return errInvalid
	}
	return s.inRoom(ctx, roomType(typ8), roomID, nil, errNoRoom, func(t *store.GoClassTx, c *change) error {
		if target != t.Room.SharingUID {
			return errNotSharing
		}
		tm, err := t.Member(ctx, target)
		if err != nil {
			return err
		}
		var op operator
		if uid != target {
			me, err := t.Member(ctx, uid)
			if err != nil {
				return err
			} else if me == nil || me.Role != roleTeacher {
				return errNoPerm
			}
			op = operator{OperatorUID: me.UID, OperatorName: me.NickName}
		} else if tm != nil {
			op = operator{OperatorUID: tm.UID, OperatorName: tm.NickName}
		}
		t.Room.SharingUID = 0
		n := stopShareNote{operator: op}
		if tm != nil {
			n.TargetUID, n.TargetName = tm.UID, tm.NickName
		}
		c.add(cmdStopShare, n)
		return t.SaveRoom(ctx)
	})
}

// SendMessage sends a member's chat message to the room through ZEGO.
func (s *Service) SendMessage(ctx context.Context, roomID string, typ8 int8, uid int64, text string) error {
	if uid <= 0 || !validRoom(roomID) || !validType(typ8) || text == "" {
		return errInvalid
	}
	if len(text) > maxMessage {
		return &Error{CodeInvalid, fmt.Sprintf("message is longer than %d bytes", maxMessage)}
	}
	typ := roomType(typ8)
	var nick string
	if e := s.inRoom(ctx, typ, roomID, nil, errNeedLogin, func(t *store.GoClassTx, _ *change) error {
		m, err := t.Member(ctx, uid)
		if err != nil {
			return err
		} else if m == nil {
			return errNeedLogin
		}
		nick = m.NickName
		return nil
	}); e != nil {
		return e
	}
	_, lr := s.class(typ)
	return lr.chat(ctx, roomID, uid, nick, text)
}

// AdminEnd ends a room from the operator console: the members are told
// (105, no operator) and ZEGO clears it, as when its teacher ends it.
func (s *Service) AdminEnd(ctx context.Context, typ int, name string) error {
	return s.inRoom(ctx, typ, name, nil, errNoRoom, func(t *store.GoClassTx, c *change) error {
		c.add(cmdEndTeach, endNote{})
		if err := c.recipients(ctx, t); err != nil {
			return err
		}
		c.clear = true
		return t.DeleteRoom(ctx)
	})
}

// Room reads a room and its members (the console's view).
func (s *Service) Room(ctx context.Context, typ int, name string) (*store.GoClassRoom, []store.GoClassMember, error) {
	var room store.GoClassRoom
	var ms []store.GoClassMember
	e := s.inRoom(ctx, typ, name, nil, errNoRoom, func(t *store.GoClassTx, _ *change) error {
		room = t.Room
		var err error
		ms, err = t.Members(ctx, false)
		return err
	})
	if e != nil {
		return nil, nil, e
	}
	return &room, ms, nil
}

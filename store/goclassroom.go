package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// GoClassRoom is a GO课堂 (ZEGO) room: Type 1 is a small class, 2 a large one;
// Name is the room id its users typed.
type GoClassRoom struct {
	ID                        int64
	Type                      int
	Name                      string
	TeacherUID, SharingUID    int64
	DefaultCamera, DefaultMic int
	AllowCamera, AllowMic     int
	AttendeeSeq, JoinLiveSeq  int64
	CreatedMS                 int64
	DestroyMS                 int64 // when an empty room goes; 0 while anyone is in it
}

// GoClassMember is one person in a GO课堂 room.
type GoClassMember struct {
	UID                   int64
	NickName              string
	Role                  int
	Camera, Mic, CanShare int
	LoginMS, JoinLiveMS   int64
	JoinedLive            bool // in the co-streaming (join-live) list
	HeartbeatMS           int64
}

// GoClassRef names a room (and a member of it).
type GoClassRef struct {
	Type int
	Name string
	UID  int64
}

// GoClassTx is a transaction on one GO课堂 room, which it holds locked: no
// other server or request changes the room until it ends.
type GoClassTx struct {
	tx   *sql.Tx
	Room GoClassRoom
}

const goClassRoomCols = `id, room_type, room_name, teacher_uid, sharing_uid, default_camera,
	default_mic, allow_camera, allow_mic, attendee_seq, join_live_seq, created_ms, destroy_ms`

const goClassMemberCols = `uid, nick_name, role, camera, mic, can_share, login_ms,
	join_live_ms, joined_live, heartbeat_ms`

// GoClassNew says how a missing room is made: its first row, the most rooms
// there may be (0: no cap; past it ErrFull) and a last check before it is
// made (the creator's rate limit), whose error is returned.
type GoClassNew struct {
	Room     GoClassRoom
	MaxRooms int
	Allow    func() error
}

// EduRoom runs fn in a transaction on the room (typ, name), locked. With
// create set, a missing room is made first; without, a missing room is
// ErrNotFound and fn does not run. fn's error rolls back.
func (s *Store) InGoClassRoom(ctx context.Context, typ int, name string, create *GoClassNew, fn func(*GoClassTx) error) error {
	sel := "SELECT " + goClassRoomCols + " FROM t_edu_room WHERE room_type = ? AND room_name = ?" + s.d.forUpdate
	missing := false
	run := func() error {
		missing = false
		return s.txUnlisted(ctx, func(tx *sql.Tx) error {
			t := &GoClassTx{tx: tx}
			err := scanGoClassRoom(tx.QueryRowContext(ctx, sel, typ, name), &t.Room)
			if errors.Is(err, sql.ErrNoRows) {
				missing = true
				return ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("read room: %w", err)
			}
			return fn(t)
		})
	}
	err := run()
	if !missing || create == nil {
		return err
	}
	if create.Allow != nil {
		if err := create.Allow(); err != nil {
			return err
		}
	}
	if create.MaxRooms > 0 {
		// Several creators at once may pass together: the cap can be
		// exceeded by as many rooms as are made in the same instant.
		var n int
		if err := s.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_edu_room").Scan(&n); err != nil {
			return fmt.Errorf("count rooms: %w", err)
		}
		if n >= create.MaxRooms {
			return ErrFull
		}
	}
	// Made in a statement of its own, so that the locked transaction
	// finds a row (on MySQL, locking a missing row locks a gap, and two
	// creators then deadlock).
	ins := s.d.insertIgnore + " INTO t_edu_room (room_type, room_name, default_camera, default_mic, allow_camera, allow_mic, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"
	r := &create.Room
	if _, err := s.execUnlisted(ctx, ins, typ, name, r.DefaultCamera, r.DefaultMic,
		r.AllowCamera, r.AllowMic, r.CreatedMS); err != nil {
		return fmt.Errorf("create room: %w", err)
	}
	return run()
}

func scanGoClassRoom(row scanner, r *GoClassRoom) error {
	return row.Scan(&r.ID, &r.Type, &r.Name, &r.TeacherUID, &r.SharingUID, &r.DefaultCamera,
		&r.DefaultMic, &r.AllowCamera, &r.AllowMic, &r.AttendeeSeq, &r.JoinLiveSeq, &r.CreatedMS, &r.DestroyMS)
}

type scanner interface{ Scan(...any) error }

func scanGoClassMember(row scanner, m *GoClassMember) error {
	return row.Scan(&m.UID, &m.NickName, &m.Role, &m.Camera, &m.Mic, &m.CanShare, &m.LoginMS,
		&m.JoinLiveMS, &m.JoinedLive, &m.HeartbeatMS)
}

// Member reads one member; nil when uid is not in the room.
func (t *GoClassTx) Member(ctx context.Context, uid int64) (*GoClassMember, error) {
	var m GoClassMember
	err := scanGoClassMember(t.tx.QueryRowContext(ctx, "SELECT "+goClassMemberCols+
		" FROM t_edu_member WHERE room = ? AND uid = ?", t.Room.ID, uid), &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read member: %w", err)
	}
	return &m, nil
}

// Members lists the room's members by uid; joinLive lists only those in
// the join-live list.
func (t *GoClassTx) Members(ctx context.Context, joinLive bool) ([]GoClassMember, error) {
	q := "SELECT " + goClassMemberCols + " FROM t_edu_member WHERE room = ?"
	if joinLive {
		q += " AND joined_live = 1"
	}
	rows, err := t.tx.QueryContext(ctx, q+" ORDER BY uid", t.Room.ID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	out := []GoClassMember{}
	for rows.Next() {
		var m GoClassMember
		if err := scanGoClassMember(rows, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Count counts the room's members (joinLive: those in the join-live list).
func (t *GoClassTx) Count(ctx context.Context, joinLive bool) (int, error) {
	q := "SELECT COUNT(*) FROM t_edu_member WHERE room = ?"
	if joinLive {
		q += " AND joined_live = 1"
	}
	var n int
	if err := t.tx.QueryRowContext(ctx, q, t.Room.ID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count members: %w", err)
	}
	return n, nil
}

// PutMember writes a member, new or changed.
func (t *GoClassTx) PutMember(ctx context.Context, m *GoClassMember) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE t_edu_member SET nick_name = ?, role = ?, camera = ?, mic = ?,
		can_share = ?, login_ms = ?, join_live_ms = ?, joined_live = ?, heartbeat_ms = ? WHERE room = ? AND uid = ?`,
		m.NickName, m.Role, m.Camera, m.Mic, m.CanShare, m.LoginMS, m.JoinLiveMS, m.JoinedLive, m.HeartbeatMS,
		t.Room.ID, m.UID)
	if err != nil {
		return fmt.Errorf("update member: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.tx.ExecContext(ctx, "INSERT INTO t_edu_member (room, "+goClassMemberCols+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", t.Room.ID, m.UID, m.NickName, m.Role, m.Camera,
		m.Mic, m.CanShare, m.LoginMS, m.JoinLiveMS, m.JoinedLive, m.HeartbeatMS)
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

// Heartbeat records a member's heartbeat.
func (t *GoClassTx) Heartbeat(ctx context.Context, uid, ms int64) error {
	_, err := t.tx.ExecContext(ctx, "UPDATE t_edu_member SET heartbeat_ms = ? WHERE room = ? AND uid = ?", ms, t.Room.ID, uid)
	return err
}

// DeleteMember removes a member.
func (t *GoClassTx) DeleteMember(ctx context.Context, uid int64) error {
	_, err := t.tx.ExecContext(ctx, "DELETE FROM t_edu_member WHERE room = ? AND uid = ?", t.Room.ID, uid)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return nil
}

// SaveRoom writes the room's changing fields.
func (t *GoClassTx) SaveRoom(ctx context.Context) error {
	r := &t.Room
	_, err := t.tx.ExecContext(ctx, `UPDATE t_edu_room SET teacher_uid = ?, sharing_uid = ?, attendee_seq = ?,
		join_live_seq = ?, destroy_ms = ? WHERE id = ?`, r.TeacherUID, r.SharingUID, r.AttendeeSeq,
		r.JoinLiveSeq, r.DestroyMS, r.ID)
	if err != nil {
		return fmt.Errorf("save room: %w", err)
	}
	return nil
}

// DeleteRoom removes the room and its members.
func (t *GoClassTx) DeleteRoom(ctx context.Context) error {
	if _, err := t.tx.ExecContext(ctx, "DELETE FROM t_edu_member WHERE room = ?", t.Room.ID); err != nil {
		return fmt.Errorf("remove members: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, "DELETE FROM t_edu_room WHERE id = ?", t.Room.ID); err != nil {
		return fmt.Errorf("remove room: %w", err)
	}
	return nil
}

// GoClassSilent lists the members whose last heartbeat is before ms.
func (s *Store) GoClassSilent(ctx context.Context, beforeMS int64) ([]GoClassRef, error) {
	return s.goClassRefs(ctx, `SELECT r.room_type, r.room_name, m.uid FROM t_edu_member m
		JOIN t_edu_room r ON r.id = m.room WHERE m.heartbeat_ms < ? ORDER BY m.heartbeat_ms LIMIT 1000`, beforeMS)
}

// GoClassScheduleEmpty gives every empty room without a destroy time one
// (atMS); a room emptied by a crash between writes is not kept forever.
func (s *Store) GoClassScheduleEmpty(ctx context.Context, atMS int64) error {
	_, err := s.execUnlisted(ctx, `UPDATE t_edu_room SET destroy_ms = ? WHERE destroy_ms = 0
		AND NOT EXISTS (SELECT 1 FROM t_edu_member m WHERE m.room = t_edu_room.id)`, atMS)
	return err
}

// GoClassDue lists the rooms whose destroy time has come.
func (s *Store) GoClassDue(ctx context.Context, nowMS int64) ([]GoClassRef, error) {
	return s.goClassRefs(ctx, `SELECT room_type, room_name, 0 FROM t_edu_room
		WHERE destroy_ms > 0 AND destroy_ms <= ? ORDER BY destroy_ms LIMIT 1000`, nowMS)
}

// GoClassRoomCount is how many GO课堂 rooms there are.
func (s *Store) GoClassRoomCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_edu_room").Scan(&n)
	return n, err
}

// GoClassRooms lists a page of the GO课堂 rooms, oldest first, and how many
// there are (the console's view).
func (s *Store) GoClassRooms(ctx context.Context, offset, limit int64) (int64, []GoClassRoom, error) {
	total, err := s.GoClassRoomCount(ctx)
	if err != nil {
		return 0, nil, err
	}
	rooms, err := s.goClassRooms(ctx, offset, limit)
	return total, rooms, err
}

func (s *Store) goClassRooms(ctx context.Context, offset, limit int64) ([]GoClassRoom, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+goClassRoomCols+" FROM t_edu_room ORDER BY id LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GoClassRoom
	for rows.Next() {
		var r GoClassRoom
		if err := scanGoClassRoom(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) goClassRefs(ctx context.Context, q string, arg int64) ([]GoClassRef, error) {
	rows, err := s.r.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GoClassRef
	for rows.Next() {
		var r GoClassRef
		if err := rows.Scan(&r.Type, &r.Name, &r.UID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

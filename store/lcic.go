package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// APIKey is a row of t_api_key: a SecretId of the LCIC API, scoped to
// one app. SecretEnc is the secret encrypted by its owner.
type APIKey struct {
	SecretID, Name, SecretEnc  string
	AppID                      int64
	Created, Revoked, LastUsed int64
}

// CreateAPIKey adds a key.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	_, err := s.execUnlisted(ctx, "INSERT INTO t_api_key (secret_id, name, app_id, secret_enc, created) VALUES (?, ?, ?, ?, ?)",
		k.SecretID, k.Name, k.AppID, k.SecretEnc, k.Created)
	if s.d.unique(err) {
		return ErrExists
	}
	return err
}

const apiKeyCols = "secret_id, name, app_id, secret_enc, created, revoked, last_used"

func scanAPIKey(row scanner, k *APIKey) error {
	return row.Scan(&k.SecretID, &k.Name, &k.AppID, &k.SecretEnc, &k.Created, &k.Revoked, &k.LastUsed)
}

// APIKey reads a key (ErrNotFound).
func (s *Store) APIKey(ctx context.Context, secretID string) (*APIKey, error) {
	k := &APIKey{}
	err := scanAPIKey(s.r.QueryRowContext(ctx, "SELECT "+apiKeyCols+" FROM t_api_key WHERE secret_id = ?", secretID), k)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return k, err
}

// APIKeys lists every key, newest first.
func (s *Store) APIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+apiKeyCols+" FROM t_api_key ORDER BY created DESC, secret_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		if err := scanAPIKey(rows, &k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey ends a key; false when there is no such live key.
func (s *Store) RevokeAPIKey(ctx context.Context, secretID string, now int64) (bool, error) {
	res, err := s.execUnlisted(ctx, "UPDATE t_api_key SET revoked = ? WHERE secret_id = ? AND revoked = 0", now, secretID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// TouchAPIKey notes a key's use (at most once a minute).
func (s *Store) TouchAPIKey(ctx context.Context, secretID string, now int64) error {
	_, err := s.execUnlisted(ctx, "UPDATE t_api_key SET last_used = ? WHERE secret_id = ? AND last_used < ?", now, secretID, now-60)
	return err
}

// LCICUser is a row of t_lcic_user: a school's user (OriginId) mapped to
// an account (Uin, whose uid is UserID).
type LCICUser struct {
	UserID, OriginID, Name, Avatar string
	AppID, Uin, Created            int64
	Deleted                        bool
}

const lcicUserCols = "user_id, origin_id, name, avatar, app_id, uin, created, deleted"

func scanLCICUser(row scanner) (*LCICUser, error) {
	u := &LCICUser{}
	var deleted int64
	err := row.Scan(&u.UserID, &u.OriginID, &u.Name, &u.Avatar, &u.AppID, &u.Uin, &u.Created, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	u.Deleted = deleted != 0
	return u, err
}

// NoPassword is the password field of accounts that sign in only
// through a school's system: no password matches it.
const NoPassword = "!sso"

// RegisterLCICUser maps (app, origin) to a new account named u.UserID,
// or answers the user the origin already has (made is false then).
func (s *Store) RegisterLCICUser(ctx context.Context, u *LCICUser) (got *LCICUser, made bool, err error) {
	err = s.txUnlisted(ctx, func(tx *sql.Tx) error {
		old, err := scanLCICUser(tx.QueryRowContext(ctx, "SELECT "+lcicUserCols+" FROM t_lcic_user WHERE app_id = ? AND origin_id = ?"+s.d.forUpdate,
			u.AppID, u.OriginID))
		if err == nil {
			got, made = old, false
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO t_account (uid, appid, role, pwd, register_time) VALUES (?, ?, 0, ?, ?)",
			u.UserID, u.AppID, NoPassword, u.Created)
		if err != nil {
			return fmt.Errorf("register user: account: %w", err)
		}
		if u.Uin, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO t_lcic_user (user_id, app_id, origin_id, name, avatar, uin, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
			u.UserID, u.AppID, u.OriginID, u.Name, u.Avatar, u.Uin, u.Created); err != nil {
			return fmt.Errorf("register user: %w", err)
		}
		got, made = u, true
		return nil
	})
	if s.d.unique(err) {
		// Another server registered the same origin at once: its user.
		got, err = scanLCICUser(s.w.QueryRowContext(ctx, "SELECT "+lcicUserCols+" FROM t_lcic_user WHERE app_id = ? AND origin_id = ?", u.AppID, u.OriginID))
		return got, false, err
	}
	return got, made, err
}

// LCICUser reads a user by UserId (ErrNotFound; a deleted one too).
func (s *Store) LCICUser(ctx context.Context, userID string) (*LCICUser, error) {
	return scanLCICUser(s.r.QueryRowContext(ctx, "SELECT "+lcicUserCols+" FROM t_lcic_user WHERE user_id = ?", userID))
}

// LCICUserByOrigin reads a user by the school's id (ErrNotFound).
func (s *Store) LCICUserByOrigin(ctx context.Context, app int64, origin string) (*LCICUser, error) {
	return scanLCICUser(s.r.QueryRowContext(ctx, "SELECT "+lcicUserCols+" FROM t_lcic_user WHERE app_id = ? AND origin_id = ?", app, origin))
}

// LCICUsers reads the users named (missing ones left out).
func (s *Store) LCICUsers(ctx context.Context, ids []string) (map[string]*LCICUser, error) {
	out := map[string]*LCICUser{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+lcicUserCols+" FROM t_lcic_user WHERE user_id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanLCICUser(rows)
		if err != nil {
			return nil, err
		}
		out[u.UserID] = u
	}
	return out, rows.Err()
}

// ModifyLCICUser changes a user's name and avatar (nil: unchanged).
func (s *Store) ModifyLCICUser(ctx context.Context, userID string, name, avatar *string) error {
	res, err := s.execUnlisted(ctx, "UPDATE t_lcic_user SET name = COALESCE(?, name), avatar = COALESCE(?, avatar) WHERE user_id = ? AND deleted = 0",
		name, avatar, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteLCICUser removes a user's personal fields (name, avatar, the
// school's id) and its way in; its class history stays under its UserId.
func (s *Store) DeleteLCICUser(ctx context.Context, u *LCICUser, now int64) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE t_lcic_user SET name = '', avatar = '', origin_id = ?, deleted = ? WHERE user_id = ?",
			"deleted:"+u.UserID, now, u.UserID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE t_account SET pwd = ? WHERE uin = ?", NoPassword+":deleted", u.Uin)
		return err
	})
}

// SetTeacher makes an account a teacher (role 1): it may start classes.
func (s *Store) SetTeacher(ctx context.Context, uin int64) error {
	_, err := s.execUnlisted(ctx, "UPDATE t_account SET role = 1 WHERE uin = ? AND role <> 1", uin)
	return err
}

// LCICRoom is a row of t_lcic_room: a scheduled class (its t_course row
// has the same number).
type LCICRoom struct {
	RoomID, AppID, StartTime, EndTime, Created int64
	Name, TeacherID, GroupID                   string
	Assistants                                 []string
	// Extra are the API's other room fields, kept as given.
	Extra   map[string]json.RawMessage
	Expired bool
}

const lcicRoomCols = "room_id, app_id, start_time, end_time, created, name, teacher_id, group_id, assistants, extra, expired"

func scanLCICRoom(row scanner) (*LCICRoom, error) {
	r := &LCICRoom{}
	var assistants, extra string
	var expired int64
	err := row.Scan(&r.RoomID, &r.AppID, &r.StartTime, &r.EndTime, &r.Created, &r.Name, &r.TeacherID, &r.GroupID,
		&assistants, &extra, &expired)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(assistants), &r.Assistants)
	_ = json.Unmarshal([]byte(extra), &r.Extra)
	r.Expired = expired != 0
	return r, nil
}

func (r *LCICRoom) jsonFields() (assistants, extra string) {
	a, _ := json.Marshal(r.Assistants)
	if r.Assistants == nil {
		a = []byte("[]")
	}
	e, _ := json.Marshal(r.Extra)
	if r.Extra == nil {
		e = []byte("{}")
	}
	return string(a), string(e)
}

// CreateLCICRoom makes a class for host (the teacher) and its schedule
// in one transaction; it answers the class's number.
func (s *Store) CreateLCICRoom(ctx context.Context, host *Account, r *LCICRoom) (int64, error) {
	a, e := r.jsonFields()
	return s.createRoom(ctx, host, r.Name, "", r.Created, func(tx *sql.Tx, id int64) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO t_lcic_room (room_id, app_id, start_time, end_time, created, name, teacher_id, group_id, assistants, extra) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", id, r.AppID, r.StartTime, r.EndTime, r.Created, r.Name, r.TeacherID, r.GroupID, a, e)
		return err
	})
}

// LCICRoom reads a scheduled class (ErrNotFound).
func (s *Store) LCICRoom(ctx context.Context, id int64) (*LCICRoom, error) {
	none, gen := s.unscheduled(id)
	if none {
		return nil, ErrNotFound
	}
	r, err := scanLCICRoom(s.r.QueryRowContext(ctx, "SELECT "+lcicRoomCols+" FROM t_lcic_room WHERE room_id = ?", id))
	if errors.Is(err, ErrNotFound) {
		s.noteUnscheduled(id, gen)
	}
	return r, err
}

// ModifyLCICRoom writes a scheduled class back; host, when set, becomes
// its class's teacher. It is refused (ErrConflict) unless the class is
// still to start.
func (s *Store) ModifyLCICRoom(ctx context.Context, r *LCICRoom, host *Account) error {
	a, e := r.jsonFields()
	c := roomChange(r.RoomID)
	if host != nil {
		c.Hosts = []int64{r.RoomID}
	}
	err := s.txChange(ctx, c, func(tx *sql.Tx) error {
		var state int
		if err := tx.QueryRowContext(ctx, "SELECT state FROM t_course WHERE room_id = ?"+s.d.forUpdate, r.RoomID).Scan(&state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if state != StateCreated {
			return ErrConflict
		}
		if _, err := tx.ExecContext(ctx, "UPDATE t_lcic_room SET start_time = ?, end_time = ?, name = ?, teacher_id = ?, group_id = ?, "+
			"assistants = ?, extra = ? WHERE room_id = ?", r.StartTime, r.EndTime, r.Name, r.TeacherID, r.GroupID, a, e, r.RoomID); err != nil {
			return err
		}
		if host != nil {
			_, err := tx.ExecContext(ctx, "UPDATE t_course SET title = ?, host_uin = ? WHERE room_id = ?", r.Name, host.Uin, r.RoomID)
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE t_course SET title = ? WHERE room_id = ?", r.Name, r.RoomID)
		return err
	})
	return err
}

// DeleteLCICRoom removes a scheduled class that never started
// (ErrConflict once it did).
func (s *Store) DeleteLCICRoom(ctx context.Context, id int64) error {
	c := roomChange(id)
	c.Hosts = []int64{id}
	return s.txChange(ctx, c, func(tx *sql.Tx) error {
		var state int
		if err := tx.QueryRowContext(ctx, "SELECT state FROM t_course WHERE room_id = ?"+s.d.forUpdate, id).Scan(&state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if state == StateLiving {
			return ErrConflict
		}
		for _, q := range []string{"DELETE FROM t_lcic_room WHERE room_id = ?", "DELETE FROM t_class_member WHERE room_id = ?",
			"DELETE FROM t_removed_member WHERE room_id = ?", "DELETE FROM t_course WHERE room_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// LCICRoomRow is a scheduled class with its class's state.
type LCICRoomRow struct {
	LCICRoom
	State              int
	RealStart, RealEnd int64
}

// LCICRoomFilter selects scheduled classes for a timetable: those of the
// app (0: every app) starting in [From, To] (0: no bound), of the
// teacher, or whose group has the member, in start order.
type LCICRoomFilter struct {
	AppID, From, To int64
	TeacherID       string
	MemberID        string // a user: their rooms as teacher, assistant or group member
	GroupID         string
	// Statuses are the API's room states to list (none: all): 0 not
	// started, 1 started, 2 ended, 3 expired.
	Statuses      []int
	Offset, Limit int64
}

// LCICRooms lists scheduled classes and how many match.
func (s *Store) LCICRooms(ctx context.Context, f LCICRoomFilter) (int64, []LCICRoomRow, error) {
	where, args := " WHERE 1 = 1", []any{}
	if f.AppID != 0 {
		where, args = where+" AND r.app_id = ?", append(args, f.AppID)
	}
	if f.From > 0 {
		where, args = where+" AND r.start_time >= ?", append(args, f.From)
	}
	if f.To > 0 {
		where, args = where+" AND r.start_time <= ?", append(args, f.To)
	}
	if f.TeacherID != "" {
		where, args = where+" AND r.teacher_id = ?", append(args, f.TeacherID)
	}
	if f.GroupID != "" {
		where, args = where+" AND r.group_id = ?", append(args, f.GroupID)
	}
	if f.MemberID != "" {
		where = where + " AND (r.teacher_id = ? OR INSTR(r.assistants, ?) > 0 OR r.group_id IN (SELECT group_id FROM t_lcic_group_member WHERE user_id = ?))"
		args = append(args, f.MemberID, `"`+f.MemberID+`"`, f.MemberID)
	}
	if len(f.Statuses) > 0 {
		var or []string
		for _, st := range f.Statuses {
			switch st {
			case 0:
				or = append(or, "(c.state = 0 AND r.expired = 0)")
			case 1:
				or = append(or, "c.state = 1")
			case 2:
				or = append(or, "(c.state IN (2, 3) AND r.expired = 0)")
			case 3:
				or = append(or, "r.expired = 1")
			}
		}
		if len(or) == 0 {
			or = []string{"1 = 0"}
		}
		where += " AND (" + strings.Join(or, " OR ") + ")"
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_lcic_room r JOIN t_course c ON c.room_id = r.room_id"+where, args...).Scan(&n); err != nil {
		return 0, nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.r.QueryContext(ctx, "SELECT r.room_id, r.app_id, r.start_time, r.end_time, r.created, r.name, r.teacher_id, r.group_id, "+
		"r.assistants, r.extra, r.expired, c.state, c.start_time, c.end_time FROM t_lcic_room r JOIN t_course c ON c.room_id = r.room_id"+
		where+" ORDER BY r.start_time, r.room_id LIMIT ? OFFSET ?", append(args, limit, f.Offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []LCICRoomRow
	for rows.Next() {
		var row LCICRoomRow
		var assistants, extra string
		var expired int64
		r := &row.LCICRoom
		if err := rows.Scan(&r.RoomID, &r.AppID, &r.StartTime, &r.EndTime, &r.Created, &r.Name, &r.TeacherID, &r.GroupID,
			&assistants, &extra, &expired, &row.State, &row.RealStart, &row.RealEnd); err != nil {
			return 0, nil, err
		}
		_ = json.Unmarshal([]byte(assistants), &r.Assistants)
		_ = json.Unmarshal([]byte(extra), &r.Extra)
		r.Expired = expired != 0
		out = append(out, row)
	}
	return n, out, rows.Err()
}

// LCICOpens is when a scheduled class starts (0 for a class without a
// schedule).
func (s *Store) LCICOpens(ctx context.Context, id int64) (int64, error) {
	none, gen := s.unscheduled(id)
	if none {
		return 0, nil
	}
	var start int64
	err := s.r.QueryRowContext(ctx, "SELECT start_time FROM t_lcic_room WHERE room_id = ?", id).Scan(&start)
	if errors.Is(err, sql.ErrNoRows) {
		s.noteUnscheduled(id, gen)
		return 0, nil
	}
	return start, err
}

// ExpireLCICRooms ends the scheduled classes nobody started by their
// end: state 2, never entered again. It answers their numbers.
func (s *Store) ExpireLCICRooms(ctx context.Context, now int64) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT r.room_id FROM t_lcic_room r JOIN t_course c ON c.room_id = r.room_id "+
		"WHERE r.expired = 0 AND r.end_time < ? AND c.state = 0", now)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var done []int64
	for _, id := range ids {
		var n int64
		err := s.txChange(ctx, roomChange(id), func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, "UPDATE t_course SET state = 2, end_time = (SELECT end_time FROM t_lcic_room WHERE room_id = ?) "+
				"WHERE room_id = ? AND state = 0", id, id)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			_, err = tx.ExecContext(ctx, "UPDATE t_lcic_room SET expired = 1 WHERE room_id = ?", id)
			return err
		})
		if err != nil {
			return done, err
		}
		if n > 0 {
			done = append(done, id)
		}
	}
	return done, nil
}

// LCICGroup is a row of t_lcic_group: a class of students (班级).
type LCICGroup struct {
	GroupID, Name, TeacherID string
	AppID, Created           int64
}

// CreateLCICGroup adds a group and its members.
func (s *Store) CreateLCICGroup(ctx context.Context, g *LCICGroup, members []string) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t_lcic_group (group_id, app_id, name, teacher_id, created) VALUES (?, ?, ?, ?, ?)",
			g.GroupID, g.AppID, g.Name, g.TeacherID, g.Created); err != nil {
			return err
		}
		return addGroupMembers(ctx, tx, s.d, g.GroupID, members, g.Created)
	})
}

func addGroupMembers(ctx context.Context, tx *sql.Tx, d dialect, group string, members []string, now int64) error {
	for _, m := range members {
		if _, err := tx.ExecContext(ctx, d.insertIgnore+" INTO t_lcic_group_member (group_id, user_id, added) VALUES (?, ?, ?)", group, m, now); err != nil {
			return err
		}
	}
	return nil
}

// LCICGroup reads a group (ErrNotFound).
func (s *Store) LCICGroup(ctx context.Context, id string) (*LCICGroup, error) {
	g := &LCICGroup{}
	err := s.r.QueryRowContext(ctx, "SELECT group_id, name, teacher_id, app_id, created FROM t_lcic_group WHERE group_id = ?", id).
		Scan(&g.GroupID, &g.Name, &g.TeacherID, &g.AppID, &g.Created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return g, err
}

// AddLCICGroupMembers adds members to a group (those in it stay).
func (s *Store) AddLCICGroupMembers(ctx context.Context, group string, members []string, now int64) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error { return addGroupMembers(ctx, tx, s.d, group, members, now) })
}

// DeleteLCICGroupMembers takes members out of a group.
func (s *Store) DeleteLCICGroupMembers(ctx context.Context, group string, members []string) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		for _, m := range members {
			if _, err := tx.ExecContext(ctx, "DELETE FROM t_lcic_group_member WHERE group_id = ? AND user_id = ?", group, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteLCICGroups removes groups and their member lists.
func (s *Store) DeleteLCICGroups(ctx context.Context, app int64, ids []string) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "DELETE FROM t_lcic_group_member WHERE group_id IN (SELECT group_id FROM t_lcic_group WHERE group_id = ? AND app_id = ?)", id, app); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM t_lcic_group WHERE group_id = ? AND app_id = ?", id, app); err != nil {
				return err
			}
		}
		return nil
	})
}

// LCICGroups pages an app's groups, by teacher or member when named.
func (s *Store) LCICGroups(ctx context.Context, app int64, teacher, member string, offset, limit int64) (int64, []LCICGroup, error) {
	where, args := " WHERE app_id = ?", []any{app}
	switch {
	case teacher != "":
		where, args = where+" AND teacher_id = ?", append(args, teacher)
	case member != "":
		where, args = where+" AND group_id IN (SELECT group_id FROM t_lcic_group_member WHERE user_id = ?)", append(args, member)
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_lcic_group"+where, args...).Scan(&n); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT group_id, name, teacher_id, app_id, created FROM t_lcic_group"+where+
		" ORDER BY created, group_id LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []LCICGroup
	for rows.Next() {
		var g LCICGroup
		if err := rows.Scan(&g.GroupID, &g.Name, &g.TeacherID, &g.AppID, &g.Created); err != nil {
			return 0, nil, err
		}
		out = append(out, g)
	}
	return n, out, rows.Err()
}

// LCICGroupMembers pages a group's members in the order they were added.
func (s *Store) LCICGroupMembers(ctx context.Context, group string, offset, limit int64) (int64, []string, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_lcic_group_member WHERE group_id = ?", group).Scan(&n); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT user_id FROM t_lcic_group_member WHERE group_id = ? ORDER BY added, user_id LIMIT ? OFFSET ?",
		group, limit, offset)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, nil, err
		}
		out = append(out, id)
	}
	return n, out, rows.Err()
}

// LCICApp is an app's callback settings.
type LCICApp struct {
	AppID                 int64
	Callback, CallbackKey string
}

// LCICApp reads an app's settings (empty when never set).
func (s *Store) LCICApp(ctx context.Context, app int64) (*LCICApp, error) {
	a := &LCICApp{AppID: app}
	err := s.r.QueryRowContext(ctx, "SELECT callback, callback_key FROM t_lcic_app WHERE app_id = ?", app).Scan(&a.Callback, &a.CallbackKey)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil
	}
	return a, err
}

// SetLCICApp stores an app's settings.
func (s *Store) SetLCICApp(ctx context.Context, a *LCICApp) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE t_lcic_app SET callback = ?, callback_key = ? WHERE app_id = ?", a.Callback, a.CallbackKey, a.AppID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO t_lcic_app (app_id, callback, callback_key) VALUES (?, ?, ?)", a.AppID, a.Callback, a.CallbackKey)
		return err
	})
}

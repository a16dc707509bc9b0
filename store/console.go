package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The operator console's storage: admin accounts and sessions, the audit
// list, removed members, and the read-only views of classes and users.

// Admin is a console account.
type Admin struct {
	ID   int64
	Name string
	Pwd  string // bcrypt hash
}

// AdminCount counts the console accounts.
func (s *Store) AdminCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_admin").Scan(&n)
	return n, err
}

// CreateAdmin adds a console account; a taken name is ErrExists.
func (s *Store) CreateAdmin(ctx context.Context, name, hash string, now int64) error {
	_, err := s.exec(ctx, "INSERT INTO t_admin (name, pwd, created) VALUES (?, ?, ?)", name, hash, now)
	if s.d.unique(err) {
		return ErrExists
	}
	return err
}

// AdminByName finds a console account (ErrNotFound).
func (s *Store) AdminByName(ctx context.Context, name string) (*Admin, error) {
	var a Admin
	err := s.w.QueryRowContext(ctx, "SELECT id, name, pwd FROM t_admin WHERE name = ?", name).Scan(&a.ID, &a.Name, &a.Pwd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &a, err
}

// AdminSession is a console login.
type AdminSession struct {
	AdminID int64
	Name    string
	CSRF    string
	Expires int64
}

// CreateAdminSession stores a session by its token's hash.
func (s *Store) CreateAdminSession(ctx context.Context, tokenHash string, se AdminSession, now int64) error {
	_, err := s.exec(ctx, "INSERT INTO t_admin_session (token_hash, admin_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
		tokenHash, se.AdminID, se.CSRF, now, se.Expires)
	if err == nil {
		_, err = s.exec(ctx, "DELETE FROM t_admin_session WHERE expires < ?", now)
	}
	return err
}

// AdminSessionByHash finds a live session and slides its expiry to
// expires (ErrNotFound when missing or expired).
func (s *Store) AdminSessionByHash(ctx context.Context, tokenHash string, now, expires int64) (*AdminSession, error) {
	var se AdminSession
	err := s.w.QueryRowContext(ctx, `SELECT s.admin_id, a.name, s.csrf, s.expires FROM t_admin_session s
		JOIN t_admin a ON a.id = s.admin_id WHERE s.token_hash = ?`, tokenHash).Scan(&se.AdminID, &se.Name, &se.CSRF, &se.Expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && se.Expires <= now {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if expires-se.Expires > 60 { // written at most once a minute
		s.exec(ctx, "UPDATE t_admin_session SET expires = ? WHERE token_hash = ?", expires, tokenHash)
		se.Expires = expires
	}
	return &se, nil
}

// DeleteAdminSession ends a session.
func (s *Store) DeleteAdminSession(ctx context.Context, tokenHash string) error {
	_, err := s.exec(ctx, "DELETE FROM t_admin_session WHERE token_hash = ?", tokenHash)
	return err
}

// ExpireAdminSessions ends every session at now (tests and "sign out all").
func (s *Store) ExpireAdminSessions(ctx context.Context, now int64) error {
	_, err := s.exec(ctx, "UPDATE t_admin_session SET expires = ?", now)
	return err
}

type auditKey struct{}

type pendingAudit struct {
	entry AuditEntry
	done  bool
}

// WithAudit returns a ctx whose first write records e in the same
// transaction: an action and its audit row are committed together or not
// at all. An action that writes nothing is not recorded.
func WithAudit(ctx context.Context, e AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, &pendingAudit{entry: e})
}

func auditOf(ctx context.Context) *pendingAudit {
	a, _ := ctx.Value(auditKey{}).(*pendingAudit)
	return a
}

// AuditEntry is one recorded console action.
type AuditEntry struct {
	ID                            int64
	At                            int64
	Admin, Action, Target, Detail string
}

// Audit records a console event that changes nothing else (a failed
// sign-in); an action's entry goes with its change (WithAudit).
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error { return insertAudit(ctx, tx, e) })
}

func insertAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO t_audit (at, admin, action, target, detail) VALUES (?, ?, ?, ?, ?)",
		e.At, e.Admin, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditList lists console actions, newest first, with the total.
func (s *Store) AuditList(ctx context.Context, offset, limit int64) (int64, []AuditEntry, error) {
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_audit").Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT id, at, admin, action, target, detail FROM t_audit ORDER BY id DESC LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Admin, &e.Action, &e.Target, &e.Detail); err != nil {
			return 0, nil, err
		}
		out = append(out, e)
	}
	return total, out, rows.Err()
}

// RemoveMember takes a member out of a class for good: it has left, and
// Enter refuses it (ErrRemoved) from now on.
func (s *Store) RemoveMember(ctx context.Context, room, uin, now int64) error {
	ins := s.d.insertIgnore + " INTO t_removed_member (room_id, uin, at) VALUES (?, ?, ?)"
	defer s.removedFrom(room, uin)
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, ins, room, uin, now); err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE t_class_member SET has_exited = 1 WHERE room_id = ? AND uin = ?", room, uin); err != nil {
			return fmt.Errorf("remove member: mark exited: %w", err)
		}
		return nil
	})
}

// ErrRemoved is an enter by a member an operator removed from the class.
var ErrRemoved = errors.New("store: removed from the class")

// CourseFilter selects classes for the console.
type CourseFilter struct {
	State         int    // -1: any
	Teacher       string // the teacher's id (exact)
	From, To      int64  // create time range (0: open)
	Offset, Limit int64
}

// CourseRow is a class as the console lists it.
type CourseRow struct {
	Room
	Teacher string
	Present int64
}

// Courses lists classes newest first, with the total that match.
func (s *Store) Courses(ctx context.Context, f CourseFilter) (int64, []CourseRow, error) {
	var where []string
	var args []any
	if f.State >= 0 {
		where, args = append(where, "c.state = ?"), append(args, f.State)
	}
	if f.Teacher != "" {
		where, args = append(where, "a.uid = ?"), append(args, f.Teacher)
	}
	if f.From > 0 {
		where, args = append(where, "c.create_time >= ?"), append(args, f.From)
	}
	if f.To > 0 {
		where, args = append(where, "c.create_time <= ?"), append(args, f.To)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	from := " FROM t_course c LEFT JOIN t_account a ON a.uin = c.host_uin" + cond
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+roomColsC+", COALESCE(a.uid, ''), (SELECT COUNT(*) FROM t_class_member m WHERE m.room_id = c.room_id AND m.has_exited = 0)"+
		from+" ORDER BY c.room_id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []CourseRow
	for rows.Next() {
		var c CourseRow
		dest := append(roomDest(&c.Room), &c.Teacher, &c.Present)
		if err := rows.Scan(dest...); err != nil {
			return 0, nil, err
		}
		out = append(out, c)
	}
	return total, out, rows.Err()
}

// ClassMember is a member of a class as the console shows it.
type ClassMember struct {
	Uin           int64
	UID           string
	Exited        bool
	Removed       bool
	LastHeartbeat int64
}

// ClassMembers lists everyone who entered a class, with their state.
func (s *Store) ClassMembers(ctx context.Context, room int64) ([]ClassMember, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.uin, COALESCE(a.uid, ''), m.has_exited,
		(SELECT COUNT(*) FROM t_removed_member r WHERE r.room_id = m.room_id AND r.uin = m.uin), m.last_heartbeat_time
		FROM t_class_member m LEFT JOIN t_account a ON a.uin = m.uin WHERE m.room_id = ? ORDER BY m.uin`, room)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClassMember
	for rows.Next() {
		var m ClassMember
		if err := rows.Scan(&m.Uin, &m.UID, &m.Exited, &m.Removed, &m.LastHeartbeat); err != nil {
			return nil, err
		}
		if hb, ok := s.live.lastBeat(room, m.Uin); ok && hb > m.LastHeartbeat {
			m.LastHeartbeat = hb // not yet written behind
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Recordings lists a class's recordings.
func (s *Store) Recordings(ctx context.Context, room int64) ([]Recording, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT uin, room_id, video_id, video_url, start_time, end_time,
		media_start_time, file_size, duration FROM t_video_record WHERE room_id = ? ORDER BY id`, room)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Recording
	for rows.Next() {
		var r Recording
		if err := rows.Scan(&r.Uin, &r.RoomID, &r.VideoID, &r.VideoURL, &r.StartTime, &r.EndTime,
			&r.MediaStartTime, &r.Size, &r.Length); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UserRow is an account as the console lists it.
type UserRow struct {
	Uin, AppID   int64
	UID          string
	Role         int
	LoginTime    int64
	LastRequest  int64
	SignedIn     bool
	Classes      int64 // classes it teaches
	RegisterTime int64
}

// Users lists accounts whose id contains q, by id, with the total.
func (s *Store) Users(ctx context.Context, q string, offset, limit int64) (int64, []UserRow, error) {
	// "!" escapes: a backslash means different things to the two engines.
	like := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(q) + "%"
	cond := " FROM t_account a WHERE a.uid LIKE ? ESCAPE '!'"
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*)"+cond, like).Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.uin, a.appid, a.uid, a.role, a.login_time, a.last_request_time,
		a.token IS NOT NULL, (SELECT COUNT(*) FROM t_course c WHERE c.host_uin = a.uin), a.register_time`+cond+
		" ORDER BY a.uid LIMIT ? OFFSET ?", like, limit, offset)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []UserRow
	for rows.Next() {
		var u UserRow
		if err := rows.Scan(&u.Uin, &u.AppID, &u.UID, &u.Role, &u.LoginTime, &u.LastRequest, &u.SignedIn,
			&u.Classes, &u.RegisterTime); err != nil {
			return 0, nil, err
		}
		out = append(out, u)
	}
	return total, out, rows.Err()
}

// SignOut ends an account's session everywhere (its token stops working
// on every server within a second); false when it had none.
func (s *Store) SignOut(ctx context.Context, uin, now int64) (bool, error) {
	var tok sql.NullString
	if err := s.w.QueryRowContext(ctx, "SELECT token FROM t_account WHERE uin = ?", uin).Scan(&tok); err != nil {
		return false, err
	}
	if !tok.Valid || tok.String == "" {
		return false, nil
	}
	_, err := s.Logout(ctx, tok.String, now)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Size is the database's size on disk, in bytes.
func (s *Store) Size(ctx context.Context) (int64, error) { return s.d.size(ctx, s) }

// lastBeat is a member's heartbeat not yet written behind, if any.
func (l *liveness) lastBeat(room, uin int64) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.members[memberKey{room, uin}]
	return v, ok
}

// roomDest is the scan destination of roomCols.
func roomDest(r *Room) []any {
	return []any{&r.ID, &r.CreateTime, &r.StartTime, &r.StartSeq, &r.EndTime, &r.EndSeq,
		&r.LastRecSeq, &r.LastUpdate, &r.CanTriggerTime, &r.TriggerTime,
		&r.TriggerResult, &r.Title, &r.Cover, &r.HostUin, &r.State, &r.GroupID,
		&r.IdxCreatedTime, &r.IdxCreatedResult, &r.IdxURL, &r.AppID}
}

// UID is the id of account uin.
func (s *Store) UID(ctx context.Context, uin int64) (string, error) {
	var uid string
	err := s.r.QueryRowContext(ctx, "SELECT uid FROM t_account WHERE uin = ?", uin).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return uid, err
}

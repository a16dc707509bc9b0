package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// AUIClass is a row of t_aui_class: an AUI Kits classroom class.
type AUIClass struct {
	Seq                                     int64
	ID                                      string
	CreatedMS, UpdatedMS, StartedMS, StopMS int64
	Title, Notice, CoverURL                 string
	TeacherID, TeacherNick, Extends         string
	Status                                  int
	Mode                                    int64
	// AliyunID is the IM group; IM says which IM services have it
	// ("old", "new" or "old,new").
	AliyunID, IM, MeetingID, MeetingInfo, Boards string
}

// AUIClassMember is a row of t_aui_class_member.
type AUIClassMember struct {
	Seq                  int64
	ClassID, UserID      string
	UserName, UserAvatar string
	Identity, Status     int
	CreatedMS, UpdatedMS int64
}

// AUIClassDoc is a row of t_aui_class_doc: a class's courseware.
type AUIClassDoc struct {
	ClassID, DocID, ServerType, DocInfos string
	CreatedMS                            int64
}

// AUIClassPermit is a class's assistant permit.
type AUIClassPermit struct {
	ClassID, Permit      string
	CreatedMS, UpdatedMS int64
}

// AUIClassKick is a member kicked out of a class until ExpiresMS.
type AUIClassKick struct {
	ClassID, UserID      string
	ExpiresMS, CreatedMS int64
}

const auiClassCols = "seq, id, created_ms, updated_ms, started_ms, stopped_ms, title, notice, cover_url, teacher_id, " +
	"teacher_nick, extends, status, mode, aliyun_id, im, meeting_id, meeting_info, boards"

func scanAUIClass(row scanner, c *AUIClass) error {
	return row.Scan(&c.Seq, &c.ID, &c.CreatedMS, &c.UpdatedMS, &c.StartedMS, &c.StopMS, &c.Title, &c.Notice,
		&c.CoverURL, &c.TeacherID, &c.TeacherNick, &c.Extends, &c.Status, &c.Mode, &c.AliyunID, &c.IM,
		&c.MeetingID, &c.MeetingInfo, &c.Boards)
}

const auiMemberCols = "seq, class_id, user_id, user_name, user_avatar, identity, status, created_ms, updated_ms"

func scanAUIMember(row scanner, m *AUIClassMember) error {
	return row.Scan(&m.Seq, &m.ClassID, &m.UserID, &m.UserName, &m.UserAvatar, &m.Identity, &m.Status, &m.CreatedMS, &m.UpdatedMS)
}

// CreateAUIClass adds a class; an id taken gives ErrExists.
func (s *Store) CreateAUIClass(ctx context.Context, c *AUIClass) error {
	res, err := s.execUnlisted(ctx, "INSERT INTO t_aui_class (id, created_ms, updated_ms, started_ms, stopped_ms, title, notice, "+
		"cover_url, teacher_id, teacher_nick, extends, status, mode, aliyun_id, im, meeting_id, meeting_info, boards) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.CreatedMS, c.UpdatedMS, c.StartedMS, c.StopMS, c.Title, c.Notice, c.CoverURL, c.TeacherID, c.TeacherNick,
		c.Extends, c.Status, c.Mode, c.AliyunID, c.IM, c.MeetingID, c.MeetingInfo, c.Boards)
	if s.d.unique(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	c.Seq, err = res.LastInsertId()
	return err
}

// AUIClass reads a class (ErrNotFound).
func (s *Store) AUIClass(ctx context.Context, id string) (*AUIClass, error) {
	c := &AUIClass{}
	err := scanAUIClass(s.r.QueryRowContext(ctx, "SELECT "+auiClassCols+" FROM t_aui_class WHERE id = ?", id), c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return c, err
}

// AUIClasses lists classes newest first, and how many there are.
func (s *Store) AUIClasses(ctx context.Context, offset, limit int64) (int64, []AUIClass, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_aui_class").Scan(&n); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+auiClassCols+" FROM t_aui_class ORDER BY seq DESC LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []AUIClass
	for rows.Next() {
		var c AUIClass
		if err := scanAUIClass(rows, &c); err != nil {
			return 0, nil, err
		}
		out = append(out, c)
	}
	return n, out, rows.Err()
}

// AUIClassMembers pages a class's members: identity and status 0 are
// any; ordered teacher, assistant, students, present before gone,
// newest first.
func (s *Store) AUIClassMembers(ctx context.Context, classID string, identity, status int, offset, limit int64) (int64, []AUIClassMember, error) {
	where, args := " WHERE class_id = ?", []any{classID}
	if identity != 0 {
		where, args = where+" AND identity = ?", append(args, identity)
	}
	if status != 0 {
		where, args = where+" AND status = ?", append(args, status)
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_aui_class_member"+where, args...).Scan(&n); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+auiMemberCols+" FROM t_aui_class_member"+where+
		" ORDER BY identity DESC, status ASC, created_ms DESC, seq DESC LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []AUIClassMember
	for rows.Next() {
		var m AUIClassMember
		if err := scanAUIMember(rows, &m); err != nil {
			return 0, nil, err
		}
		out = append(out, m)
	}
	return n, out, rows.Err()
}

// AUIClassKicks lists a class's kicks, expired ones too.
func (s *Store) AUIClassKicks(ctx context.Context, classID string) ([]AUIClassKick, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT class_id, user_id, expires_ms, created_ms FROM t_aui_class_kick WHERE class_id = ? ORDER BY created_ms DESC", classID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AUIClassKick
	for rows.Next() {
		var k AUIClassKick
		if err := rows.Scan(&k.ClassID, &k.UserID, &k.ExpiresMS, &k.CreatedMS); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AUIClassDocs lists a class's courseware in the order it was added.
func (s *Store) AUIClassDocs(ctx context.Context, classID string) ([]AUIClassDoc, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT class_id, doc_id, server_type, doc_infos, created_ms FROM t_aui_class_doc WHERE class_id = ? ORDER BY seq", classID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AUIClassDoc
	for rows.Next() {
		var d AUIClassDoc
		if err := rows.Scan(&d.ClassID, &d.DocID, &d.ServerType, &d.DocInfos, &d.CreatedMS); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// AUIClassPermit reads a class's assistant permit (ErrNotFound).
func (s *Store) AUIClassPermit(ctx context.Context, classID string) (*AUIClassPermit, error) {
	p := &AUIClassPermit{}
	err := s.r.QueryRowContext(ctx, "SELECT class_id, permit, created_ms, updated_ms FROM t_aui_class_permit WHERE class_id = ?", classID).
		Scan(&p.ClassID, &p.Permit, &p.CreatedMS, &p.UpdatedMS)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return p, err
}

// AUIClassAssistant reads a class's assistant member row (ErrNotFound).
func (s *Store) AUIClassAssistant(ctx context.Context, classID string) (*AUIClassMember, error) {
	return scanOneMember(s.r.QueryRowContext(ctx, "SELECT "+auiMemberCols+" FROM t_aui_class_member WHERE class_id = ? AND identity = 2 ORDER BY seq DESC LIMIT 1", classID))
}

func scanOneMember(row scanner) (*AUIClassMember, error) {
	m := &AUIClassMember{}
	err := scanAUIMember(row, m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return m, err
}

// AUIClassTx is a transaction on one class, its row locked: every
// change of a class and what belongs to it goes through one, so
// concurrent joins, kicks, permits and list updates take turns.
type AUIClassTx struct {
	tx    *sql.Tx
	ctx   context.Context
	Class AUIClass
}

// InAUIClass runs fn on the class id, locked (ErrNotFound if there is
// none); fn's error rolls back.
func (s *Store) InAUIClass(ctx context.Context, id string, fn func(*AUIClassTx) error) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		t := &AUIClassTx{tx: tx, ctx: ctx}
		err := scanAUIClass(tx.QueryRowContext(ctx, "SELECT "+auiClassCols+" FROM t_aui_class WHERE id = ?"+s.d.forUpdate, id), &t.Class)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read class: %w", err)
		}
		return fn(t)
	})
}

// Save writes the class row back.
func (t *AUIClassTx) Save() error {
	c := &t.Class
	_, err := t.tx.ExecContext(t.ctx, "UPDATE t_aui_class SET updated_ms = ?, started_ms = ?, stopped_ms = ?, title = ?, "+
		"notice = ?, extends = ?, status = ?, meeting_info = ? WHERE seq = ?",
		c.UpdatedMS, c.StartedMS, c.StopMS, c.Title, c.Notice, c.Extends, c.Status, c.MeetingInfo, c.Seq)
	return err
}

// Delete removes the class and everything of it.
func (t *AUIClassTx) Delete() error {
	for _, q := range []string{"t_aui_class_member", "t_aui_class_kick", "t_aui_class_doc", "t_aui_class_permit"} {
		if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM "+q+" WHERE class_id = ?", t.Class.ID); err != nil {
			return err
		}
	}
	_, err := t.tx.ExecContext(t.ctx, "DELETE FROM t_aui_class WHERE seq = ?", t.Class.Seq)
	return err
}

// Member reads a member (ErrNotFound).
func (t *AUIClassTx) Member(userID string) (*AUIClassMember, error) {
	return scanOneMember(t.tx.QueryRowContext(t.ctx, "SELECT "+auiMemberCols+" FROM t_aui_class_member WHERE class_id = ? AND user_id = ?", t.Class.ID, userID))
}

// Assistant reads the class's assistant row (ErrNotFound).
func (t *AUIClassTx) Assistant() (*AUIClassMember, error) {
	return scanOneMember(t.tx.QueryRowContext(t.ctx, "SELECT "+auiMemberCols+" FROM t_aui_class_member WHERE class_id = ? AND identity = 2 AND status = 1 ORDER BY seq DESC LIMIT 1", t.Class.ID))
}

// PutMember adds m or, when the user has a row, makes it m.
func (t *AUIClassTx) PutMember(m *AUIClassMember) error {
	res, err := t.tx.ExecContext(t.ctx, "UPDATE t_aui_class_member SET user_name = ?, user_avatar = ?, identity = ?, status = ?, "+
		"created_ms = ?, updated_ms = ? WHERE class_id = ? AND user_id = ?",
		m.UserName, m.UserAvatar, m.Identity, m.Status, m.CreatedMS, m.UpdatedMS, t.Class.ID, m.UserID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.tx.ExecContext(t.ctx, "INSERT INTO t_aui_class_member (class_id, user_id, user_name, user_avatar, identity, status, created_ms, updated_ms) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?)", t.Class.ID, m.UserID, m.UserName, m.UserAvatar, m.Identity, m.Status, m.CreatedMS, m.UpdatedMS)
	return err
}

// SetMemberStatus changes a member's status; false when there is no such member.
func (t *AUIClassTx) SetMemberStatus(userID string, status int, now int64) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, "UPDATE t_aui_class_member SET status = ?, updated_ms = ? WHERE class_id = ? AND user_id = ?",
		status, now, t.Class.ID, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DeleteMember removes a member row.
func (t *AUIClassTx) DeleteMember(userID string) error {
	_, err := t.tx.ExecContext(t.ctx, "DELETE FROM t_aui_class_member WHERE class_id = ? AND user_id = ?", t.Class.ID, userID)
	return err
}

// Kicked says whether userID is kicked out of the class at nowMS.
func (t *AUIClassTx) Kicked(userID string, nowMS int64) (bool, error) {
	var exp int64
	err := t.tx.QueryRowContext(t.ctx, "SELECT expires_ms FROM t_aui_class_kick WHERE class_id = ? AND user_id = ?", t.Class.ID, userID).Scan(&exp)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && exp > nowMS, err
}

// Kick keeps userID out of the class until expiresMS (a kick again
// renews it).
func (t *AUIClassTx) Kick(userID string, expiresMS, nowMS int64) error {
	res, err := t.tx.ExecContext(t.ctx, "UPDATE t_aui_class_kick SET expires_ms = ?, created_ms = ? WHERE class_id = ? AND user_id = ?",
		expiresMS, nowMS, t.Class.ID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.tx.ExecContext(t.ctx, "INSERT INTO t_aui_class_kick (class_id, user_id, expires_ms, created_ms) VALUES (?, ?, ?, ?)",
		t.Class.ID, userID, expiresMS, nowMS)
	return err
}

// LiftKick lets a kicked user in again; false when there was no kick.
func (t *AUIClassTx) LiftKick(userID string) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, "DELETE FROM t_aui_class_kick WHERE class_id = ? AND user_id = ?", t.Class.ID, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Permit reads the class's assistant permit (ErrNotFound).
func (t *AUIClassTx) Permit() (*AUIClassPermit, error) {
	p := &AUIClassPermit{}
	err := t.tx.QueryRowContext(t.ctx, "SELECT class_id, permit, created_ms, updated_ms FROM t_aui_class_permit WHERE class_id = ?", t.Class.ID).
		Scan(&p.ClassID, &p.Permit, &p.CreatedMS, &p.UpdatedMS)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return p, err
}

// SetPermit stores the class's assistant permit.
func (t *AUIClassTx) SetPermit(permit string, nowMS int64) error {
	res, err := t.tx.ExecContext(t.ctx, "UPDATE t_aui_class_permit SET permit = ?, updated_ms = ? WHERE class_id = ?", permit, nowMS, t.Class.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = t.tx.ExecContext(t.ctx, "INSERT INTO t_aui_class_permit (class_id, permit, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
		t.Class.ID, permit, nowMS, nowMS)
	return err
}

// DeletePermit removes the class's assistant permit.
func (t *AUIClassTx) DeletePermit() error {
	_, err := t.tx.ExecContext(t.ctx, "DELETE FROM t_aui_class_permit WHERE class_id = ?", t.Class.ID)
	return err
}

// AddDoc adds courseware; false when the class has that doc id.
func (t *AUIClassTx) AddDoc(d *AUIClassDoc) (bool, error) {
	var n int
	if err := t.tx.QueryRowContext(t.ctx, "SELECT COUNT(*) FROM t_aui_class_doc WHERE class_id = ? AND doc_id = ?", t.Class.ID, d.DocID).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	_, err := t.tx.ExecContext(t.ctx, "INSERT INTO t_aui_class_doc (class_id, doc_id, server_type, doc_infos, created_ms) VALUES (?, ?, ?, ?, ?)",
		t.Class.ID, d.DocID, d.ServerType, d.DocInfos, d.CreatedMS)
	return err == nil, err
}

// DeleteDoc removes courseware; false when there was none.
func (t *AUIClassTx) DeleteDoc(docID string) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, "DELETE FROM t_aui_class_doc WHERE class_id = ? AND doc_id = ?", t.Class.ID, docID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
)

// LCICDocument is a row of t_lcic_document: courseware of an app.
type LCICDocument struct {
	DocumentID, Owner, URL, Name, DocumentType string
	AppID, Size, Created, Updated              int64
	TranscodeType, Permission                  int
	// The transcoding: state 0 none needed, 1 running, 2 failed, 3 done.
	TranscodeState, Progress, Pages int
	ResultURL, Info                 string
	Extra                           map[string]json.RawMessage
}

const lcicDocCols = "document_id, owner, url, name, document_type, app_id, size, created, updated, transcode_type, permission, " +
	"transcode_state, progress, pages, result_url, info, extra"

func scanLCICDoc(row scanner) (*LCICDocument, error) {
	d := &LCICDocument{}
	var extra string
	err := row.Scan(&d.DocumentID, &d.Owner, &d.URL, &d.Name, &d.DocumentType, &d.AppID, &d.Size, &d.Created, &d.Updated,
		&d.TranscodeType, &d.Permission, &d.TranscodeState, &d.Progress, &d.Pages, &d.ResultURL, &d.Info, &extra)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(extra), &d.Extra)
	return d, nil
}

// CreateLCICDocument adds a document.
func (s *Store) CreateLCICDocument(ctx context.Context, d *LCICDocument) error {
	extra, _ := json.Marshal(d.Extra)
	if d.Extra == nil {
		extra = []byte("{}")
	}
	_, err := s.execUnlisted(ctx, "INSERT INTO t_lcic_document (document_id, app_id, owner, url, name, transcode_type, document_type, "+
		"size, permission, transcode_state, progress, result_url, pages, info, extra, created, updated) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d.DocumentID, d.AppID, d.Owner, d.URL, d.Name, d.TranscodeType, d.DocumentType, d.Size, d.Permission, d.TranscodeState,
		d.Progress, d.ResultURL, d.Pages, d.Info, string(extra), d.Created, d.Updated)
	return err
}

// LCICDocument reads a document (ErrNotFound).
func (s *Store) LCICDocument(ctx context.Context, id string) (*LCICDocument, error) {
	return scanLCICDoc(s.r.QueryRowContext(ctx, "SELECT "+lcicDocCols+" FROM t_lcic_document WHERE document_id = ?", id))
}

// LCICDocFilter selects an app's documents: by owner, a keyword of the
// name, permissions, ids, or bound to a room.
type LCICDocFilter struct {
	AppID         int64 // 0: every app (the console)
	Owner         string
	Keyword       string
	Permissions   []int
	IDs           []string
	RoomID        int64
	Offset, Limit int64
}

// LCICDocuments lists documents newest first, and how many match.
func (s *Store) LCICDocuments(ctx context.Context, f LCICDocFilter) (int64, []LCICDocument, error) {
	where, args := " WHERE 1 = 1", []any{}
	if f.AppID != 0 {
		where, args = where+" AND d.app_id = ?", append(args, f.AppID)
	}
	if f.Owner != "" {
		where, args = where+" AND d.owner = ?", append(args, f.Owner)
	}
	if f.Keyword != "" {
		where, args = where+" AND INSTR(d.name, ?) > 0", append(args, f.Keyword)
	}
	if len(f.Permissions) > 0 {
		where += " AND d.permission IN (" + placeholders(len(f.Permissions)) + ")"
		for _, p := range f.Permissions {
			args = append(args, p)
		}
	}
	if len(f.IDs) > 0 {
		where += " AND d.document_id IN (" + placeholders(len(f.IDs)) + ")"
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.RoomID != 0 {
		where, args = where+" AND d.document_id IN (SELECT document_id FROM t_lcic_room_document WHERE room_id = ?)", append(args, f.RoomID)
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_lcic_document d"+where, args...).Scan(&n); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+lcicDocCols+" FROM t_lcic_document d"+where+" ORDER BY created DESC, document_id LIMIT ? OFFSET ?",
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []LCICDocument
	for rows.Next() {
		d, err := scanLCICDoc(rows)
		if err != nil {
			return 0, nil, err
		}
		out = append(out, *d)
	}
	return n, out, rows.Err()
}

func placeholders(n int) string {
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// SetLCICTranscode records a document's transcoding state.
func (s *Store) SetLCICTranscode(ctx context.Context, d *LCICDocument) error {
	res, err := s.execUnlisted(ctx, "UPDATE t_lcic_document SET transcode_state = ?, progress = ?, result_url = ?, pages = ?, info = ?, updated = ? "+
		"WHERE document_id = ?", d.TranscodeState, d.Progress, d.ResultURL, d.Pages, d.Info, d.Updated, d.DocumentID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteLCICDocument removes a document and its bindings; it answers the
// rooms it was bound to.
func (s *Store) DeleteLCICDocument(ctx context.Context, id string) ([]int64, error) {
	var rooms []int64
	err := s.txUnlisted(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT room_id FROM t_lcic_room_document WHERE document_id = ?", id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r int64
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return err
			}
			rooms = append(rooms, r)
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, "DELETE FROM t_lcic_room_document WHERE document_id = ?", id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM t_lcic_document WHERE document_id = ?", id)
		return err
	})
	return rooms, err
}

// BindLCICDocument binds a document to a room; false when it was bound.
func (s *Store) BindLCICDocument(ctx context.Context, room int64, doc string, bindType, now int64) (bool, error) {
	res, err := s.execUnlisted(ctx, s.d.insertIgnore+" INTO t_lcic_room_document (room_id, document_id, bind_type, bound) VALUES (?, ?, ?, ?)",
		room, doc, bindType, now)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// UnbindLCICDocument unbinds a document from a room; false when it was not bound.
func (s *Store) UnbindLCICDocument(ctx context.Context, room int64, doc string) (bool, error) {
	res, err := s.execUnlisted(ctx, "DELETE FROM t_lcic_room_document WHERE room_id = ? AND document_id = ?", room, doc)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

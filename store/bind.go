package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// BindFile is a row of t_bind_file.
type BindFile struct {
	Uin, RoomID, Time int64
	Type              int64
	FileName, URL     string
}

// Bind binds a file to a room (0: the user's own library); the same url
// bound by the same user to the same room gives ErrExists. A user holds at
// most perPlace bindings in one room (or library) and perUser in all;
// past that, ErrFull.
func (s *Store) Bind(ctx context.Context, b BindFile, perPlace, perUser int) error {
	if s.d.shared {
		// The check and the insert must not interleave with another
		// server's for the same place and user (the url has no unique key).
		unlock, err := s.namedLock(ctx, fmt.Sprintf("bind:%d:%d", b.RoomID, b.Uin), lockWait)
		if err != nil {
			return err
		}
		defer unlock()
	}
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		var n, inPlace, all int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM t_bind_file WHERE room_id = ? AND uin = ? AND `+urlMatch+`),
			(SELECT COUNT(*) FROM t_bind_file WHERE room_id = ? AND uin = ?),
			(SELECT COUNT(*) FROM t_bind_file WHERE uin = ?)`,
			b.RoomID, b.Uin, b.URL, b.URL, b.RoomID, b.Uin, b.Uin).Scan(&n, &inPlace, &all); err != nil {
			return fmt.Errorf("bind: look up: %w", err)
		}
		if n > 0 {
			return ErrExists
		}
		if inPlace >= perPlace || all >= perUser {
			return ErrFull
		}
		_, err := tx.ExecContext(ctx,
			"INSERT INTO t_bind_file (uin, room_id, bind_time, type, file_name, url) VALUES (?, ?, ?, ?, ?, ?)",
			b.Uin, b.RoomID, b.Time, b.Type, b.FileName, b.URL)
		if err != nil {
			return fmt.Errorf("bind: insert: %w", err)
		}
		return nil
	})
}

// Unbind removes a binding; false when it was not bound.
func (s *Store) Unbind(ctx context.Context, room, uin int64, url string) (bool, error) {
	res, err := s.execUnlisted(ctx,
		"DELETE FROM t_bind_file WHERE room_id = ? AND uin = ? AND "+urlMatch, room, uin, url, url)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// urlMatch finds a url through the index on its first 64 characters
// (idx_bind_room) and compares it whole; it takes the url twice.
const urlMatch = "substr(url, 1, 64) = substr(?, 1, 64) AND url = ?"

// BindFilter selects bindings: those of a room (any user) when Uin is 0,
// else those of Uin in RoomID. From and To bound the bind time inclusively
// when non-zero.
type BindFilter struct {
	RoomID, Uin, From, To, Offset, Limit int64
}

// Binds lists bindings newest first, with the total that match.
func (s *Store) Binds(ctx context.Context, f BindFilter) (int64, []BindFile, error) {
	where := []string{"room_id = ?"}
	args := []any{f.RoomID}
	if f.Uin > 0 {
		where = append(where, "uin = ?")
		args = append(args, f.Uin)
	}
	if f.From > 0 {
		where = append(where, "bind_time >= ?")
		args = append(args, f.From)
	}
	if f.To > 0 {
		where = append(where, "bind_time <= ?")
		args = append(args, f.To)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_bind_file"+w, args...).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("binds: count: %w", err)
	}
	out := []BindFile{}
	if total == 0 || f.Limit == 0 {
		return total, out, nil
	}
	rows, err := s.r.QueryContext(ctx,
		"SELECT uin, room_id, bind_time, type, file_name, url FROM t_bind_file"+w+" ORDER BY id DESC LIMIT ? OFFSET ?",
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return 0, nil, fmt.Errorf("binds: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b BindFile
		if err := rows.Scan(&b.Uin, &b.RoomID, &b.Time, &b.Type, &b.FileName, &b.URL); err != nil {
			return 0, nil, err
		}
		out = append(out, b)
	}
	return total, out, rows.Err()
}

package store

import (
	"context"
	"database/sql"
	"strings"
)

// DeleteRecordings removes a class's recordings; how many there were.
// The reconciler never looks for them again.
func (s *Store) DeleteRecordings(ctx context.Context, room, now int64) (int64, error) {
	var n int64
	err := s.txChange(ctx, roomChange(room), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM t_video_record WHERE room_id = ?", room)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = claimReconcile(ctx, tx, s.d, room, now)
		return err
	})
	return n, err
}

// Unreconciled lists classes that ended in [after, before] without a
// recording and that the reconciler has not asked about, oldest first.
func (s *Store) Unreconciled(ctx context.Context, after, before int64, limit int) ([]Room, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+roomColsC+` FROM t_course c
		WHERE c.state IN (?, ?) AND c.end_time >= ? AND c.end_time <= ? AND c.start_time > 0
		AND NOT EXISTS (SELECT 1 FROM t_video_record v WHERE v.room_id = c.room_id)
		AND NOT EXISTS (SELECT 1 FROM t_playback p WHERE p.room_id = c.room_id AND p.checked_at > 0)
		ORDER BY c.end_time LIMIT ?`, StateEnded, StatePlayback, after, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		var r Room
		if err := rows.Scan(roomDest(&r)...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClaimReconcile marks a class as asked about; false when another
// server (or an earlier run) already did.
func (s *Store) ClaimReconcile(ctx context.Context, room, now int64) (bool, error) {
	claimed := false
	err := s.txUnlisted(ctx, func(tx *sql.Tx) (err error) {
		claimed, err = claimReconcile(ctx, tx, s.d, room, now)
		return err
	})
	return claimed, err
}

func claimReconcile(ctx context.Context, tx *sql.Tx, d dialect, room, now int64) (bool, error) {
	if _, err := tx.ExecContext(ctx, d.insertIgnore+" INTO t_playback (room_id) VALUES (?)", room); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, "UPDATE t_playback SET checked_at = ? WHERE room_id = ? AND checked_at = 0", now, room)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddRecordings stores recordings found late (the room's recording seq
// is left as it is: no IM message announced them) and counts them on
// the class's playback row.
func (s *Store) AddRecordings(ctx context.Context, room int64, recs []Recording) error {
	return s.txChange(ctx, roomChange(room), func(tx *sql.Tx) error {
		for _, r := range recs {
			if err := insertRecording(ctx, tx, r); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "UPDATE t_playback SET found = found + ? WHERE room_id = ?", len(recs), room)
		return err
	})
}

// CountPlayback counts a view of a class's playback page, or a download.
func (s *Store) CountPlayback(ctx context.Context, room int64, download bool) error {
	col := "views"
	if download {
		col = "downloads"
	}
	return s.txUnlisted(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.insertIgnore+" INTO t_playback (room_id) VALUES (?)", room); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE t_playback SET "+col+" = "+col+" + 1 WHERE room_id = ?", room)
		return err
	})
}

// Playback is a class with recordings, as the playback library lists it.
type Playback struct {
	RoomID, AppID    int64
	Title, Teacher   string
	Scheduled        bool  // an LCIC scheduled room (else a 随心播 class)
	At               int64 // when the first recording was made
	Files, Size      int64
	Views, Downloads int64
}

// PlaybackSearch selects the playback library's page: Keyword matches
// the title, the room number or the teacher.
type PlaybackSearch struct {
	Keyword       string
	Offset, Limit int64
}

// Playbacks lists classes with recordings, newest first, with the total
// that match.
func (s *Store) Playbacks(ctx context.Context, f PlaybackSearch) (int64, []Playback, error) {
	from := ` FROM t_course c JOIN (SELECT room_id, COUNT(*) n, SUM(file_size) size, MIN(end_time) at
		FROM t_video_record GROUP BY room_id) v ON v.room_id = c.room_id
		LEFT JOIN t_account a ON a.uin = c.host_uin
		LEFT JOIN t_playback p ON p.room_id = c.room_id
		LEFT JOIN t_lcic_room l ON l.room_id = c.room_id`
	var args []any
	if k := strings.TrimSpace(f.Keyword); k != "" {
		from += " WHERE INSTR(c.title, ?) > 0 OR INSTR(COALESCE(a.uid, ''), ?) > 0 OR CAST(c.room_id AS CHAR) = ?"
		args = append(args, k, k, k)
	}
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.room_id, c.appid, c.title, COALESCE(a.uid, ''), l.room_id IS NOT NULL,
		v.at, v.n, COALESCE(v.size, 0), COALESCE(p.views, 0), COALESCE(p.downloads, 0)`+from+
		" ORDER BY v.at DESC, c.room_id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []Playback
	for rows.Next() {
		var p Playback
		if err := rows.Scan(&p.RoomID, &p.AppID, &p.Title, &p.Teacher, &p.Scheduled, &p.At, &p.Files, &p.Size,
			&p.Views, &p.Downloads); err != nil {
			return 0, nil, err
		}
		out = append(out, p)
	}
	return total, out, rows.Err()
}

// PlaybackOf is one class's playback row (zero counts when none).
func (s *Store) PlaybackOf(ctx context.Context, room int64) (views, downloads int64, err error) {
	err = s.r.QueryRowContext(ctx, "SELECT views, downloads FROM t_playback WHERE room_id = ?", room).Scan(&views, &downloads)
	if err == sql.ErrNoRows {
		return 0, 0, nil
	}
	return views, downloads, err
}

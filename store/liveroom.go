package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// LiveRoom is a row of t_live_room: an AUI Kits live room.
type LiveRoom struct {
	Seq                                     int64
	ID                                      string
	CreatedMS, UpdatedMS, StartedMS, StopMS int64
	Title, Notice, CoverURL                 string
	AnchorID, AnchorNick, Extends           string
	Status, Mode                            int
	ChatID, MeetingID, VodID, MeetingInfo   string
}

const liveRoomCols = "seq, id, created_ms, updated_ms, started_ms, stopped_ms, title, notice, cover_url, " +
	"anchor_id, anchor_nick, extends, status, mode, chat_id, meeting_id, vod_id, meeting_info"

func scanLiveRoom(row scanner, r *LiveRoom) error {
	return row.Scan(&r.Seq, &r.ID, &r.CreatedMS, &r.UpdatedMS, &r.StartedMS, &r.StopMS, &r.Title, &r.Notice,
		&r.CoverURL, &r.AnchorID, &r.AnchorNick, &r.Extends, &r.Status, &r.Mode, &r.ChatID, &r.MeetingID,
		&r.VodID, &r.MeetingInfo)
}

// CreateLiveRoom adds a live room; an id taken gives ErrExists.
func (s *Store) CreateLiveRoom(ctx context.Context, r *LiveRoom) error {
	res, err := s.execUnlisted(ctx, "INSERT INTO t_live_room (id, created_ms, updated_ms, started_ms, stopped_ms, "+
		"title, notice, cover_url, anchor_id, anchor_nick, extends, status, mode, chat_id, meeting_id, vod_id, meeting_info) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.CreatedMS, r.UpdatedMS, r.StartedMS, r.StopMS, r.Title, r.Notice, r.CoverURL, r.AnchorID,
		r.AnchorNick, r.Extends, r.Status, r.Mode, r.ChatID, r.MeetingID, r.VodID, r.MeetingInfo)
	if s.d.unique(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	r.Seq, err = res.LastInsertId()
	return err
}

// LiveRoom reads a live room by id (ErrNotFound).
func (s *Store) LiveRoom(ctx context.Context, id string) (*LiveRoom, error) {
	r := &LiveRoom{}
	err := scanLiveRoom(s.r.QueryRowContext(ctx, "SELECT "+liveRoomCols+" FROM t_live_room WHERE id = ?", id), r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

// LiveRooms lists live rooms newest first; status < 0 is every status.
func (s *Store) LiveRooms(ctx context.Context, status int, offset, limit int64) ([]LiveRoom, error) {
	q, args := "SELECT "+liveRoomCols+" FROM t_live_room", []any{}
	if status >= 0 {
		q, args = q+" WHERE status = ?", append(args, status)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY seq DESC LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LiveRoom
	for rows.Next() {
		var r LiveRoom
		if err := scanLiveRoom(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LiveRoomCount counts live rooms; status < 0 is every status.
func (s *Store) LiveRoomCount(ctx context.Context, status int) (int64, error) {
	q, args := "SELECT COUNT(*) FROM t_live_room", []any{}
	if status >= 0 {
		q, args = q+" WHERE status = ?", append(args, status)
	}
	var n int64
	err := s.r.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// UpdateLiveRoom changes a live room in one transaction, the row locked:
// fn sees the stored room and changes it; its error rolls back.
func (s *Store) UpdateLiveRoom(ctx context.Context, id string, fn func(*LiveRoom) error) (*LiveRoom, error) {
	var r LiveRoom
	err := s.txUnlisted(ctx, func(tx *sql.Tx) error {
		r = LiveRoom{}
		err := scanLiveRoom(tx.QueryRowContext(ctx, "SELECT "+liveRoomCols+" FROM t_live_room WHERE id = ?"+s.d.forUpdate, id), &r)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read live room: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE t_live_room SET updated_ms = ?, started_ms = ?, stopped_ms = ?, "+
			"title = ?, notice = ?, cover_url = ?, anchor_nick = ?, extends = ?, status = ?, mode = ?, "+
			"meeting_id = ?, vod_id = ?, meeting_info = ? WHERE seq = ?",
			r.UpdatedMS, r.StartedMS, r.StopMS, r.Title, r.Notice, r.CoverURL, r.AnchorNick, r.Extends,
			r.Status, r.Mode, r.MeetingID, r.VodID, r.MeetingInfo, r.Seq)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteLiveRoom removes a live room (ErrNotFound if there is none).
func (s *Store) DeleteLiveRoom(ctx context.Context, id string) error {
	res, err := s.execUnlisted(ctx, "DELETE FROM t_live_room WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

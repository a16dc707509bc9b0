package store

import (
	"context"
	"database/sql"
	"errors"
)

// LCICEvent is a row of t_lcic_event: a callback to deliver.
type LCICEvent struct {
	ID, AppID, RoomID, At       int64
	Type, Data                  string
	State, Attempts, LastStatus int
	NextAt, DeliveredAt         int64
	LastResponse                string
}

// Event delivery states.
const (
	EventPending   = 0
	EventDelivered = 1
	EventGivenUp   = 2
)

// AddLCICEvent puts an event in the outbox, due now.
func (s *Store) AddLCICEvent(ctx context.Context, e *LCICEvent) error {
	res, err := s.execUnlisted(ctx, "INSERT INTO t_lcic_event (app_id, room_id, event_type, event_data, at, next_at, last_response) VALUES (?, ?, ?, ?, ?, ?, '')",
		e.AppID, e.RoomID, e.Type, e.Data, e.At, e.At)
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

const lcicEventCols = "id, app_id, room_id, at, event_type, event_data, state, attempts, last_status, next_at, delivered_at, last_response"

func scanLCICEvent(row scanner) (*LCICEvent, error) {
	e := &LCICEvent{}
	err := row.Scan(&e.ID, &e.AppID, &e.RoomID, &e.At, &e.Type, &e.Data, &e.State, &e.Attempts, &e.LastStatus, &e.NextAt, &e.DeliveredAt, &e.LastResponse)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return e, err
}

// ClaimLCICEvents takes up to n due events for until (unix seconds): the
// oldest pending event of each room only (a room's events go out in
// order), none another server holds.
func (s *Store) ClaimLCICEvents(ctx context.Context, now, until int64, n int) ([]LCICEvent, error) {
	rows, err := s.w.QueryContext(ctx, "SELECT "+lcicEventCols+" FROM t_lcic_event e WHERE e.state = 0 AND e.next_at <= ? AND e.claimed_until < ? "+
		"AND NOT EXISTS (SELECT 1 FROM t_lcic_event p WHERE p.room_id = e.room_id AND p.room_id <> 0 AND p.state = 0 AND p.id < e.id) "+
		"ORDER BY e.id LIMIT ?", now, now, n)
	if err != nil {
		return nil, err
	}
	var due []LCICEvent
	for rows.Next() {
		e, err := scanLCICEvent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, *e)
	}
	rows.Close()
	var claimed []LCICEvent
	for _, e := range due {
		res, err := s.execUnlisted(ctx, "UPDATE t_lcic_event SET claimed_until = ? WHERE id = ? AND state = 0 AND claimed_until < ?", until, e.ID, now)
		if err != nil {
			return claimed, err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			claimed = append(claimed, e)
		}
	}
	return claimed, nil
}

// FinishLCICEvent records a delivery attempt: delivered, retried at
// next, or given up; the claim ends.
func (s *Store) FinishLCICEvent(ctx context.Context, e *LCICEvent) error {
	_, err := s.execUnlisted(ctx, "UPDATE t_lcic_event SET state = ?, attempts = ?, next_at = ?, last_status = ?, last_response = ?, "+
		"delivered_at = ?, claimed_until = 0 WHERE id = ?", e.State, e.Attempts, e.NextAt, e.LastStatus, e.LastResponse, e.DeliveredAt, e.ID)
	return err
}

// RedeliverLCICEvent sends an event again (an operator's request).
func (s *Store) RedeliverLCICEvent(ctx context.Context, id, now int64) (bool, error) {
	res, err := s.execUnlisted(ctx, "UPDATE t_lcic_event SET state = 0, next_at = ?, claimed_until = 0 WHERE id = ?", now, id)
	if err != nil {
		return false, err
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}

// LCICEvents lists events newest first (room 0: every room; types: any
// of them, none: all), and how many match.
func (s *Store) LCICEvents(ctx context.Context, app, room int64, types []string, offset, limit int64) (int64, []LCICEvent, error) {
	where, args := " WHERE 1 = 1", []any{}
	if app != 0 {
		where, args = where+" AND app_id = ?", append(args, app)
	}
	if room != 0 {
		where, args = where+" AND room_id = ?", append(args, room)
	}
	if len(types) > 0 {
		where += " AND event_type IN (" + placeholders(len(types)) + ")"
		for _, t := range types {
			args = append(args, t)
		}
	}
	return s.lcicEvents(ctx, where, args, offset, limit)
}

// LCICEventLog lists events newest first for the console's delivery log
// (state < 0: any), and how many match.
func (s *Store) LCICEventLog(ctx context.Context, state int, offset, limit int64) (int64, []LCICEvent, error) {
	where, args := "", []any{}
	if state >= 0 {
		where, args = " WHERE state = ?", append(args, state)
	}
	return s.lcicEvents(ctx, where, args, offset, limit)
}

func (s *Store) lcicEvents(ctx context.Context, where string, args []any, offset, limit int64) (int64, []LCICEvent, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_lcic_event"+where, args...).Scan(&n); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+lcicEventCols+" FROM t_lcic_event"+where+" ORDER BY id DESC LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []LCICEvent
	for rows.Next() {
		e, err := scanLCICEvent(rows)
		if err != nil {
			return 0, nil, err
		}
		out = append(out, *e)
	}
	return n, out, rows.Err()
}

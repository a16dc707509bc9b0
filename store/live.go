package store

import (
	"context"
	"database/sql"
	"sync"
)

// liveness holds heartbeat times not yet written. Heartbeats arrive every
// 3 s per user; writing each would make the hot path a disk write, so they
// are kept here and written in batches by Flush. Everything that reads a
// heartbeat time (the reaper) flushes first.
type liveness struct {
	mu      sync.Mutex
	members map[memberKey]int64 // (room, uin) -> newest heartbeat
	rooms   map[int64]int64     // room -> newest teacher heartbeat
	flushMu sync.Mutex          // one flush at a time
}

type memberKey struct{ room, uin int64 }

func (l *liveness) init() {
	l.members = make(map[memberKey]int64)
	l.rooms = make(map[int64]int64)
}

// Heartbeat records, in memory, a heartbeat of uin in room at now; host
// says whether uin is the room's teacher, which refreshes the room too.
// A heartbeat of a non-member changes nothing when flushed.
func (s *Store) Heartbeat(room, uin int64, host bool, now int64) {
	l := &s.live
	l.mu.Lock()
	k := memberKey{room, uin}
	if now > l.members[k] {
		l.members[k] = now
	}
	if host && now > l.rooms[room] {
		l.rooms[room] = now
	}
	l.mu.Unlock()
}

// Flush writes pending heartbeats and token activity in one transaction.
func (s *Store) Flush(ctx context.Context) error {
	l := &s.live
	l.flushMu.Lock()
	defer l.flushMu.Unlock()

	l.mu.Lock()
	members, rooms := l.members, l.rooms
	l.members = make(map[memberKey]int64, len(members))
	l.rooms = make(map[int64]int64, len(rooms))
	l.mu.Unlock()

	type touch struct {
		se  *Session
		val int64
	}
	var touched []touch
	s.sessions.Range(func(_, v any) bool {
		se := v.(*Session)
		if t := se.lastRequest.Load(); t > se.flushed.Load() {
			touched = append(touched, touch{se, t})
		}
		return true
	})
	if len(members) == 0 && len(rooms) == 0 && len(touched) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if len(members) > 0 {
			st, err := tx.PrepareContext(ctx,
				"UPDATE t_class_member SET last_heartbeat_time = ? WHERE uin = ? AND room_id = ? AND last_heartbeat_time < ?")
			if err != nil {
				return err
			}
			defer st.Close()
			for k, t := range members {
				if _, err := st.ExecContext(ctx, t, k.uin, k.room, t); err != nil {
					return err
				}
			}
		}
		if len(rooms) > 0 {
			st, err := tx.PrepareContext(ctx,
				"UPDATE t_course SET last_update_time = ? WHERE room_id = ? AND last_update_time < ?")
			if err != nil {
				return err
			}
			defer st.Close()
			for r, t := range rooms {
				if _, err := st.ExecContext(ctx, t, r, t); err != nil {
					return err
				}
			}
		}
		if len(touched) > 0 {
			st, err := tx.PrepareContext(ctx,
				"UPDATE t_account SET last_request_time = ? WHERE token = ? AND last_request_time < ?")
			if err != nil {
				return err
			}
			defer st.Close()
			for _, t := range touched {
				if _, err := st.ExecContext(ctx, t.val, t.se.Token, t.val); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		// Put the batch back so nothing is lost; newer values win.
		l.mu.Lock()
		for k, t := range members {
			if t > l.members[k] {
				l.members[k] = t
			}
		}
		for r, t := range rooms {
			if t > l.rooms[r] {
				l.rooms[r] = t
			}
		}
		l.mu.Unlock()
		return err
	}
	for _, t := range touched {
		for {
			old := t.se.flushed.Load()
			if t.val <= old || t.se.flushed.CompareAndSwap(old, t.val) {
				break
			}
		}
	}
	return nil
}

// Pending counts heartbeats waiting to be written (for tests and metrics).
func (s *Store) Pending() int {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return len(s.live.members) + len(s.live.rooms)
}

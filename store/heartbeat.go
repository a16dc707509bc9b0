package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
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

// Flush writes pending heartbeats and token activity. A token's activity
// is written once it moved by touchEvery (docs/protocol.md §3 step 7: liveness
// data, minutes are fine); Close writes all of it.
func (s *Store) Flush(ctx context.Context) error { return s.flush(ctx, touchEvery) }

// touchEvery is how far a token's last-request time must move before a
// periodic flush writes it. Against a 7-day expiry, a minute is nothing;
// written every second it was half of all the writing a busy school did.
const touchEvery = 60

// flushChunk is the most rows one statement of a flush writes. Each is its
// own short transaction, so the enters and exits waiting for the one
// writer connection get it between chunks instead of after the whole
// flush (hundreds of milliseconds for a school of 10,000 as one
// transaction of single-row updates).
const flushChunk = 500

// The flush statements take their rows as one JSON array and update by
// primary key (or the token index) from json_each: one statement per
// chunk instead of one per row.
const (
	flushMembersSQL = `UPDATE t_class_member AS m SET last_heartbeat_time = v.t
		FROM (SELECT value->>0 AS room, value->>1 AS uin, value->>2 AS t FROM json_each(?)) AS v
		WHERE m.uin = v.uin AND m.room_id = v.room AND m.last_heartbeat_time < v.t`
	flushRoomsSQL = `UPDATE t_course AS c SET last_update_time = v.t
		FROM (SELECT value->>0 AS room, value->>1 AS t FROM json_each(?)) AS v
		WHERE c.room_id = v.room AND c.last_update_time < v.t`
	flushTokensSQL = `UPDATE t_account AS a SET last_request_time = v.t
		FROM (SELECT value->>0 AS token, value->>1 AS t FROM json_each(?)) AS v
		WHERE a.token = v.token AND a.last_request_time < v.t`
)

func (s *Store) flush(ctx context.Context, minMove int64) error {
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
		if t, f := se.lastRequest.Load(), se.flushed.Load(); t > f && (t-f >= minMove || minMove == 0) {
			touched = append(touched, touch{se, t})
		}
		return true
	})
	if len(members) == 0 && len(rooms) == 0 && len(touched) == 0 {
		return nil
	}

	var rows [][3]any
	for k, t := range members {
		rows = append(rows, [3]any{k.room, k.uin, t})
	}
	err := s.flushRows(ctx, flushMembersSQL, rows)
	if err != nil {
		err = fmt.Errorf("flush: member heartbeats: %w", err)
	} else {
		rows = rows[:0]
		for r, t := range rooms {
			rows = append(rows, [3]any{r, t, nil})
		}
		if err = s.flushRows(ctx, flushRoomsSQL, rows); err != nil {
			err = fmt.Errorf("flush: teacher heartbeats: %w", err)
		}
	}
	if err == nil {
		rows = rows[:0]
		for _, t := range touched {
			rows = append(rows, [3]any{t.se.Token, t.val, nil})
		}
		if err = s.flushRows(ctx, flushTokensSQL, rows); err != nil {
			err = fmt.Errorf("flush: token activity: %w", err)
		}
	}
	if err != nil {
		// Put the batch back so nothing is lost; newer values win, and
		// rewriting what a chunk already wrote changes nothing.
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

// flushRows runs query over rows, flushChunk at a time, each chunk passed
// as a JSON array of arrays (int64 and string values; nil ends a row).
func (s *Store) flushRows(ctx context.Context, query string, rows [][3]any) error {
	buf := make([]byte, 0, 64*min(len(rows), flushChunk))
	for len(rows) > 0 {
		n := min(len(rows), flushChunk)
		buf = append(buf[:0], '[')
		for i, r := range rows[:n] {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			for j, v := range r {
				if v == nil {
					break
				}
				if j > 0 {
					buf = append(buf, ',')
				}
				switch x := v.(type) {
				case int64:
					buf = strconv.AppendInt(buf, x, 10)
				case string:
					q, _ := json.Marshal(x)
					buf = append(buf, q...)
				}
			}
			buf = append(buf, ']')
		}
		buf = append(buf, ']')
		if _, err := s.w.ExecContext(ctx, query, string(buf)); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// Pending counts heartbeats waiting to be written (a metrics gauge).
func (s *Store) Pending() int {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return len(s.live.members) + len(s.live.rooms)
}

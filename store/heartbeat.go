package store

import (
	"context"
	"fmt"
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
// A heartbeat of a non-member changes nothing when flushed. It fails only
// once the database is lost (the heartbeat could never be written).
func (s *Store) Heartbeat(room, uin int64, host bool, now int64) error {
	if s.watch != nil && s.watch.lost.Load() != nil {
		return s.Lost()
	}
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
	return nil
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

func (s *Store) flush(ctx context.Context, minMove int64) error {
	if err := s.Lost(); err != nil {
		return err
	}
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
	err := s.flushRows(ctx, flushMembers, rows)
	if err != nil {
		err = fmt.Errorf("flush: member heartbeats: %w", err)
	} else {
		rows = rows[:0]
		for r, t := range rooms {
			rows = append(rows, [3]any{r, t, nil})
		}
		if err = s.flushRows(ctx, flushRooms, rows); err != nil {
			err = fmt.Errorf("flush: teacher heartbeats: %w", err)
		}
	}
	if err == nil {
		rows = rows[:0]
		for _, t := range touched {
			rows = append(rows, [3]any{t.se.Token, t.val, nil})
		}
		if err = s.flushRows(ctx, flushTokens, rows); err != nil {
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

// flushRows writes rows of one kind, flushChunk at a time.
func (s *Store) flushRows(ctx context.Context, kind flushKind, rows [][3]any) error {
	for len(rows) > 0 {
		n := min(len(rows), flushChunk)
		query, args := s.d.flush(kind, rows[:n])
		// Two servers writing the same rows (a user whose requests a
		// balancer spreads) can deadlock; the victim wrote nothing.
		_, err := s.w.ExecContext(ctx, query, args...)
		for attempt := 1; attempt < txAttempts && s.d.retryable(err); attempt++ {
			_, err = s.w.ExecContext(ctx, query, args...)
		}
		if err != nil {
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

// lastBeat is a member's heartbeat not yet written behind, if any.
func (l *liveness) lastBeat(room, uin int64) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.members[memberKey{room, uin}]
	return v, ok
}

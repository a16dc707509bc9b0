package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// liveness holds heartbeat times not yet written. Heartbeats arrive every
// 3 s per user; writing each would make the hot path a disk write, so they
// are kept here and written in batches by Flush. Everything that reads a
// heartbeat time (the reaper) flushes first.
//
// A beat is written once it moved by every (SetBeatEvery) since the last
// one written, or once its sender went quiet for that long: against
// timeouts of minutes, writing each 3-s beat of every member was most of
// what a school wrote (SQLite's log grew 25 MB a second for 50,000
// students). The reaper gives every member that much longer.
type liveness struct {
	mu      sync.Mutex
	members map[memberKey]beat // (room, uin) -> its beats
	rooms   map[int64]beat     // room -> its teacher's beats
	latest  int64              // the newest beat seen (the clock of the beats)
	every   int64              // seconds a written beat may lag behind
	// tokensAt is the newest token activity when token activity was last
	// written (see touchEvery); flushMu guards it.
	tokensAt int64
	// touched is the newest token activity (Touch): a flush learns from
	// it whether token activity is due without visiting every session.
	touched atomic.Int64
	flushMu sync.Mutex // one flush at a time
}

// Touch records activity of se's token at now (write-behind).
func (s *Store) Touch(se *Session, now int64) {
	raise(&se.lastRequest, now)
	raise(&s.live.touched, now)
}

// raise sets v to now unless it holds a later time already.
func raise(v *atomic.Int64, now int64) {
	for {
		old := v.Load()
		if now <= old || v.CompareAndSwap(old, now) {
			return
		}
	}
}

// beat is the newest heartbeat of a member (or teacher) and the newest
// one written.
type beat struct{ newest, written int64 }

type memberKey struct{ room, uin int64 }

func (l *liveness) init() {
	l.members = make(map[memberKey]beat)
	l.rooms = make(map[int64]beat)
}

// SetBeatEvery sets how far, in seconds, a written heartbeat may lag
// behind the newest (0, the default: every flush writes every beat).
func (s *Store) SetBeatEvery(sec int64) {
	s.live.mu.Lock()
	s.live.every = sec
	s.live.mu.Unlock()
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
	if b := l.members[k]; now > b.newest {
		b.newest = now
		l.members[k] = b
	}
	if host {
		if b := l.rooms[room]; now > b.newest {
			b.newest = now
			l.rooms[room] = b
		}
	}
	if now > l.latest {
		l.latest = now
	}
	l.mu.Unlock()
	return nil
}

// due takes the beats to write now (all unwritten ones when all), and
// forgets those of senders gone quiet once written.
func due[K comparable](m map[K]beat, latest, every int64, all bool) map[K]int64 {
	out := make(map[K]int64)
	for k, b := range m {
		quiet := latest-b.newest >= every
		if b.newest > b.written && (all || every == 0 || quiet || b.newest-b.written >= every) {
			out[k] = b.newest
		} else if b.newest <= b.written && quiet {
			delete(m, k)
		}
	}
	return out
}

// wrote records what a flush wrote.
func wrote[K comparable](m map[K]beat, done map[K]int64) {
	for k, t := range done {
		if b, ok := m[k]; ok && t > b.written {
			b.written = t
			m[k] = b
		}
	}
}

// Flush writes pending heartbeats and token activity. Token activity is
// written once every touchEvery seconds of it, every token that moved
// at once (docs/protocol.md §3 step 7: liveness data, minutes are fine);
// Close writes all of it.
func (s *Store) Flush(ctx context.Context) error { return s.flush(ctx, touchEvery) }

// touchEvery is how often, in seconds of token activity, a periodic
// flush writes it. Against a 7-day expiry, a minute is nothing; written
// every second it was half of all the writing a busy school did, and
// written a row at a time as each token's minute came (the students of
// an hour's classes arrive together), each row wrote a page of its own.
const touchEvery = 60

func (s *Store) flush(ctx context.Context, minMove int64) error {
	if err := s.Lost(); err != nil {
		return err
	}
	l := &s.live
	l.flushMu.Lock()
	defer l.flushMu.Unlock()

	l.mu.Lock()
	members := due(l.members, l.latest, l.every, minMove == 0)
	rooms := due(l.rooms, l.latest, l.every, minMove == 0)
	l.mu.Unlock()

	type touch struct {
		se  *Session
		val int64
	}
	var touched []touch
	newest := l.touched.Load()
	tokensDue := minMove == 0 || newest-l.tokensAt >= minMove
	if tokensDue {
		s.sessions.Range(func(se *Session) bool {
			if t, f := se.lastRequest.Load(), se.flushed.Load(); t > f {
				touched = append(touched, touch{se, t})
			}
			return true
		})
		// In table order: a chunk's rows then share their pages, and
		// each page is written once a chunk, not once a row.
		slices.SortFunc(touched, func(a, b touch) int { return cmp.Compare(a.se.Uin, b.se.Uin) })
	}
	if len(members) == 0 && len(rooms) == 0 && len(touched) == 0 {
		if tokensDue {
			l.tokensAt = max(l.tokensAt, newest)
		}
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
			rows = append(rows, [3]any{t.se.Uin, t.se.Token, t.val})
		}
		if err = s.flushRows(ctx, flushTokens, rows); err != nil {
			err = fmt.Errorf("flush: token activity: %w", err)
		}
	}
	if err != nil {
		return err // still unwritten: the next flush writes them
	}
	l.mu.Lock()
	wrote(l.members, members)
	wrote(l.rooms, rooms)
	l.mu.Unlock()
	if tokensDue {
		l.tokensAt = max(l.tokensAt, newest)
	}
	for _, t := range touched {
		raise(&t.se.flushed, t.val)
	}
	return nil
}

// flushRows writes rows of one kind, the dialect's flushChunk at a time.
func (s *Store) flushRows(ctx context.Context, kind flushKind, rows [][3]any) error {
	for len(rows) > 0 {
		n := min(len(rows), s.d.flushChunk)
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
	n := 0
	for _, b := range s.live.members {
		if b.newest > b.written {
			n++
		}
	}
	for _, b := range s.live.rooms {
		if b.newest > b.written {
			n++
		}
	}
	return n
}

// lastBeat is a member's newest heartbeat known here, if any (it may not
// be written yet).
func (l *liveness) lastBeat(room, uin int64) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.members[memberKey{room, uin}]
	return b.newest, ok
}

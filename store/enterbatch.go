package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// enterBatch commits SQLite's enters and leaves together: those that
// arrive while one transaction commits go in the next one, in the order
// they came. At the top of the hour a school's students enter by the
// thousand a second (and leave so at its end); one transaction each
// wrote the same few pages to the WAL again and again (25 MB a second
// for 50,000 students), and the checkpoints that copy it back held the
// one writer long enough to stall the entry (BENCHMARKS.md). MySQL
// commits its own groups and takes enters from several servers at once;
// it keeps one statement per enter.
type enterBatch struct {
	mu    sync.Mutex
	queue []*pendingEnter
	busy  bool // a goroutine is committing; it takes what queues meanwhile
}

type pendingEnter struct {
	room, now int64
	m         Member
	leave     bool // a leave: m.Uin leaves room
	found     bool // the leave's member had entered
	err       error
	done      chan struct{}
}

// enterBatchTimeout bounds one batch's transaction: its enters answer
// when it ends, whatever their requests' own deadlines.
const enterBatchTimeout = 10 * time.Second

// enterTogether enters m into room in the next batch and waits for its
// commit (or ctx: an enter answered late still counts, and entering
// again is harmless).
func (s *Store) enterTogether(ctx context.Context, room int64, m Member, now int64) error {
	return s.together(ctx, &pendingEnter{room: room, now: now, m: m, done: make(chan struct{})})
}

// leaveTogether is Leave in the next batch.
func (s *Store) leaveTogether(ctx context.Context, room, uin int64) (bool, error) {
	p := &pendingEnter{room: room, m: Member{Uin: uin}, leave: true, done: make(chan struct{})}
	if err := s.together(ctx, p); err != nil {
		return false, err
	}
	return p.found, nil
}

// together queues p in the next batch and waits for its commit.
func (s *Store) together(ctx context.Context, p *pendingEnter) error {
	b := &s.enters
	b.mu.Lock()
	b.queue = append(b.queue, p)
	lead := !b.busy
	b.busy = true
	b.mu.Unlock()
	if lead {
		// The first commits its own batch here, then leaves what queued
		// meanwhile to a goroutine of its own rather than answer late.
		if s.commitQueued(ctx) {
			go s.drainEnters(ctx)
		}
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) drainEnters(ctx context.Context) {
	for s.commitQueued(ctx) {
	}
}

// commitQueued commits the enters queued now and reports whether more
// queued meanwhile (the caller then commits those); when none did, the
// batch is no longer busy.
func (s *Store) commitQueued(ctx context.Context) bool {
	b := &s.enters
	b.mu.Lock()
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()
	s.commitEnters(ctx, batch)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.busy = false
		return false
	}
	return true
}

// commitEnters runs batch in one transaction: an enter into a room no
// longer living changes nothing (ErrConflict, that enter's alone); any
// other failure rolls every one back and is every one's answer.
func (s *Store) commitEnters(ctx context.Context, batch []*pendingEnter) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enterBatchTimeout)
	defer cancel()
	err := s.txUnlisted(ctx, func(tx *sql.Tx) error {
		for _, p := range batch {
			if p.leave {
				p.found, p.err = leave(ctx, tx, p.room, p.m.Uin)
			} else {
				_, p.err = s.enter(ctx, tx, p.room, p.m.Uin, p.now)
			}
			if p.err != nil && !errors.Is(p.err, ErrConflict) {
				return p.err
			}
		}
		return nil
	})
	if s.enterBatchHook != nil {
		s.enterBatchHook(len(batch))
	}
	for _, p := range batch {
		switch {
		case err != nil:
			p.err = err
		case p.err == nil && p.leave:
			s.left(p.room, p.m.Uin)
		case p.err == nil:
			s.entered(p.room, p.m, 0)
		}
		close(p.done)
	}
}

package svc

import (
	"context"
	"sync"
)

// roomLocks serialise what happens to one room so that an IM message and
// the state it announces stay in order (a start's 1001 before anything
// that sees the class living, an end's 1002 before it is ended). Each room
// has a lock of its own, made when needed and dropped when nobody holds
// it: a slow IM call holds up only its own room. State changes (start,
// end, callbacks) take it alone; enters and leaves share it, so a crowd
// entering one class waits for one IM round trip, not for each other's.
type roomLocks struct {
	mu sync.Mutex
	m  map[int64]*roomLock
}

type roomLock struct {
	sync.RWMutex
	refs int
}

// lock takes room id's lock, shared or alone, and returns its unlock.
func (l *roomLocks) lock(id int64, shared bool) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[int64]*roomLock)
	}
	rl := l.m[id]
	if rl == nil {
		rl = &roomLock{}
		l.m[id] = rl
	}
	rl.refs++
	l.mu.Unlock()
	if shared {
		rl.RLock()
	} else {
		rl.Lock()
	}
	return func() {
		if shared {
			rl.RUnlock()
		} else {
			rl.Unlock()
		}
		l.mu.Lock()
		if rl.refs--; rl.refs == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}

// lockRoom takes room id's lock alone, in this process and, on a database
// several servers share, across them (store.LockRoom): a state change and
// its IM message happen once whichever server is asked.
func (s *Service) lockRoom(ctx context.Context, id int64) (unlock func(), err error) {
	local := s.rooms.lock(id, false)
	shared, err := s.Store.LockRoom(ctx, id)
	if err != nil {
		local()
		return nil, internal("lock room", err)
	}
	return func() { shared(); local() }, nil
}

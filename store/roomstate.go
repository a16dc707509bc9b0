package store

import (
	"context"
	"sync"
)

// The state an enter needs of its room, kept in memory.

// roomStates caches rooms for the enter's checks (state, app, teacher),
// read by every student entering at the top of the hour. Every write that
// changes a room's state forgets it, on every server (see peer.go). The
// enter statement checks the state itself too.
type roomStates struct {
	mu  sync.Mutex
	gen int64
	m   map[int64]roomState
}

type roomState struct {
	room *Room
	// unscheduled: the room has no schedule (no t_lcic_room row), so
	// the enter's and the class events' schedule reads are skipped. A
	// schedule is made with its room and deleted with it, and every change
	// to either forgets the entry.
	unscheduled bool
}

func (c *roomStates) forget(ids ...int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		delete(c.m, id)
	}
}

func (c *roomStates) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// RoomForEnter is Room from the state cache: the caller only reads it.
func (s *Store) RoomForEnter(ctx context.Context, id int64) (*Room, error) {
	c := &s.states
	caching := s.caching()
	c.mu.Lock()
	e, ok := c.m[id]
	gen := c.gen
	c.mu.Unlock()
	if ok && caching {
		return e.room, nil
	}
	r, err := s.Room(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen && caching {
		if c.m == nil || len(c.m) >= maxMemberRooms {
			c.m = make(map[int64]roomState)
		}
		c.m[id] = roomState{room: r}
	}
	c.mu.Unlock()
	return r, nil
}

// unscheduled reports whether room id is known to have no schedule, and
// the generation to pass noteUnscheduled after reading it.
func (s *Store) unscheduled(id int64) (bool, int64) {
	c := &s.states
	caching := s.caching()
	c.mu.Lock()
	defer c.mu.Unlock()
	return caching && c.m[id].unscheduled, c.gen
}

// noteUnscheduled records that room id has no schedule, read at
// generation gen: only into the room's cached state, and only if
// nothing was forgotten since.
func (s *Store) noteUnscheduled(id, gen int64) {
	c := &s.states
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[id]; ok && c.gen == gen {
		e.unscheduled = true
		c.m[id] = e
	}
}

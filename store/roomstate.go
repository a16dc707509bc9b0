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
		c.m[id] = roomState{r}
	}
	c.mu.Unlock()
	return r, nil
}

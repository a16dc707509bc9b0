package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// roomLists caches room-list answers until this server changes a room,
// and at most listTTL (what another server on the same MySQL database, or
// another process on the SQLite file, wrote shows within it). A room list
// is two queries and twenty-odd rows; the same first page is asked for by
// every client of an app, far more often than rooms change. Members
// entering and leaving do not count as changes: the member counts of a
// list are read from the member cache when it is answered.
type roomLists struct {
	local atomic.Int64 // this server's room writes: the version
	ttl   time.Duration

	mu      sync.Mutex
	version int64
	entries map[RoomFilter]roomListEntry
}

type roomListEntry struct {
	total int64
	items []RoomItem
	at    time.Time
}

// listTTL bounds how old a cached room list may be.
const listTTL = time.Second

// wrote counts a write of this server (the cache version).
func (c *roomLists) wrote() { c.local.Add(1) }

// maxRoomLists bounds the entries kept for one version (filters are
// client-chosen: time bounds, hosts, pages).
const maxRoomLists = 256

func (c *roomLists) get(f RoomFilter, version int64, now time.Time) (roomListEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return roomListEntry{}, false
	}
	e, ok := c.entries[f]
	if ok && now.Sub(e.at) > c.ttl {
		return roomListEntry{}, false
	}
	return e, ok
}

func (c *roomLists) put(f RoomFilter, version int64, e roomListEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version || c.entries == nil || len(c.entries) >= maxRoomLists {
		if version < c.version {
			return // an older reader finishing late
		}
		c.version = version
		c.entries = make(map[RoomFilter]roomListEntry)
	}
	e.at = now
	c.entries[f] = e
}

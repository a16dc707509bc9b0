package store

import (
	"sync"
	"sync/atomic"
)

// roomLists caches room-list answers until a server changes a room (this
// one, or another that tells it: see peer.go). A room list
// is two queries and twenty-odd rows; the same first page is asked for by
// every client of an app, far more often than rooms change. Members
// entering and leaving do not count as changes: the member counts of a
// list are read from the member cache when it is answered.
type roomLists struct {
	local atomic.Int64 // room writes (this server's and those it was told of): the version

	mu      sync.Mutex
	version int64
	entries map[RoomFilter]roomListEntry
}

type roomListEntry struct {
	total int64
	items []RoomItem
}

// wrote counts a room write (the cache version).
func (c *roomLists) wrote() { c.local.Add(1) }

// maxRoomLists bounds the entries kept for one version (filters are
// client-chosen: time bounds, hosts, pages).
const maxRoomLists = 256

func (c *roomLists) get(f RoomFilter, version int64) (roomListEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return roomListEntry{}, false
	}
	e, ok := c.entries[f]
	return e, ok
}

func (c *roomLists) put(f RoomFilter, version int64, e roomListEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version || c.entries == nil || len(c.entries) >= maxRoomLists {
		if version < c.version {
			return // an older reader finishing late
		}
		c.version = version
		c.entries = make(map[RoomFilter]roomListEntry)
	}
	c.entries[f] = e
}

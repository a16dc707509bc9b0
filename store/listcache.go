package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// roomLists caches room-list answers for as long as the database does not
// change. On MySQL, where nothing cheap tells, an entry lives until this
// server writes, and at most listTTL (what other servers on the same
// database wrote shows within it). A room list is two queries and twenty-odd rows with a member
// count each; the same first page is asked for by every client of an app,
// far more often than rooms or members change.
//
// Whether anything changed is asked of SQLite itself: PRAGMA data_version
// on a connection of its own moves whenever another connection (the writer,
// or any other process) commits. So no write path, present or future, can
// leave a stale list behind. The version is read before the queries, so a
// commit racing with them makes the entry stale at once, never wrong.
type roomLists struct {
	db *sql.DB   // SQLite: one read-only connection, only for data_version
	dv *sql.Stmt // PRAGMA data_version, prepared once

	// MySQL: the version is a count of this server's writes, and entries
	// expire after ttl.
	local atomic.Int64
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

// listTTL bounds how old a cached room list may be on MySQL.
const listTTL = time.Second

// wrote counts a write of this server (the MySQL cache version).
func (c *roomLists) wrote() { c.local.Add(1) }

// maxRoomLists bounds the entries kept for one version (filters are
// client-chosen: time bounds, hosts, pages).
const maxRoomLists = 256

func (c *roomLists) open(dsn string) error {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	dv, err := db.Prepare("PRAGMA data_version")
	if err != nil {
		db.Close()
		return err
	}
	c.db, c.dv = db, dv
	return nil
}

func (c *roomLists) close() error {
	if c.db == nil {
		return nil
	}
	c.dv.Close()
	return c.db.Close()
}

// current reads the database's data version; ok is false when it cannot
// be read (then nothing is cached).
func (c *roomLists) current(ctx context.Context) (int64, bool) {
	if c.ttl > 0 {
		return c.local.Load(), true
	}
	if c.db == nil {
		return 0, false
	}
	var v int64
	if err := c.dv.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, false
	}
	return v, true
}

func (c *roomLists) get(f RoomFilter, version int64) (roomListEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return roomListEntry{}, false
	}
	e, ok := c.entries[f]
	if ok && c.ttl > 0 && time.Since(e.at) > c.ttl {
		return roomListEntry{}, false
	}
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
	e.at = time.Now()
	c.entries[f] = e
}

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Several servers on one MySQL database keep their caches exact by
// telling each other of every write before they acknowledge it: the
// writer applies a Change to its own caches and hands it to Publish
// (set by the server), which delivers it to every other server or fences
// out the ones it cannot reach. A server uses its caches only while it
// holds a lease (UseCachesUntil): a server that was fenced, lost the
// database or was never told reads everything from the database. SQLite
// has one server, whose caches are always exact.

// Change is what a write changed, for the caches of other servers.
type Change struct {
	Rooms   []int64   `json:"rooms,omitempty"`   // members, removals, state, replay index
	Entered []Entered `json:"entered,omitempty"` // members present now (see Forget)
	Left    []Left    `json:"left,omitempty"`    // members gone (see Forget)
	Uins    []int64   `json:"uins,omitempty"`    // sessions ended or replaced
	Lists   bool      `json:"lists,omitempty"`   // anything a room list shows
	All     bool      `json:"all,omitempty"`     // every room (the reaper's bulk changes)
	Hosts   []int64   `json:"hosts,omitempty"`   // rooms whose teacher changed (a rescheduled class)
}

// Entered is an enter: the member's row, its place in the list (MySQL's
// entered_at) and its room.
type Entered struct {
	Room int64 `json:"room"`
	Member
	Seq int64 `json:"seq"`
}

// Left is a member that left a room.
type Left struct {
	Room int64 `json:"room"`
	Uin  int64 `json:"uin"`
}

// Merge is c and o as one change (what a server applies for both).
func (c Change) Merge(o Change) Change {
	return Change{Rooms: append(c.Rooms, o.Rooms...), Entered: append(c.Entered, o.Entered...),
		Left: append(c.Left, o.Left...), Uins: append(c.Uins, o.Uins...), Lists: c.Lists || o.Lists,
		All: c.All || o.All, Hosts: append(c.Hosts, o.Hosts...)}
}

func (c Change) empty() bool {
	return len(c.Rooms) == 0 && len(c.Entered) == 0 && len(c.Left) == 0 && len(c.Uins) == 0 && !c.Lists && !c.All
}

// Publisher delivers a change to every other server before it returns;
// an error means it could neither deliver it to some server nor fence
// that server out, so the write must not be acknowledged.
type Publisher func(ctx context.Context, c Change) error

// SetPublisher installs the publisher (before the first request).
func (s *Store) SetPublisher(p Publisher) { s.publisher = p }

// publish tells the other servers of c (a no-op on SQLite).
func (s *Store) publish(ctx context.Context, c Change) error {
	if !s.d.shared || s.publisher == nil || c.empty() {
		return nil
	}
	// The write is committed: its publication outlives the request's
	// deadline, or a timed-out request would leave a server stale.
	return s.publisher(context.WithoutCancel(ctx), c)
}

// Forget applies a change to this server's caches (another server's, or
// this one's own after a write); ctx bounds the one-row reads of leaves.
func (s *Store) Forget(ctx context.Context, c Change) {
	if c.All {
		s.forgetRooms()
	}
	for _, room := range c.Rooms {
		s.dropMembers(room)
		s.states.forget(room)
	}
	for _, e := range c.Entered {
		s.enteredElsewhere(e)
	}
	for _, l := range c.Left {
		s.leftElsewhere(ctx, l)
	}
	for _, uin := range c.Uins {
		s.dropSessions(uin)
	}
	for _, room := range c.Hosts {
		s.owners.forget(room)
	}
	if c.Lists || len(c.Rooms) > 0 || c.All {
		s.lists.wrote()
	}
}

// forgetRooms drops every cached member list, room state and room list.
func (s *Store) forgetRooms() {
	s.membersChanged()
	s.states.forgetAll()
	s.lists.wrote()
}

// forgetAll drops every cache entry that another server's writes can
// make stale (room owners change only by a Change's Hosts).
func (s *Store) forgetAll() {
	s.forgetRooms()
	s.sessMu.Lock()
	s.sessGen.Add(1)
	s.sessions.Clear()
	clear(s.sessUins)
	s.sessMu.Unlock()
}

// Caching reports whether the caches are in use (see caching).
func (s *Store) Caching() bool { return s.caching() }

// caching reports whether the caches may be used: always on SQLite; on
// MySQL while this server holds its lease.
func (s *Store) caching() bool {
	if !s.d.shared {
		return true
	}
	return time.Since(s.epoch) < time.Duration(s.cacheUntil.Load())
}

// UseCachesUntil lets the caches be used until the deadline: this server
// holds its lease and every other server tells it of its writes. After
// a lapse the caches start empty (writes may have been missed).
func (s *Store) UseCachesUntil(deadline time.Time) {
	until := deadline.Sub(s.epoch)
	if !s.caching() {
		s.forgetAll()
	}
	s.cacheUntil.Store(int64(until))
}

// StopCaches stops the use of the caches at once (the lease is lost).
func (s *Store) StopCaches() { s.cacheUntil.Store(0) }

// Peer is another server on the database.
type Peer struct {
	ID, Addr string
}

// LeaseTime is how long a server's lease lasts past its renewal.
const LeaseTime = 3 * time.Second

// nowMs is the database's clock in milliseconds: leases are measured on
// one clock, whichever server reads them.
const nowMs = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"

var leaseMs = LeaseTime.Milliseconds()

// RegisterServer adds this server, reachable at addr, with a new lease;
// it returns the server's id.
func (s *Store) RegisterServer(ctx context.Context, addr string, started int64) (string, error) {
	if !s.d.shared {
		return "", errors.New("register server: only on a shared database")
	}
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	_, err := s.lease.ExecContext(ctx, "INSERT INTO t_server (id, addr, lease_until, fenced, started) VALUES (?, ?, "+
		nowMs+" + ?, 0, ?)", id, addr, leaseMs, started)
	if err != nil {
		return "", fmt.Errorf("register server: %w", err)
	}
	// Servers that stopped long ago leave no rows behind.
	s.lease.ExecContext(ctx, "DELETE FROM t_server WHERE lease_until < "+nowMs+" - 3600000")
	return id, nil
}

// RenewLease extends the lease of server id; false when it was fenced
// out or is gone (it must register again).
func (s *Store) RenewLease(ctx context.Context, id string) (bool, error) {
	res, err := s.lease.ExecContext(ctx, "UPDATE t_server SET lease_until = "+nowMs+" + ? WHERE id = ? AND fenced = 0",
		leaseMs, id)
	if err != nil {
		return false, fmt.Errorf("renew lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Peers lists the servers other than self that hold a lease.
func (s *Store) Peers(ctx context.Context, self string) ([]Peer, error) {
	rows, err := s.lease.QueryContext(ctx, "SELECT id, addr FROM t_server WHERE fenced = 0 AND lease_until > "+nowMs+
		" AND id <> ? ORDER BY id", self)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		var p Peer
		if err := rows.Scan(&p.ID, &p.Addr); err != nil {
			return nil, fmt.Errorf("peers: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Fence stops server id from renewing its lease and returns how long its
// lease still runs: past that it no longer uses its caches.
func (s *Store) Fence(ctx context.Context, id string) (time.Duration, error) {
	if _, err := s.lease.ExecContext(ctx, "UPDATE t_server SET fenced = 1 WHERE id = ?", id); err != nil {
		return 0, fmt.Errorf("fence %s: %w", id, err)
	}
	var left int64
	err := s.lease.QueryRowContext(ctx, "SELECT GREATEST(lease_until - "+nowMs+", 0) FROM t_server WHERE id = ?", id).Scan(&left)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("fence %s: %w", id, err)
	}
	return time.Duration(left) * time.Millisecond, nil
}

// RetireServer removes server id (a clean stop: nobody waits for it).
func (s *Store) RetireServer(ctx context.Context, id string) error {
	_, err := s.lease.ExecContext(ctx, "DELETE FROM t_server WHERE id = ?", id)
	return err
}

// dropSessions forgets the cached session of uin.
func (s *Store) dropSessions(uin int64) {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	s.sessGen.Add(1)
	if tok, ok := s.sessUins[uin]; ok {
		delete(s.sessUins, uin)
		s.sessions.Delete(tok)
	}
}

// ServerRow is a server of the group as the console shows it.
type ServerRow struct {
	ID          string `json:"id"`
	Addr        string `json:"addr"`
	LeaseLeftMs int64  `json:"lease_left_ms"` // negative: lapsed that long ago
	Fenced      bool   `json:"fenced"`
	Started     int64  `json:"started"` // unix seconds
}

// Servers lists the group's servers, newest first (none on SQLite: one
// server has the file). Servers gone for an hour are dropped as they
// register (see RegisterServer).
func (s *Store) Servers(ctx context.Context) ([]ServerRow, error) {
	if !s.d.shared || s.lease == nil {
		return nil, nil
	}
	rows, err := s.lease.QueryContext(ctx, "SELECT id, addr, lease_until - "+nowMs+", fenced, started FROM t_server ORDER BY started DESC, id")
	if err != nil {
		return nil, fmt.Errorf("servers: %w", err)
	}
	defer rows.Close()
	var out []ServerRow
	for rows.Next() {
		var r ServerRow
		if err := rows.Scan(&r.ID, &r.Addr, &r.LeaseLeftMs, &r.Fenced, &r.Started); err != nil {
			return nil, fmt.Errorf("servers: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

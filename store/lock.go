package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Locks that hold across every server on a shared database.

// lockWait is how long LockRoom waits for another server's state change.
const lockWait = 10

// LockRoom takes a lock on room id that holds across every server on the
// database (see namedLock). On SQLite, one server has the file: a no-op.
func (s *Store) LockRoom(ctx context.Context, id int64) (func(), error) {
	if !s.d.shared {
		return func() {}, nil
	}
	return s.namedLock(ctx, fmt.Sprintf("room:%d", id), lockWait)
}

// namedLock takes a MySQL user-level lock (GET_LOCK) named for this
// database, held by a connection of its own until unlock. The locks'
// connections are a pool apart: a holder also needs the main pool for its
// writes, so holders taking the main pool's connections would leave
// none for those writes and stop each other until their deadlines.
func (s *Store) namedLock(ctx context.Context, what string, wait int) (func(), error) {
	pool := s.w
	if s.locks != nil {
		pool = s.locks
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	name := "sxb:" + s.dbName + ":" + what
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, wait).Scan(&got); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock %s: %w", what, err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return nil, fmt.Errorf("lock %s: still held by another server after %d s", what, wait)
	}
	return func() {
		conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", name)
		conn.Close()
	}, nil
}

package store

import (
	"context"
	"database/sql"
	"database/sql/driver"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteDriver is go-sqlite3's driver whose statements do not watch their
// context while they run. go-sqlite3 runs a statement under a context
// that can end on a goroutine of its own and waits for it: two goroutine
// switches and often a thread woken per enter, leave and transaction
// (BENCHMARKS.md). A statement's waits are SQLite's own, bounded by the
// busy timeout; the pool still gives up a connection wait when the
// context ends, and queries still stop when theirs does.
type sqliteDriver struct{ sqlite3.SQLiteDriver }

const sqliteDriverName = "sqlite3-sxb"

func init() { sql.Register(sqliteDriverName, &sqliteDriver{}) }

func (d *sqliteDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.SQLiteDriver.Open(dsn)
	if err != nil {
		return nil, err
	}
	return sqliteConn{c.(*sqlite3.SQLiteConn)}, nil
}

type sqliteConn struct{ *sqlite3.SQLiteConn }

func (c sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.SQLiteConn.ExecContext(context.WithoutCancel(ctx), query, args)
}

func (c sqliteConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.SQLiteConn.BeginTx(context.WithoutCancel(ctx), opts)
}

package store

import (
	"database/sql"
	"os"
	"sync"
	"time"
)

// SQLite's WAL is by default copied back into the database file by the
// connection that commits, inside its commit, every 1000 pages: with one
// writer connection that stalled every write queued behind it (enters,
// exits, logins) for the length of a checkpoint and its fsyncs, hundreds
// of milliseconds under a school's load. The writer's automatic
// checkpoints are off; a connection of its own checkpoints instead, in
// PASSIVE mode (it never blocks the writer or the readers), every second.

const checkpointEvery = time.Second

// walSizeLimit truncates the WAL file after a checkpoint let it restart.
const walSizeLimit = 64 << 20

// A PASSIVE checkpoint copies what no reader still needs; when readers are
// always busy (a school's load) the WAL can never start over and grows
// without end (1 GB in 40 s of pure writes). Past walTruncateAt the tick
// runs a TRUNCATE checkpoint instead: it waits (busy timeout) for the
// readers of old snapshots to finish and holds the writers meanwhile, so
// it cannot be starved, and leaves an empty WAL.
var walTruncateAt int64 = walSizeLimit

type checkpointer struct {
	db       *sql.DB
	wal      string // the WAL file's path
	tick     func() // also run every tick (the file watch)
	stop     chan struct{}
	done     sync.WaitGroup
	stopOnce sync.Once
}

func (c *checkpointer) start(dsn, wal string) error {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	c.db, c.wal, c.stop = db, wal, make(chan struct{})
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				if c.tick != nil {
					c.tick()
				}
				mode := "PASSIVE"
				if fi, err := os.Stat(c.wal); err == nil && fi.Size() > walTruncateAt {
					mode = "TRUNCATE"
				}
				// A failure (a busy database) is retried on the next tick.
				db.Exec("PRAGMA wal_checkpoint(" + mode + ")")
			}
		}
	}()
	return nil
}

func (c *checkpointer) close() error {
	if c.db == nil {
		return nil
	}
	c.stopOnce.Do(func() { close(c.stop) })
	c.done.Wait()
	return c.db.Close()
}

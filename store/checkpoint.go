package store

import (
	"database/sql"
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

type checkpointer struct {
	db       *sql.DB
	stop     chan struct{}
	done     sync.WaitGroup
	stopOnce sync.Once
}

func (c *checkpointer) start(dsn string) error {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	c.db, c.stop = db, make(chan struct{})
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
				// A failure (a busy database) is retried on the next tick.
				db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
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

package store

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite's WAL is by default copied back into the database file by the
// connection that commits, inside its commit, every 1000 pages: with one
// writer connection that stalled every write queued behind it (enters,
// exits, logins) for the length of a checkpoint and its fsyncs, hundreds
// of milliseconds under a school's load. The writer's automatic
// checkpoints are off; a connection of its own checkpoints instead, every
// second, in PASSIVE mode (it never blocks the writer or the readers),
// holding the writers only for a moment when the log must start over.

const checkpointEvery = time.Second

// holdWait is how long a tick waits for the writer connection to hold it.
const holdWait = 250 * time.Millisecond

// checkpointBusy is the checkpoints' busy timeout; heldBusy, the held
// RESTART's (the writers wait for it).
const (
	checkpointBusy = 250 * time.Millisecond
	heldBusy       = 20 * time.Millisecond
)

// walSizeLimit truncates the WAL file after a checkpoint let it restart.
const walSizeLimit = 64 << 20

// A PASSIVE checkpoint copies what no reader still needs, but it cannot
// start the WAL over: writers that never pause (a school's entry: 6,500
// pages a second) append behind it faster than it catches up, and the
// file grows. When a tick's PASSIVE copy leaves more than walRestartAt
// pages in the log, the tick copies once more, then holds the writer
// connection and runs a RESTART checkpoint: it copies only what came
// during the last copy and waits (at most heldBusy) for the readers still
// in the log, and the next write starts the file over (reused, not
// truncated). The writers wait in the pool meanwhile and go on the moment
// it is back. Unheld, RESTART and TRUNCATE poll for the writer's lock in
// sleeps of up to 100 ms while the writers poll for theirs, and
// TRUNCATE shortens the file on a disk that discards what is freed:
// 120-280 ms stalls, every few seconds of a school's entry.
var walRestartAt = 8192

// walTruncateAt bounds the file if the RESTARTs keep failing (readers
// that never let go): past it the tick runs a TRUNCATE checkpoint, which
// waits (busy timeout) for the readers of old snapshots and holds the
// writers meanwhile, so it cannot be starved, and leaves an empty WAL
// (without any bound the WAL grew to 1 GB in 40 s of pure writes).
var walTruncateAt int64 = walSizeLimit

type checkpointer struct {
	db       *sql.DB
	wal      string       // the WAL file's path
	tick     func()       // also run every tick (the file watch)
	restarts atomic.Int64 // held RESTARTs that succeeded
	// hold takes the writer connection from its pool until release.
	hold     func(context.Context) (release func(), err error)
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
				c.checkpoint()
			}
		}
	}()
	return nil
}

// checkpoint runs one tick's checkpoints; a failure (a busy database)
// is retried on the next tick.
func (c *checkpointer) checkpoint() {
	if fi, err := os.Stat(c.wal); err == nil && fi.Size() > walTruncateAt {
		c.run("TRUNCATE")
		return
	}
	busy, pages, err := c.run("PASSIVE")
	if err != nil || busy != 0 || pages <= walRestartAt || c.hold == nil {
		return
	}
	// Once more unheld: what the writers add during a copy shrinks with
	// each one, and the copy under the hold is the writers' stall.
	if busy, _, err := c.run("PASSIVE"); err != nil || busy != 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), holdWait)
	defer cancel()
	release, err := c.hold(ctx)
	if err != nil {
		return
	}
	defer release()
	// A reader that stays (an export) fails this tick's restart rather
	// than stall the writers; past walTruncateAt the TRUNCATE waits for it.
	if _, err := c.db.Exec("PRAGMA busy_timeout = " + strconv.Itoa(int(heldBusy.Milliseconds()))); err == nil {
		if busy, _, err := c.run("RESTART"); err == nil && busy == 0 {
			c.restarts.Add(1)
		}
		c.db.Exec("PRAGMA busy_timeout = " + strconv.Itoa(int(checkpointBusy.Milliseconds())))
	}
}

// run runs a checkpoint in mode; pages is the log's length in pages.
func (c *checkpointer) run(mode string) (busy, pages int, err error) {
	var copied int
	err = c.db.QueryRow("PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &pages, &copied)
	return busy, pages, err
}

func (c *checkpointer) close() error {
	if c.db == nil {
		return nil
	}
	c.stopOnce.Do(func() { close(c.stop) })
	c.done.Wait()
	return c.db.Close()
}

package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadWAL runs writers that never pause and readers that hold a
// snapshot (always, or all but pause between queries) until the returned
// stop, which reports how many writes committed.
func loadWAL(t *testing.T, s *Store, pause time.Duration) (stop func() int64) {
	ctx := context.Background()
	var halt atomic.Bool
	var commits atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !halt.Load(); i++ {
				name := fmt.Sprintf("w%d-%d", w, i%500)
				if _, err := s.exec(ctx, "INSERT OR REPLACE INTO t_setting (name, value) VALUES (?, ?)", name,
					fmt.Sprintf("%0512d", i)); err != nil {
					t.Error(err)
					return
				}
				commits.Add(1)
			}
		})
	}
	for range 6 {
		wg.Go(func() {
			for !halt.Load() {
				var n int
				if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM t_setting WHERE value > ''").Scan(&n); err != nil {
					t.Error(err)
					return
				}
				if pause > 0 {
					time.Sleep(pause)
				}
			}
		})
	}
	return func() int64 {
		halt.Store(true)
		wg.Wait()
		return commits.Load()
	}
}

// setWALBounds sets the checkpoints' bounds for one test; they are put
// back after the test's store is closed (its checkpointer reads them).
func setWALBounds(t *testing.T, truncateAt int64, restartAt int) {
	oldTrunc, oldRestart := walTruncateAt, walRestartAt
	walTruncateAt, walRestartAt = truncateAt, restartAt
	t.Cleanup(func() { walTruncateAt, walRestartAt = oldTrunc, oldRestart })
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Under that load the WAL still shrinks back: past its bound the
// checkpoint waits for the readers instead of giving up (it grew to 1 GB
// before).
func TestWALBoundedUnderLoad(t *testing.T) {
	setWALBounds(t, 256<<10, 1<<30) // the bound alone
	path := filepath.Join(t.TempDir(), "wal.db")
	s := open(t, path)
	t.Cleanup(func() { s.Close() })
	stop := loadWAL(t, s, 0)
	// Under load: the WAL passes its bound and is brought back below it.
	var over, shrunk bool
	var most int64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !shrunk; time.Sleep(20 * time.Millisecond) {
		n := fileSize(path + "-wal")
		most = max(most, n)
		if n > walTruncateAt {
			over = true
		} else if over && n < walTruncateAt/2 {
			shrunk = true
		}
	}
	stop()
	if !over || !shrunk {
		t.Fatalf("under load the WAL passed its bound: %v, shrank back: %v (largest %d bytes)", over, shrunk, most)
	}
}

// Under writers that never pause (a PASSIVE copy never catches up with
// them) and busy readers, the WAL starts over, without truncating, once a
// tick leaves more than walRestartAt pages in it: a RESTART checkpoint
// under the held writer succeeds (SQLite then starts the log over at the
// next write) and the file stays within journal_size_limit.
func TestWALStartsOverUnderLoad(t *testing.T) {
	setWALBounds(t, 1<<40, 64) // the restart alone
	path := filepath.Join(t.TempDir(), "wal.db")
	s := open(t, path)
	t.Cleanup(func() { s.Close() })
	stop := loadWAL(t, s, 5*time.Millisecond)
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end) && s.ckpt.restarts.Load() < 3; {
		time.Sleep(20 * time.Millisecond)
	}
	commits := stop()
	if n := s.ckpt.restarts.Load(); n < 3 {
		t.Fatalf("%d held restarts in 20 s of %d commits", n, commits)
	}
	// The writes are over: the next tick's restart and the write after it
	// leave the file within its limit.
	if _, err := s.exec(context.Background(), "INSERT OR REPLACE INTO t_setting (name, value) VALUES ('x', 'y')"); err != nil {
		t.Fatal(err)
	}
	s.ckpt.checkpoint()
	if _, err := s.exec(context.Background(), "INSERT OR REPLACE INTO t_setting (name, value) VALUES ('x', 'z')"); err != nil {
		t.Fatal(err)
	}
	if n := fileSize(path + "-wal"); n > walSizeLimit+1<<20 {
		t.Fatalf("the WAL file is %d bytes after its restart (limit %d)", n, walSizeLimit)
	}
}

// A reader that stays in an old snapshot (an export) fails the held
// restart within heldBusy instead of holding the writers, and the next
// tick after it leaves restarts.
func TestWALRestartGivesWayToAReader(t *testing.T) {
	setWALBounds(t, 1<<40, 64)
	path := filepath.Join(t.TempDir(), "wal.db")
	s := open(t, path)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	write := func(n int) {
		for i := range n {
			if _, err := s.exec(ctx, "INSERT OR REPLACE INTO t_setting (name, value) VALUES (?, ?)",
				fmt.Sprintf("k%d", i%300), fmt.Sprintf("%01024d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(300)
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM t_setting").Scan(&n); err != nil {
		t.Fatal(err)
	}
	write(300) // past the reader's snapshot
	before := s.ckpt.restarts.Load()
	t0 := time.Now()
	s.ckpt.checkpoint()
	if took := time.Since(t0); took > 200*time.Millisecond {
		t.Errorf("a tick with a reader staying took %v", took)
	}
	if got := s.ckpt.restarts.Load(); got != before {
		t.Fatalf("the log restarted under a reader of an old snapshot (%d restarts, was %d)", got, before)
	}
	// The writers were held no longer than the restart's wait.
	t0 = time.Now()
	write(1)
	if took := time.Since(t0); took > 100*time.Millisecond {
		t.Errorf("a write after the tick took %v", took)
	}
	tx.Rollback()
	write(300)
	s.ckpt.checkpoint()
	if got := s.ckpt.restarts.Load(); got != before+1 {
		t.Fatalf("no restart once the reader left (%d restarts, was %d)", got, before)
	}
}

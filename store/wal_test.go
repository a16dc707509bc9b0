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

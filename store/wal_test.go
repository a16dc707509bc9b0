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

// Under writers that never pause and readers that always hold a
// snapshot, the WAL still shrinks back: past its bound the checkpoint
// waits for the readers instead of giving up (it grew to 1 GB before).
func TestWALBoundedUnderLoad(t *testing.T) {
	old := walTruncateAt
	walTruncateAt = 256 << 10
	defer func() { walTruncateAt = old }()
	path := filepath.Join(t.TempDir(), "wal.db")
	s := open(t, path)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				name := fmt.Sprintf("w%d-%d", w, i%500)
				if _, err := s.exec(ctx, "INSERT OR REPLACE INTO t_setting (name, value) VALUES (?, ?)", name,
					fmt.Sprintf("%0512d", i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 6 {
		wg.Go(func() {
			for !stop.Load() {
				var n int
				if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM t_setting WHERE value > ''").Scan(&n); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	// Under load: the WAL passes its bound and is brought back below it.
	var over, shrunk bool
	var most int64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !shrunk; time.Sleep(20 * time.Millisecond) {
		n := walSize()
		most = max(most, n)
		if n > walTruncateAt {
			over = true
		} else if over && n < walTruncateAt/2 {
			shrunk = true
		}
	}
	stop.Store(true)
	wg.Wait()
	if !over || !shrunk {
		t.Fatalf("under load the WAL passed its bound: %v, shrank back: %v (largest %d bytes)", over, shrunk, most)
	}
}

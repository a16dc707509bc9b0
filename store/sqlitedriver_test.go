package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"
	"time"
)

// A statement runs to its end whatever its context, on the caller's
// goroutine; a wait for the one writer connection still ends with the
// request's context, and a query still stops with its own.
func TestSQLiteStatementsIgnoreTheirContext(t *testing.T) {
	s := open(t, t.TempDir()+"/d.db")
	defer s.Close()
	ending, cancel := context.WithCancel(bg)
	defer cancel()
	conn, err := s.w.Conn(bg)
	must(t, err)
	// A context that ends while the statement runs does not stop it
	// (go-sqlite3's own driver interrupts it).
	must(t, conn.Raw(func(dc any) error {
		c := dc.(sqliteConn)
		if _, err := c.ExecContext(ending, "CREATE TABLE t_probe (x INTEGER)", nil); err != nil {
			return err
		}
		tx, err := c.BeginTx(ending, driver.TxOptions{})
		if err != nil {
			return err
		}
		time.AfterFunc(20*time.Millisecond, cancel)
		if _, err := c.ExecContext(ending, `INSERT INTO t_probe
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT i FROM n`, nil); err != nil {
			return err
		}
		return tx.Commit()
	}))
	var rows, sum int64
	must(t, conn.QueryRowContext(bg, "SELECT COUNT(*), SUM(x) FROM t_probe").Scan(&rows, &sum))
	if rows != 1000000 || sum != 1000000*1000001/2 {
		t.Fatalf("stored %d rows summing to %d, want all 1,000,000", rows, sum)
	}

	// The writer is taken: a write waiting for it gives up at its deadline.
	ctx, stop := context.WithTimeout(bg, 50*time.Millisecond)
	defer stop()
	t0 := time.Now()
	_, err = s.w.ExecContext(ctx, "INSERT INTO t_probe VALUES (8)")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 2*time.Second {
		t.Fatalf("a write waiting for the writer: %v after %v", err, time.Since(t0))
	}
	must(t, conn.Close())

	// A query whose context ends stops.
	qctx, qcancel := context.WithCancel(bg)
	defer qcancel()
	list, err := s.r.QueryContext(qctx, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n")
	must(t, err)
	defer list.Close()
	read := 0
	for list.Next() {
		if read++; read == 1000 {
			qcancel()
		}
		if read > 1_000_000 {
			t.Fatal("a query went on past its context's end")
		}
	}
	if err := list.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("the query ending with %v after %d rows, want context.Canceled", err, read)
	}
}

// The writer keeps a page cache the size of a school's working set; the
// readers, whose caches every commit empties, keep SQLite's default.
func TestSQLiteWriterCache(t *testing.T) {
	s, _ := tempDB(t)
	var w, r int
	if err := s.w.QueryRow("PRAGMA cache_size").Scan(&w); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow("PRAGMA cache_size").Scan(&r); err != nil {
		t.Fatal(err)
	}
	if w != -writerCacheKiB || r != -2000 {
		t.Fatalf("cache_size: writer %d, reader %d; want %d, -2000", w, r, -writerCacheKiB)
	}
}

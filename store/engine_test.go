package store

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"
)

var testDBSeq atomic.Int64

// testMySQL creates an empty database for a test on the server named by
// SXB_TEST_MYSQL (default mysql://root@127.0.0.1:3306/), dropped at the
// end; it skips the test, saying why, when no server answers (and fails
// it on CI, which always has one).
func testMySQL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SXB_TEST_MYSQL")
	if base == "" {
		base = "mysql://root@127.0.0.1:3306/"
	}
	c, err := MySQLConfig(strings.TrimSuffix(base, "/") + "/mysql")
	if err != nil {
		t.Fatal(err)
	}
	c.DBName = ""
	conn, err := mysql.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	admin := sql.OpenDB(conn)
	if err := admin.Ping(); err != nil {
		admin.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("no MySQL at %s on CI: %v", Redact(base), err)
		}
		t.Skipf("MySQL case skipped: no server at %s (%v); set SXB_TEST_MYSQL", Redact(base), err)
	}
	name := fmt.Sprintf("sxbs_%d_%d", os.Getpid(), testDBSeq.Add(1))
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	})
	return strings.TrimSuffix(base, "/") + "/" + name
}

// engines runs fn on a new store of each engine: a SQLite file, and a
// MySQL database (see testMySQL). db reopens it.
func engines(t *testing.T, fn func(t *testing.T, s *Store, db string)) {
	for _, e := range []string{"sqlite", "mysql"} {
		t.Run(e, func(t *testing.T) {
			var db string
			if e == "mysql" {
				db = testMySQL(t)
			} else {
				db = t.TempDir() + "/s.db"
			}
			s := open(t, db)
			t.Cleanup(func() { s.Close() })
			fn(t, s, db)
		})
	}
}

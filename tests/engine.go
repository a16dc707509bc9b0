package tests

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sxb-edu/store"
)

// MySQLEnv names the environment variable that points the tests at a
// MySQL or MariaDB server they may create and drop databases on, as
// mysql://user:password@host:port/ (.ci/run sets it). Unset, the MySQL
// cases are skipped: the tests never touch a database server they were
// not given. The databases they make are named sxbt_<pid>_<n> and
// dropped at the end of each test.
const MySQLEnv = "SXB_TEST_MYSQL"

var (
	baseOnce sync.Once
	baseURL  string
	baseWhy  string
)

// mysqlBase is the server the MySQL cases use, or "" and why not.
func mysqlBase() (string, string) {
	baseOnce.Do(func() {
		base := os.Getenv(MySQLEnv)
		if base == "" {
			baseWhy = MySQLEnv + " is not set (e.g. " + MySQLEnv + "=mysql://root@127.0.0.1:3306/)"
			return
		}
		db, _, err := store.DialMySQL(strings.TrimSuffix(base, "/")+"/mysql", true)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		if err == nil {
			baseURL = base
		} else {
			baseWhy = fmt.Sprintf("%s=%s does not answer: %v", MySQLEnv, store.Redact(base), err)
		}
	})
	return baseURL, baseWhy
}

// Engines are the storage engines the engine-driven tests run on.
var Engines = []string{"sqlite", "mysql"}

var engineOf sync.Map // testing.TB -> engine, set by EachEngine

// EachEngine runs fn once per engine as a subtest; New and NewWith called
// with that subtest's t build the server on its engine. Without MySQLEnv
// the MySQL run is skipped, saying why.
func EachEngine(t *testing.T, fn func(t *testing.T)) {
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) {
			engineOf.Store(t, e)
			t.Cleanup(func() { engineOf.Delete(t) })
			fn(t)
		})
	}
}

func engineFor(t testing.TB) string {
	if e, ok := engineOf.Load(t); ok {
		return e.(string)
	}
	return "sqlite"
}

var dbSeq atomic.Int64

// NewMySQLDatabase creates an empty database on the MySQLEnv server,
// dropped when the test ends, and returns its mysql:// URL. It skips the
// test when MySQLEnv is not set.
func NewMySQLDatabase(t testing.TB) string {
	t.Helper()
	base, why := mysqlBase()
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("MySQL case on CI: %s", why)
		}
		t.Skipf("MySQL case skipped: %s", why)
	}
	name := fmt.Sprintf("sxbt_%d_%d", os.Getpid(), dbSeq.Add(1))
	admin := adminDB(t, base)
	if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	})
	return strings.TrimSuffix(base, "/") + "/" + name
}

// adminDB connects to the MySQLEnv server without a database.
func adminDB(t testing.TB, base string) *sql.DB {
	db, _, err := store.DialMySQL(strings.TrimSuffix(base, "/")+"/mysql", true)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

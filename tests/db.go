package tests

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"sxb-edu/store"
)

// tables are every table of the schema, for Digest.
var tables = []string{"t_account", "t_course", "t_class_member", "t_video_record", "t_bind_file", "t_setting"}

// openRO opens a database for reading: a SQLite file, or a mysql:// URL.
func openRO(t testing.TB, path string) *sql.DB {
	t.Helper()
	if store.IsMySQL(path) {
		db, _, err := store.DialMySQL(path, false)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// Digest is a digest of every row of every table of the database at path
// (a file or a mysql:// URL), read through a connection of its own: equal
// digests, no change.
func Digest(t testing.TB, path string) string {
	t.Helper()
	db := openRO(t, path)
	defer db.Close()
	h := sha256.New()
	for _, tb := range tables {
		rows, err := db.Query("SELECT * FROM " + tb + " ORDER BY 1, 2")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals { // MySQL's driver gives bytes where SQLite gives strings
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			fmt.Fprintf(h, "%s%q\n", tb, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Exec runs statements on the database (a file or a mysql:// URL) directly,
// outside the server: fixtures such as a legacy database.
func Exec(t testing.TB, path string, stmts ...string) {
	t.Helper()
	var db *sql.DB
	if store.IsMySQL(path) {
		db = openRO(t, path) // the MySQL connection is not read-only
	} else {
		var err error
		if db, err = sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000"); err != nil {
			t.Fatal(err)
		}
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.80s: %v", q, err)
		}
	}
}

// QueryInt reads one integer from the database (a file or a mysql:// URL) directly.
func QueryInt(t testing.TB, path, q string, args ...any) int64 {
	t.Helper()
	return query[int64](t, path, q, args...)
}

// QueryString reads one string from the database directly.
func QueryString(t testing.TB, path, q string, args ...any) string {
	t.Helper()
	return query[string](t, path, q, args...)
}

func query[T any](t testing.TB, path, q string, args ...any) T {
	t.Helper()
	db := openRO(t, path)
	defer db.Close()
	var v T
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

package server_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sxb-edu/server"
	"sxb-edu/tests"
)

// demoKey starts and stops a server with no app configured on db and
// returns the demo app's key and the start-up log.
func demoKey(t *testing.T, db string) (string, string) {
	t.Helper()
	cfg, err := server.LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	srv, err := server.New(cfg, server.Options{DB: db, Log: slog.New(slog.NewJSONHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Apps) != 1 || cfg.Apps[0].SDKAppID != server.DemoAppID {
		t.Fatalf("apps %+v", cfg.Apps)
	}
	return cfg.Apps[0].Key, log.String()
}

// TestDemoKeyKept: with no apps configured the demo app's key is made on
// first start, said so once, and the same key is used after a restart.
func TestDemoKeyKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.db")
	k1, log1 := demoKey(t, path)
	if len(k1) < 32 || !strings.Contains(log1, "generated now") {
		t.Fatalf("key %q, log %s", k1, log1)
	}
	k2, log2 := demoKey(t, path)
	if k2 != k1 {
		t.Fatal("key changed across a restart")
	}
	if strings.Contains(log2, "generated") || !strings.Contains(log2, "kept in the database") {
		t.Fatalf("second start's log: %s", log2)
	}
	if k3, _ := demoKey(t, filepath.Join(t.TempDir(), "other.db")); k3 == k1 {
		t.Fatal("two databases share a demo key")
	}
}

// Servers started at once on one empty MySQL database migrate it one at a
// time and agree on the demo app's key.
func TestConcurrentStartsMySQL(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	const n = 4
	keys := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, _ := server.LoadConfig("")
			srv, err := server.New(cfg, server.Options{DB: db, KeepMaxProcs: true, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				errs[i] = err
				return
			}
			keys[i] = cfg.Apps[0].Key
			srv.Close()
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("server %d: %v", i, errs[i])
		}
		if keys[i] != keys[0] || keys[i] == "" {
			t.Fatalf("demo keys differ: %q", keys)
		}
	}
}

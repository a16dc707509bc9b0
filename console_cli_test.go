package main_test

import (
	"database/sql"

	_ "github.com/mattn/go-sqlite3"

	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sxb-edu/tests"
)

// The binary's ways to the first console account: the one-time link in
// the start-up log, and sxb-edu admin create with the password on stdin.
func TestConsoleFirstAccount(t *testing.T) {
	bin := tests.Build(t)
	db := filepath.Join(t.TempDir(), "c.db")
	p := tests.Run(t, bin, db, tests.ConfigFile(t, nil))
	// The token is in the database once the link is logged; the log is
	// read after the process ends (its writer is another goroutine).
	var tok string
	for deadline := time.Now().Add(5 * time.Second); tok == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		tok = queryQuiet(db, "SELECT value FROM t_setting WHERE name = 'admin_setup_token'")
	}
	tok, _, _ = strings.Cut(tok, ".") // stored as token.expiry
	path := "/admin/setup?token=" + tok
	resp, err := http.Get("http://" + p.Addr + path)
	if tok == "" || err != nil || resp.StatusCode != 200 {
		t.Fatalf("setup link %q: %v %v", path, err, resp)
	}
	resp.Body.Close()
	p.Cmd.Process.Kill()
	<-p.Exited
	if !regexp.MustCompile(`http://[^"]+` + regexp.QuoteMeta(path)).MatchString(p.Stderr.String()) {
		t.Fatalf("no setup link in the start-up log:\n%s", p.Stderr)
	}
	// The log gives the exact command, with this database.
	if !strings.Contains(p.Stderr.String(), `"command":"sxb-edu admin create -db `+db+` NAME"`) {
		t.Fatalf("no exact admin create command in the start-up log:\n%s", p.Stderr)
	}

	create := func(name, pwd string) (string, error) {
		cmd := exec.Command(bin, "admin", "create", "-db", db, name)
		cmd.Stdin = strings.NewReader(pwd + "\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := create("ops", "a long password"); err != nil || !strings.Contains(out, "console account ops created") {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	if out, err := create("ops", "another long one"); err == nil || !strings.Contains(out, "exists") {
		t.Fatalf("the same name again: %v\n%s", err, out)
	}
	if out, err := create("ops2", "short"); err == nil || !strings.Contains(out, "at least 8") {
		t.Fatalf("a short password: %v\n%s", err, out)
	}
	if n := tests.QueryInt(t, db, "SELECT COUNT(*) FROM t_admin"); n != 1 {
		t.Fatalf("%d accounts", n)
	}
	// With an account, the link is gone: no setup token is kept or logged.
	p = tests.Run(t, bin, db, tests.ConfigFile(t, nil))
	if resp, err := http.Get("http://" + p.Addr + path); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("old link after an account exists: %v %v", err, resp)
	}
	p.Cmd.Process.Kill()
	<-p.Exited
	if strings.Contains(p.Stderr.String(), "/admin/setup") {
		t.Fatalf("setup link logged with an account:\n%s", p.Stderr)
	}
}

// queryQuiet reads one string from the SQLite file ("" when absent).
func queryQuiet(db, q string) string {
	conn, err := sql.Open("sqlite3", "file:"+db+"?mode=ro&_busy_timeout=1000")
	if err != nil {
		return ""
	}
	defer conn.Close()
	var v string
	conn.QueryRow(q).Scan(&v)
	return v
}

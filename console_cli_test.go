package main_test

import (
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
	var link string
	for deadline := time.Now().Add(5 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		link = regexp.MustCompile(`http://[^"]+/admin/setup\?token=[0-9a-f]{32}`).FindString(p.Stderr.String())
	}
	if link == "" {
		t.Fatalf("no setup link in the start-up log:\n%s", p.Stderr)
	}
	path := link[strings.Index(link, "/admin/"):]
	u := "http://" + p.Addr + path
	resp, err := http.Get(u)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("setup link %s: %v %v", u, err, resp)
	}
	resp.Body.Close()
	p.Cmd.Process.Kill()
	<-p.Exited

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
	if strings.Contains(p.Stderr.String(), "/admin/setup") {
		t.Fatalf("setup link logged with an account:\n%s", p.Stderr)
	}
}

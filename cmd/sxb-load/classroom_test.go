package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A small class against the real server stack in this process: every
// phase reported, nothing failed, and the server's CPU divided by the
// class's requests (the figure) — the enters, leaves, lists and
// heartbeats of every phase, not the setup's logins.
func TestClassroomReportsCPUPerRequest(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(cfg, []byte(`{"hash_cost":4}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := parseFlags([]string{"-mode", "classroom", "-serve", filepath.Join(dir, "class.db"), "-serve-config", cfg,
		"-rooms", "2", "-students", "3", "-d", "1s", "-ramp", "300ms", "-hb", "200ms", "-list-every", "400ms",
		"-pid", strconv.Itoa(os.Getpid())})
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	rep, err := run(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int64{}
	var hbs int64
	for _, p := range rep.Phases {
		for _, c := range p.Commands {
			if c.Errors != 0 {
				t.Errorf("%s, %s: %d errors %v", p.Name, c.Name, c.Errors, c.ErrKinds)
			}
			switch {
			case strings.HasPrefix(p.Name, "whole run"):
				count[c.Name] = c.Count
			case c.Name == "heartbeat":
				hbs += c.Count
			}
		}
	}
	if count["reportmemid enter"] != 6 || count["leave (reportmemid 1, exitroom)"] != 8 {
		t.Fatalf("whole run: %v, want 6 enters and 8 leaves", count)
	}
	want := hbs
	for _, n := range count {
		want += n
	}
	if hbs == 0 || rep.Requests != want {
		t.Fatalf("requests %d, want %d (heartbeats %d, commands %v)", rep.Requests, want, hbs, count)
	}
	if rep.ServerCPU <= 0 || rep.CPUPerReq != 1e6*rep.ServerCPU/float64(rep.Requests) {
		t.Fatalf("server CPU %.3f s, %.1f µs a request over %d", rep.ServerCPU, rep.CPUPerReq, rep.Requests)
	}
	var out bytes.Buffer
	rep.print(&out)
	if !strings.Contains(out.String(), "server CPU per classroom request: ") {
		t.Fatalf("report without the CPU per request:\n%s", out.String())
	}
}

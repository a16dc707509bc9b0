package main_test

// Faults on the real binary: SIGKILL in the middle of a stream of writes,
// and a graceful SIGTERM.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sxb-edu/tests"
)

// Every write the server acknowledged (errorCode 0 received) survives a
// SIGKILL in the middle of a stream of writes.
func TestHardKillMidStreamKeepsAcknowledgedWrites(t *testing.T) {
	bin := tests.Build(t)
	db := filepath.Join(t.TempDir(), "sxb.db")
	config := tests.ConfigFile(t, nil)
	p := tests.Run(t, bin, db, config)

	type acked struct {
		accounts []string
		rooms    map[int64]string // room -> title
		binds    []string         // urls
	}
	const workers = 6
	results := make([]acked, workers)
	tokens := make([]string, workers)
	for w := range tokens {
		id := fmt.Sprintf("teacher%d", w)
		p.MustCall("regist", tests.M{"id": id, "pwd": "pw", "role": 1})
		tokens[w] = p.Login(id, "pw")
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			a := &results[w]
			a.rooms = map[int64]string{}
			for i := 0; ; i++ {
				var code int
				var data json.RawMessage
				var ok bool
				op := i % 3
				if op == 2 && len(a.binds) >= 200 {
					op = 0 // a library holds 200 files (svc's maxBindsPerPlace)
				}
				switch op {
				case 0:
					id := fmt.Sprintf("u%d-%d", w, i)
					if code, _, ok = p.Call("regist", tests.M{"id": id, "pwd": "pw", "role": 0}); ok && code == 0 {
						a.accounts = append(a.accounts, id)
					}
				case 1:
					title := fmt.Sprintf("room %d-%d", w, i)
					code, data, ok = p.Call("create", tests.M{"token": tokens[w], "title": title})
					var rd struct{ RoomNum int64 }
					if ok && code == 0 && json.Unmarshal(data, &rd) == nil && rd.RoomNum > 0 {
						a.rooms[rd.RoomNum] = title
					}
				case 2:
					url := fmt.Sprintf("http://files/%d/%d", w, i)
					if code, _, ok = p.Call("reportbind", tests.M{"token": tokens[w], "operate": 0,
						"bind_file": tests.M{"type": 1, "file_name": "f", "url": url}}); ok && code == 0 {
						a.binds = append(a.binds, url)
					}
				}
				if !ok {
					return // the server is gone
				}
				if code != 0 {
					t.Errorf("worker %d: errorCode %d while the server was up", w, code)
					return
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.Exited
	wg.Wait()

	var nAcc, nRoom, nBind int
	for _, a := range results {
		nAcc += len(a.accounts)
		nRoom += len(a.rooms)
		nBind += len(a.binds)
	}
	if nAcc < 20 || nRoom < 20 || nBind < 20 {
		t.Fatalf("too few writes before the kill to mean anything: %d accounts, %d rooms, %d binds", nAcc, nRoom, nBind)
	}
	t.Logf("acknowledged before SIGKILL: %d accounts, %d rooms, %d binds", nAcc, nRoom, nBind)

	// Restart on the same file, then check every acknowledged write.
	p = tests.Run(t, bin, db, config)
	for _, a := range results {
		for _, id := range a.accounts {
			if n := tests.QueryInt(t, db, "SELECT count(*) FROM t_account WHERE uid = ? COLLATE BINARY", id); n != 1 {
				t.Errorf("acknowledged account %s lost", id)
			}
		}
		for room, title := range a.rooms {
			if n := tests.QueryInt(t, db, "SELECT count(*) FROM t_course WHERE room_id = ? AND title = ? AND im_group_id = ?",
				room, title, fmt.Sprint(room)); n != 1 {
				t.Errorf("acknowledged room %d (%s) lost", room, title)
			}
		}
		for _, url := range a.binds {
			if n := tests.QueryInt(t, db, "SELECT count(*) FROM t_bind_file WHERE url = ?", url); n != 1 {
				t.Errorf("acknowledged bind %s lost", url)
			}
		}
	}
	// No half-made room (its group is set in the same transaction).
	if n := tests.QueryInt(t, db, "SELECT count(*) FROM t_course WHERE im_group_id != CAST(room_id AS TEXT)"); n != 0 {
		t.Errorf("%d rooms half written", n)
	}
	// The restarted server serves them.
	last := results[0].accounts[len(results[0].accounts)-1]
	p.Login(last, "pw")
	tok := p.Login("teacher1", "pw")
	for room := range results[1].rooms {
		var rl struct{ Total int64 }
		json.Unmarshal(p.MustCall("roomlist", tests.M{"token": tok, "index": 0, "size": 10, "roomnum": room}), &rl)
		if rl.Total != 1 {
			t.Errorf("roomlist of acknowledged room %d: total %d", room, rl.Total)
		}
		break
	}
	var bl struct{ Total int64 }
	json.Unmarshal(p.MustCall("querybind", tests.M{"token": tok, "index": 0, "size": 1}), &bl)
	if bl.Total < int64(len(results[1].binds)) {
		t.Errorf("querybind after restart: %d binds, %d acknowledged", bl.Total, len(results[1].binds))
	}
}

// SIGTERM lets a request in flight finish and writes the heartbeats held
// in memory before the process exits.
func TestHardSigtermFinishesRequestsAndFlushes(t *testing.T) {
	bin := tests.Build(t)
	db := filepath.Join(t.TempDir(), "sxb.db")
	// Heartbeats would otherwise be written within a second.
	p := tests.Run(t, bin, db, tests.ConfigFile(t, tests.M{"flush_interval_ms": 600000}))
	p.MustCall("regist", tests.M{"id": "teach", "pwd": "pw", "role": 1})
	p.MustCall("regist", tests.M{"id": "stud", "pwd": "pw", "role": 0})
	teacher, student := p.Login("teach", "pw"), p.Login("stud", "pw")
	var rd struct{ RoomNum int64 }
	json.Unmarshal(p.MustCall("create", tests.M{"token": teacher, "title": "t"}), &rd)
	p.MustCall("startcourse", tests.M{"token": teacher, "roomnum": rd.RoomNum})
	p.MustCall("reportmemid", tests.M{"token": student, "roomnum": rd.RoomNum, "operate": 0})
	entered := tests.QueryInt(t, db, "SELECT last_heartbeat_time FROM t_class_member WHERE room_id = ? AND uin = (SELECT uin FROM t_account WHERE uid = 'stud')", rd.RoomNum)

	// Heartbeat in a later second than the entry.
	time.Sleep(time.Until(time.Unix(entered+1, 0)) + 50*time.Millisecond)
	p.MustCall("heartbeat", tests.M{"token": student, "roomnum": rd.RoomNum})
	p.MustCall("heartbeat", tests.M{"token": teacher, "roomnum": rd.RoomNum})
	beat := time.Now().Unix()
	memberQ := "SELECT last_heartbeat_time FROM t_class_member WHERE room_id = ? AND uin = (SELECT uin FROM t_account WHERE uid = 'stud')"
	if got := tests.QueryInt(t, db, memberQ, rd.RoomNum); got != entered {
		t.Fatalf("heartbeat written at once (%d), the test needs it held in memory", got)
	}

	// A request in flight: headers and half the body sent.
	body := `{"appid":1400000001,"timeStamp":1,"id":"late","pwd":"pw","role":0}`
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /index.php?svc=account&cmd=regist HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:20])
	time.Sleep(200 * time.Millisecond) // the server is in the handler, reading the body

	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case <-p.Exited:
		t.Fatalf("exited with a request in flight\n%s", p.Stderr)
	default:
	}
	if _, err := io.WriteString(c, body[20:]); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to the request in flight: %v\n%s", err, p.Stderr)
	}
	raw, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(raw), `"errorCode":0`) {
		t.Fatalf("request in flight answered %s", raw)
	}
	select {
	case <-p.Exited:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
	if p.Err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", p.Err, p.Stderr)
	}
	if got := tests.QueryInt(t, db, memberQ, rd.RoomNum); got <= entered || got > beat {
		t.Fatalf("member heartbeat %d after shutdown, want the heartbeat at %d", got, beat)
	}
	if got := tests.QueryInt(t, db, "SELECT last_update_time FROM t_course WHERE room_id = ?", rd.RoomNum); got <= entered || got > beat {
		t.Fatalf("room heartbeat %d after shutdown, want %d", got, beat)
	}
	if n := tests.QueryInt(t, db, "SELECT count(*) FROM t_account WHERE uid = 'late'"); n != 1 {
		t.Fatal("the request in flight was not stored")
	}
	// The log says what was loaded and is on at start, and what the stop
	// wrote: two members' heartbeats and the room's.
	log := p.Stderr.String()
	for _, want := range []string{`"config":"[^"]*/config\.json"`, `"callback_signing":false`, `"im":false`,
		`"msg":"stopped","heartbeats_flushed":3`} {
		if !regexp.MustCompile(want).MatchString(log) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

// A client that holds a request past the shutdown timeout does not hold
// the stop forever: the server exits, with an error that says so, and the
// heartbeats held in memory are still written.
func TestHardSigtermDeadline(t *testing.T) {
	bin := tests.Build(t)
	db := filepath.Join(t.TempDir(), "sxb.db")
	p := tests.Run(t, bin, db, tests.ConfigFile(t, tests.M{"shutdown_timeout_s": 1}))
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /index.php?svc=account&cmd=regist HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a")
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM with a 1-s shutdown timeout")
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("exited after %v, before the shutdown timeout", d)
	}
	var ee *exec.ExitError
	if !errors.As(p.Err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("exit %v: the expired deadline is not in the exit code\n%s", p.Err, p.Stderr)
	}
	if !strings.Contains(p.Stderr.String(), "requests still running at the deadline") {
		t.Fatalf("the log does not say why:\n%s", p.Stderr)
	}
}

// The command line: -h and -version exit 0, stray arguments and a
// configuration with an unknown key are refused, naming what is wrong.
func TestCommandLine(t *testing.T) {
	bin := tests.Build(t)
	run := func(args ...string) (string, int) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := run("-h"); code != 0 || !strings.Contains(out, "Usage: sxb-edu") || !strings.Contains(out, "-db") {
		t.Fatalf("-h: exit %d\n%s", code, out)
	}
	if out, code := run("-version"); code != 0 || !strings.HasPrefix(out, "sxb-edu ") {
		t.Fatalf("-version: exit %d\n%s", code, out)
	}
	if out, code := run("serve"); code == 0 || !strings.Contains(out, `unexpected argument \"serve\"`) {
		t.Fatalf("stray argument: exit %d\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"callbak_key":"k"}`), 0o600)
	if out, code := run("-config", bad, "-db", filepath.Join(t.TempDir(), "x.db")); code == 0 || !strings.Contains(out, `unknown key \"callbak_key\"`) {
		t.Fatalf("unknown key: exit %d\n%s", code, out)
	}
	if out, code := run("-config", filepath.Join(t.TempDir(), "none.json")); code == 0 || !strings.Contains(out, "config: file") {
		t.Fatalf("missing config: exit %d\n%s", code, out)
	}
}

// At a low open-file limit the server keeps max_connections inside it,
// says so, and answers clients past it at once: health checks never hang.
func TestOpenFileLimit(t *testing.T) {
	bin := tests.Build(t)
	p := tests.RunLimited(t, bin, filepath.Join(t.TempDir(), "sxb.db"), tests.ConfigFile(t, nil), 200)
	var conns []net.Conn
	for range 72 {
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// A new connection: the start-up probe's kept-alive one (already
	// served, under the cap) would answer 200.
	quick := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := quick.Get("http://" + p.Addr + "/healthz")
	if err != nil {
		t.Fatalf("a health check past the cap hung: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("past the cap: HTTP %d", resp.StatusCode)
	}
	for _, c := range conns {
		c.Close()
	}
	// The log is read once the process is gone (its writer is another
	// goroutine).
	p.Cmd.Process.Kill()
	<-p.Exited
	if !strings.Contains(p.Stderr.String(), "max_connections lowered to fit the open-file limit") ||
		!strings.Contains(p.Stderr.String(), `"max_connections":72`) {
		t.Fatalf("no word of the limit:\n%s", p.Stderr)
	}
}

// Without VCS stamping the version set at build time is printed, not
// "(devel)".
func TestVersionSetAtBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sxb-edu")
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X main.buildVersion=v9.8.7", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "v9.8.7") || strings.Contains(string(out), "(devel)") {
		t.Fatalf("-version: %v %s", err, out)
	}
}

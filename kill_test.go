package main

// Faults on the real binary: SIGKILL in the middle of a stream of writes,
// and a graceful SIGTERM.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hdProc is the server binary running as a child process.
type hdProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string
	db     string
	stderr *bytes.Buffer
	exited chan struct{}
	err    error
}

// hdBuild builds the server binary into a temporary directory.
func hdBuild(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "sxb-edu")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// hdConfig writes a config file for the binary and returns its path.
func hdConfig(t *testing.T, extra M) string {
	cfg := M{"apps": []M{{"sdkappid": AppA, "key": KeyA}}, "hash_cost": 4}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func hdFreeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hdRun starts the binary and waits until /healthz answers 200.
func hdRun(t *testing.T, bin, db, config string) *hdProc {
	t.Helper()
	p := &hdProc{t: t, addr: hdFreeAddr(t), db: db, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "-addr", p.addr, "-db", db, "-config", config)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("server exited: %v\n%s", p.err, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy after 15 s\n%s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var hdClient = &http.Client{Timeout: 10 * time.Second}

// call posts a command; ok is false when no answer came (the server died).
func (p *hdProc) call(cmd string, f M) (code int, data json.RawMessage, ok bool) {
	f["appid"], f["timeStamp"] = AppA, time.Now().Unix()
	b, _ := json.Marshal(f)
	svcName := "live"
	if cmd == "regist" || cmd == "login" || cmd == "logout" {
		svcName = "account"
	}
	resp, err := hdClient.Post("http://"+p.addr+"/index.php?svc="+svcName+"&cmd="+cmd, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, nil, false
	}
	defer resp.Body.Close()
	var env struct {
		ErrorCode int
		Data      json.RawMessage
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return 0, nil, false
	}
	return env.ErrorCode, env.Data, true
}

func (p *hdProc) mustCall(cmd string, f M) json.RawMessage {
	p.t.Helper()
	code, data, ok := p.call(cmd, f)
	if !ok || code != 0 {
		p.t.Fatalf("%s: answered %v, errorCode %d %s\n%s", cmd, ok, code, data, p.stderr)
	}
	return data
}

func (p *hdProc) login(id, pwd string) string {
	p.t.Helper()
	var d LoginData
	json.Unmarshal(p.mustCall("login", M{"id": id, "pwd": pwd}), &d)
	return d.Token
}

// Every write the server acknowledged (errorCode 0 received) survives a
// SIGKILL in the middle of a stream of writes.
func TestHardKillMidStreamKeepsAcknowledgedWrites(t *testing.T) {
	bin := hdBuild(t)
	db := filepath.Join(t.TempDir(), "sxb.db")
	config := hdConfig(t, nil)
	p := hdRun(t, bin, db, config)

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
		p.mustCall("regist", M{"id": id, "pwd": "pw", "role": 1})
		tokens[w] = p.login(id, "pw")
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
				switch i % 3 {
				case 0:
					id := fmt.Sprintf("u%d-%d", w, i)
					if code, _, ok = p.call("regist", M{"id": id, "pwd": "pw", "role": 0}); ok && code == 0 {
						a.accounts = append(a.accounts, id)
					}
				case 1:
					title := fmt.Sprintf("room %d-%d", w, i)
					code, data, ok = p.call("create", M{"token": tokens[w], "title": title})
					var rd struct{ RoomNum int64 }
					if ok && code == 0 && json.Unmarshal(data, &rd) == nil && rd.RoomNum > 0 {
						a.rooms[rd.RoomNum] = title
					}
				case 2:
					url := fmt.Sprintf("http://files/%d/%d", w, i)
					if code, _, ok = p.call("reportbind", M{"token": tokens[w], "operate": 0,
						"bind_file": M{"type": 1, "file_name": "f", "url": url}}); ok && code == 0 {
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
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
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
	p = hdRun(t, bin, db, config)
	for _, a := range results {
		for _, id := range a.accounts {
			if n := hdQueryInt(t, db, "SELECT count(*) FROM t_account WHERE uid = ? COLLATE BINARY", id); n != 1 {
				t.Errorf("acknowledged account %s lost", id)
			}
		}
		for room, title := range a.rooms {
			if n := hdQueryInt(t, db, "SELECT count(*) FROM t_course WHERE room_id = ? AND title = ? AND im_group_id = ?",
				room, title, fmt.Sprint(room)); n != 1 {
				t.Errorf("acknowledged room %d (%s) lost", room, title)
			}
		}
		for _, url := range a.binds {
			if n := hdQueryInt(t, db, "SELECT count(*) FROM t_bind_file WHERE url = ?", url); n != 1 {
				t.Errorf("acknowledged bind %s lost", url)
			}
		}
	}
	// No half-made room (its group is set in the same transaction).
	if n := hdQueryInt(t, db, "SELECT count(*) FROM t_course WHERE im_group_id != CAST(room_id AS TEXT)"); n != 0 {
		t.Errorf("%d rooms half written", n)
	}
	// The restarted server serves them.
	last := results[0].accounts[len(results[0].accounts)-1]
	p.login(last, "pw")
	tok := p.login("teacher1", "pw")
	for room := range results[1].rooms {
		var rl struct{ Total int64 }
		json.Unmarshal(p.mustCall("roomlist", M{"token": tok, "index": 0, "size": 10, "roomnum": room}), &rl)
		if rl.Total != 1 {
			t.Errorf("roomlist of acknowledged room %d: total %d", room, rl.Total)
		}
		break
	}
	var bl struct{ Total int64 }
	json.Unmarshal(p.mustCall("querybind", M{"token": tok, "index": 0, "size": 1}), &bl)
	if bl.Total < int64(len(results[1].binds)) {
		t.Errorf("querybind after restart: %d binds, %d acknowledged", bl.Total, len(results[1].binds))
	}
}

// SIGTERM lets a request in flight finish and writes the heartbeats held
// in memory before the process exits.
func TestHardSigtermFinishesRequestsAndFlushes(t *testing.T) {
	bin := hdBuild(t)
	db := filepath.Join(t.TempDir(), "sxb.db")
	// Heartbeats would otherwise be written within a second.
	p := hdRun(t, bin, db, hdConfig(t, M{"flush_interval_ms": 600000}))
	p.mustCall("regist", M{"id": "teach", "pwd": "pw", "role": 1})
	p.mustCall("regist", M{"id": "stud", "pwd": "pw", "role": 0})
	teacher, student := p.login("teach", "pw"), p.login("stud", "pw")
	var rd struct{ RoomNum int64 }
	json.Unmarshal(p.mustCall("create", M{"token": teacher, "title": "t"}), &rd)
	p.mustCall("startcourse", M{"token": teacher, "roomnum": rd.RoomNum})
	p.mustCall("reportmemid", M{"token": student, "roomnum": rd.RoomNum, "operate": 0})
	entered := hdQueryInt(t, db, "SELECT last_heartbeat_time FROM t_class_member WHERE room_id = ? AND uin = (SELECT uin FROM t_account WHERE uid = 'stud')", rd.RoomNum)

	// Heartbeat in a later second than the entry.
	time.Sleep(time.Until(time.Unix(entered+1, 0)) + 50*time.Millisecond)
	p.mustCall("heartbeat", M{"token": student, "roomnum": rd.RoomNum})
	p.mustCall("heartbeat", M{"token": teacher, "roomnum": rd.RoomNum})
	beat := time.Now().Unix()
	memberQ := "SELECT last_heartbeat_time FROM t_class_member WHERE room_id = ? AND uin = (SELECT uin FROM t_account WHERE uid = 'stud')"
	if got := hdQueryInt(t, db, memberQ, rd.RoomNum); got != entered {
		t.Fatalf("heartbeat written at once (%d), the test needs it held in memory", got)
	}

	// A request in flight: headers and half the body sent.
	body := `{"appid":1400000001,"timeStamp":1,"id":"late","pwd":"pw","role":0}`
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /index.php?svc=account&cmd=regist HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:20])
	time.Sleep(200 * time.Millisecond) // the server is in the handler, reading the body

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case <-p.exited:
		t.Fatalf("exited with a request in flight\n%s", p.stderr)
	default:
	}
	if _, err := io.WriteString(c, body[20:]); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to the request in flight: %v\n%s", err, p.stderr)
	}
	raw, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(raw), `"errorCode":0`) {
		t.Fatalf("request in flight answered %s", raw)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", p.err, p.stderr)
	}
	if got := hdQueryInt(t, db, memberQ, rd.RoomNum); got <= entered || got > beat {
		t.Fatalf("member heartbeat %d after shutdown, want the heartbeat at %d", got, beat)
	}
	if got := hdQueryInt(t, db, "SELECT last_update_time FROM t_course WHERE room_id = ?", rd.RoomNum); got <= entered || got > beat {
		t.Fatalf("room heartbeat %d after shutdown, want %d", got, beat)
	}
	if n := hdQueryInt(t, db, "SELECT count(*) FROM t_account WHERE uid = 'late'"); n != 1 {
		t.Fatal("the request in flight was not stored")
	}
}

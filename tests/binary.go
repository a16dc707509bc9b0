package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Proc is the server binary running as a child process.
type Proc struct {
	t      testing.TB
	Cmd    *exec.Cmd
	Addr   string
	DB     string
	Stderr *bytes.Buffer // the server's log
	Exited chan struct{} // closed when the process ended
	Err    error         // its exit error, once Exited is closed
}

// Build builds the server binary (module sxb-edu) into a temporary
// directory; skipped with -short.
func Build(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "sxb-edu")
	out, err := exec.Command("go", "build", "-o", bin, "sxb-edu").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ConfigFile writes a config file for the binary and returns its path.
func ConfigFile(t testing.TB, extra M) string {
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

// FreeAddr is a loopback address with a port free at the time of asking.
func FreeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Run starts the binary and waits until /healthz answers 200.
func Run(t testing.TB, bin, db, config string) *Proc {
	t.Helper()
	return RunLimited(t, bin, db, config, 0)
}

// RunLimited is Run with the open-file limit (soft and hard) at nofile
// (0: as inherited).
func RunLimited(t testing.TB, bin, db, config string, nofile int) *Proc {
	t.Helper()
	p := &Proc{t: t, Addr: FreeAddr(t), DB: db, Stderr: &bytes.Buffer{}, Exited: make(chan struct{})}
	p.Cmd = exec.Command(bin, "-addr", p.Addr, "-db", db, "-config", config)
	if nofile > 0 {
		p.Cmd = exec.Command("sh", "-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, nofile),
			bin, "-addr", p.Addr, "-db", db, "-config", config)
	}
	p.Cmd.Stderr = p.Stderr
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Err = p.Cmd.Wait(); close(p.Exited) }()
	t.Cleanup(func() {
		select {
		case <-p.Exited:
		default:
			p.Cmd.Process.Kill()
			<-p.Exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + p.Addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.Exited:
			t.Fatalf("server exited: %v\n%s", p.Err, p.Stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy after 15 s\n%s", p.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var procClient = &http.Client{Timeout: 10 * time.Second}

// Call posts a command as app A; ok is false when no answer came (the
// server died).
func (p *Proc) Call(cmd string, f M) (code int, data json.RawMessage, ok bool) {
	f["appid"], f["timeStamp"] = AppA, time.Now().Unix()
	b, _ := json.Marshal(f)
	svcName := "live"
	if cmd == "regist" || cmd == "login" || cmd == "logout" {
		svcName = "account"
	}
	resp, err := procClient.Post("http://"+p.Addr+"/index.php?svc="+svcName+"&cmd="+cmd, "application/json", bytes.NewReader(b))
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

// MustCall is Call that requires errorCode 0.
func (p *Proc) MustCall(cmd string, f M) json.RawMessage {
	p.t.Helper()
	code, data, ok := p.Call(cmd, f)
	if !ok || code != 0 {
		p.t.Fatalf("%s: answered %v, errorCode %d %s\n%s", cmd, ok, code, data, p.Stderr)
	}
	return data
}

// Login logs in and returns the token.
func (p *Proc) Login(id, pwd string) string {
	p.t.Helper()
	var d LoginData
	json.Unmarshal(p.MustCall("login", M{"id": id, "pwd": pwd}), &d)
	return d.Token
}

// WaitCaching waits until p, one of several servers on a database, has
// joined their group and uses its caches (its /healthz says so).
func WaitCaching(t testing.TB, p *Proc) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var h struct{ Caches string }
		if resp, err := http.Get("http://" + p.Addr + "/healthz"); err == nil {
			json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
		}
		if h.Caches == "on" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s never started using its caches\n%s", p.Addr, p.Stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

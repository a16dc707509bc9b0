package server_test

// Hardening (issue 4): limits, slow clients, login rate limits, callback
// signatures, the once-only replay index, secrets kept out of logs, a
// locked database, /healthz and /metrics.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// hdEndedRoom makes a class that started and ended; it returns the room.
func hdEndedRoom(t *testing.T, h *tests.Env, teacher string) int64 {
	t.Helper()
	var rd struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "c"}).Want(t, 0).Decode(t, &rd)
	h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, teacher, "live", "exitroom", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	return rd.RoomNum
}

func TestHardFieldLengthLimits(t *testing.T) {
	h := tests.New(t, nil)
	// id: 50 bytes is the most; longer is refused whole, never cut.
	id50 := strings.Repeat("a", 50)
	h.Regist(tests.AppA, id50, "pw", 1)
	h.Login(tests.AppA, id50, "pw")
	before := tests.Digest(t, h.DBPath)
	for _, id := range []string{strings.Repeat("b", 51), strings.Repeat("語", 17)} { // 51 bytes each
		h.Call(tests.AppA, "", "account", "regist", tests.M{"id": id, "pwd": "pw", "role": 1}).Want(t, svc.CodeReqData)
		h.Call(tests.AppA, "", "account", "login", tests.M{"id": id[:50], "pwd": "pw"}).Want(t, svc.CodeUserNotExist)
	}
	if tests.Digest(t, h.DBPath) != before {
		t.Fatal("a refused regist changed the database")
	}

	tok := h.Login(tests.AppA, id50, "pw").Token
	for _, c := range []struct {
		field string
		max   int
	}{{"title", 128}, {"cover", 128}} {
		f := tests.M{"title": "t", c.field: strings.Repeat("x", c.max)}
		var rd struct{ RoomNum int64 }
		h.Call(tests.AppA, tok, "live", "create", f).Want(t, 0).Decode(t, &rd)
		col := map[string]string{"title": "title", "cover": "cover"}[c.field]
		if n := tests.QueryInt(t, h.DBPath, "SELECT length("+col+") FROM t_course WHERE room_id = ?", rd.RoomNum); n != int64(c.max) {
			t.Fatalf("%s stored with %d bytes, want %d", c.field, n, c.max)
		}
		before := tests.Digest(t, h.DBPath)
		f[c.field] = strings.Repeat("x", c.max+1)
		h.Call(tests.AppA, tok, "live", "create", f).Want(t, svc.CodeReqData)
		if tests.Digest(t, h.DBPath) != before {
			t.Fatalf("a refused create (%s too long) changed the database", c.field)
		}
	}

	bind := func(name string) tests.Answer {
		return h.Call(tests.AppA, tok, "live", "reportbind", tests.M{"operate": 0,
			"bind_file": tests.M{"type": 0, "file_name": name, "url": "http://x/" + strconv.Itoa(len(name))}})
	}
	bind(strings.Repeat("n", 256)).Want(t, 0)
	before = tests.Digest(t, h.DBPath)
	bind(strings.Repeat("n", 257)).Want(t, svc.CodeReqData)
	if tests.Digest(t, h.DBPath) != before {
		t.Fatal("a refused reportbind changed the database")
	}
	if n := tests.QueryInt(t, h.DBPath, "SELECT max(length(file_name)) FROM t_bind_file"); n != 256 {
		t.Fatalf("longest file_name stored: %d bytes", n)
	}

	// url: 4096 bytes at most.
	bindURL := func(url string) tests.Answer {
		return h.Call(tests.AppA, tok, "live", "reportbind", tests.M{"operate": 0,
			"bind_file": tests.M{"type": 0, "file_name": "f", "url": url}})
	}
	long := "http://x/" + strings.Repeat("u", 4096-len("http://x/"))
	bindURL(long).Want(t, 0)
	before = tests.Digest(t, h.DBPath)
	bindURL(long+"u").WantInfo(t, svc.CodeReqData, "invalide bindfile.url")
	if tests.Digest(t, h.DBPath) != before {
		t.Fatal("a refused reportbind changed the database")
	}
}

// A user binds at most 200 files to one place; the next is refused and
// changes nothing, and other places still take files.
func TestHardBindLimits(t *testing.T) {
	h := tests.New(t, nil)
	tok := h.User(tests.AppA, "hoarder", 1)
	bind := func(room int64, i int) tests.Answer {
		return h.Call(tests.AppA, tok, "live", "reportbind", tests.M{"roomnum": room, "operate": 0,
			"bind_file": tests.M{"type": 0, "file_name": "f", "url": "http://x/" + strconv.Itoa(i)}})
	}
	var rd struct{ RoomNum int64 }
	h.Call(tests.AppA, tok, "live", "create", tests.M{"title": "t"}).Want(t, 0).Decode(t, &rd)
	for i := 0; i < 200; i++ {
		bind(rd.RoomNum, i).Want(t, 0)
	}
	before := tests.Digest(t, h.DBPath)
	a := bind(rd.RoomNum, 200).Want(t, svc.CodeReqData)
	if !strings.Contains(a.Info, "too many bound files") {
		t.Fatalf("errorInfo %q", a.Info)
	}
	if tests.Digest(t, h.DBPath) != before {
		t.Fatal("a refused binding changed the database")
	}
	bind(0, 200).Want(t, 0) // the library is another place
}

func TestHardBodyLimits(t *testing.T) {
	h := tests.New(t, nil)
	big := append([]byte(`{"appid":1400000001,"timeStamp":1,"id":"u","pwd":"`), bytes.Repeat([]byte("p"), 1<<20)...)
	big = append(big, `","role":0}`...)
	h.PostRaw("account", "regist", big).Want(t, svc.CodeInvalidReq)
	deep := func(n int) []byte {
		return []byte(`{"appid":1400000001,"timeStamp":1,"x":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`)
	}
	// The exact bound (PHP's depth 12) is the decoder's tests' business.
	h.PostRaw("account", "regist", deep(8)).WantInfo(t, svc.CodeReqData, "Lack of id")
	h.PostRaw("account", "regist", deep(20)).Want(t, svc.CodeReqJSON)
	h.PostRaw("account", "regist", []byte(strings.Repeat("[", 100000))).Want(t, svc.CodeReqJSON)
	if n := tests.QueryInt(t, h.DBPath, "SELECT count(*) FROM t_account"); n != 0 {
		t.Fatalf("%d accounts after refused bodies", n)
	}
}

func TestHardServerTimeoutsSet(t *testing.T) {
	srv := tests.New(t, nil).App.HTTP
	d := server.DefaultTimeouts
	if srv.ReadHeaderTimeout != d.Header || srv.ReadTimeout != d.Read || srv.WriteTimeout != d.Write ||
		srv.IdleTimeout != d.Idle || srv.MaxHeaderBytes <= 0 || d.Header <= 0 || d.Read <= 0 || d.Write <= 0 || d.Idle <= 0 {
		t.Fatalf("server.New leaves a timeout unset: %+v %+v", d, srv)
	}
}

// A client that sends its headers or its body a byte at a time is cut off
// by the server's timeouts instead of holding the connection.
func TestHardSlowClientCutOff(t *testing.T) {
	h := tests.NewWith(t, tests.Options{Timeouts: server.Timeouts{Header: 300 * time.Millisecond,
		Read: 600 * time.Millisecond, Write: time.Second, Idle: time.Second}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.App.Serve(ln)

	// The client drips a byte every 100 ms and gives up after 300 (30 s of
	// dripping): the server must close the connection first, without
	// running the command (a read cut off is answered 10001 at most).
	slow := func(what, head string, drip string) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		closed := make(chan []byte)
		go func() {
			got, _ := io.ReadAll(c) // returns when the server closes
			closed <- got
		}()
		for i := 0; i < 300; i++ {
			select {
			case got := <-closed:
				// A login that ran would answer 0, 10003 (no appid) or 10005.
				if a := string(got); strings.Contains(a, `"errorCode":0,`) || strings.Contains(a, "10003") || strings.Contains(a, "10005") {
					t.Fatalf("%s: the dripped request was run: %q", what, got)
				}
				return
			case <-time.After(100 * time.Millisecond):
			}
			c.Write([]byte{drip[i%len(drip)]})
		}
		t.Fatalf("%s: the server kept the connection through 300 dripped bytes", what)
	}
	slow("slow headers", "POST /index.php?svc=account&cmd=login HTTP/1.1\r\nHost: x\r\n", "X-Slow: aaaa")
	slow("slow body", "POST /index.php?svc=account&cmd=login HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", `{"a":1}`)
}

func TestHardLoginRateLimit(t *testing.T) {
	h := tests.New(t, nil)
	h.Regist(tests.AppA, "alice", "right", 0)
	h.Regist(tests.AppA, "bob", "right", 0)
	direct := func(id, pwd string) tests.Answer {
		return h.Call(tests.AppA, "", "account", "login", tests.M{"id": id, "pwd": pwd})
	}
	// Loopback clients (the operator's tools, a local proxy not named in
	// trusted_proxies) are never limited.
	for i := 0; i < 2*svc.LoginFailuresPerAddr; i++ {
		direct(fmt.Sprintf("ghost%d", i), "x").WantInfo(t, svc.CodeUserNotExist, "User not exist")
	}
	for i := 0; i < 2*svc.LoginFailuresPerID; i++ {
		direct("alice", "wrong").WantInfo(t, svc.CodePassword, "User password error")
	}
	direct("alice", "right").Want(t, 0)

	// Behind a trusted local proxy the clients are told apart and limited.
	h = tests.New(t, func(c *server.Config) { c.TrustedProxies = []string{"127.0.0.0/8", "::1"} })
	h.Regist(tests.AppA, "alice", "right", 0)
	h.Regist(tests.AppA, "bob", "right", 0)
	post := func(hdr, id, pwd string) tests.Answer {
		return h.CallFrom(tests.Forwarded(hdr), tests.AppA, "", "account", "login", tests.M{"id": id, "pwd": pwd})
	}
	const client = "203.0.113.1"
	login := func(id, pwd string) tests.Answer { return post(client, id, pwd) }
	// Correct logins are never counted, however many.
	for i := 0; i < 3*svc.LoginFailuresPerAddr; i++ {
		login("bob", "right").Want(t, 0)
	}
	// Failures of one id: after the limit even the right password waits.
	for i := 0; i < svc.LoginFailuresPerID; i++ {
		login("alice", "wrong").Want(t, svc.CodePassword)
	}
	a := login("alice", "right").Want(t, svc.CodePassword)
	if !strings.Contains(a.Info, "retry later") {
		t.Fatalf("limited login says %q", a.Info)
	}
	login("bob", "right").Want(t, 0) // another id from the same address is fine
	h.Advance(svc.LoginWindow - time.Second)
	login("alice", "right").Want(t, svc.CodePassword)
	h.Advance(2 * time.Second)
	login("alice", "right").Want(t, 0) // the window passed
	// A success forgot alice's failures: a few more do not block her.
	for i := 0; i < svc.LoginFailuresPerID-1; i++ {
		login("alice", "wrong").Want(t, svc.CodePassword)
	}
	login("alice", "right").Want(t, 0)

	// Failures of one address over many ids (unknown ids count too): past
	// the budget its unknown ids are refused, but a correct password still
	// gets in (no school-wide lockout behind one NAT address) and a wrong
	// one is answered late.
	h.Advance(svc.LoginWindow + time.Second)
	for i := 0; i < svc.LoginFailuresPerAddr; i++ {
		login(fmt.Sprintf("ghost%d", i), "x").WantInfo(t, svc.CodeUserNotExist, "User not exist")
	}
	if a := login("ghost-next", "x").Want(t, svc.CodePassword); !strings.Contains(a.Info, "Too many failed logins") {
		t.Fatalf("unknown id past the address budget: %q", a.Info)
	}
	login("bob", "right").Want(t, 0)
	login("alice", "right").Want(t, 0)
	t0 := time.Now()
	login("alice", "wrong").WantInfo(t, svc.CodePassword, "User password error")
	if d := time.Since(t0); d < 900*time.Millisecond {
		t.Fatalf("a wrong password past the address budget answered in %v", d)
	}
	// Which address a request is counted under: "ghost-next" is refused
	// where the limited client is named.
	for _, c := range []struct {
		hdr  string
		code int
	}{
		{"203.0.113.9", svc.CodeUserNotExist},            // another client
		{"203.0.113.9, 127.0.0.1", svc.CodeUserNotExist}, // proxies are skipped from the right
		{client + ", 127.0.0.1", svc.CodePassword},       // the limited client through two proxies
		{"junk, " + client, svc.CodePassword},            // hops beyond the client do not matter
		{"junk, 203.0.113.9, 127.0.0.1", svc.CodeUserNotExist},
		{"real:198.51.100.8", svc.CodeUserNotExist},            // X-Real-IP from a proxy
		{"real:" + client, svc.CodePassword},                   // names the limited address
		{"real:198.51.100.8, " + client, svc.CodeUserNotExist}, // garbled X-Real-IP: unknown client
	} {
		hdr := c.hdr
		if c.hdr == "real:198.51.100.8, "+client {
			hdr = "real:garbage"
		}
		post(hdr, "ghost-next", "x").Want(t, c.code)
	}
	// X-Real-IP set by the proxy wins over what the client put in
	// X-Forwarded-For.
	both := func(real, fwd string) tests.Answer {
		hdr := http.Header{"X-Real-Ip": {real}, "X-Forwarded-For": {fwd}}
		return h.CallFrom(hdr, tests.AppA, "", "account", "login", tests.M{"id": "ghost-next", "pwd": "x"})
	}
	both("198.51.100.8", client).Want(t, svc.CodeUserNotExist)
	both(client, "198.51.100.8").Want(t, svc.CodePassword)

	// Garbled or loopback client addresses behind a proxy are one unknown
	// client: limited like any other, never exempt like the loopback peer.
	h.Advance(svc.LoginWindow + time.Second)
	for i := 0; i < svc.LoginFailuresPerAddr; i++ {
		hdr := []string{"junk", "127.0.0.5", "real:::1", "real:not-an-ip", ""}[i%5]
		post(hdr, fmt.Sprintf("spray%d", i), "x").Want(t, svc.CodeUserNotExist)
	}
	post("127.0.0.9", "spray-next", "x").Want(t, svc.CodePassword)
	post("", "spray-next", "x").Want(t, svc.CodePassword)
	h.Advance(svc.LoginWindow + time.Second)
	login("ghost-next", "x").Want(t, svc.CodeUserNotExist)
}

// hdSign is a callback's t and sign for key, valid until t.
func hdSign(key string, t int64) (int64, string) {
	s := md5.Sum([]byte(key + strconv.FormatInt(t, 10)))
	return t, hex.EncodeToString(s[:])
}

func TestHardCallbackSignature(t *testing.T) {
	const key = "callback-secret"
	h := tests.New(t, func(c *server.Config) { c.CallbackKey = key })
	teacher := h.User(tests.AppA, "teach", 1)
	room := hdEndedRoom(t, h, teacher)
	rec := func(tt int64, sign string) tests.M {
		return tests.M{"t": tt, "sign": sign, "event_type": 100, "stream_id": "s", "start_time": 1, "end_time": 2,
			"media_start_time": 3, "file_size": 4, "duration": 5, "video_id": "v", "video_url": "http://v",
			"stream_param": "groupid=" + strconv.FormatInt(room, 10) + "&userid=" + base64.StdEncoding.EncodeToString([]byte("teach"))}
	}
	idx := func(tt int64, sign string) tests.M {
		src, _ := json.Marshal(tests.M{"GroupId": strconv.FormatInt(room, 10)})
		return tests.M{"t": tt, "sign": sign, "SrcRequest": string(src), "ErrorCode": 0, "ErrorInfo": "",
			"ReplayIndex": tests.M{"FileUrl": "http://idx", "CreateTime": 7}}
	}
	future := h.Unix() + 600
	_, good := hdSign(key, future)
	past, pastSign := hdSign(key, h.Unix()-1)
	_, other := hdSign("other-key", future)
	before := tests.Digest(t, h.DBPath)
	for _, cmd := range []string{"reccall", "recendcall", "idxfileendcall"} {
		body := rec
		if cmd == "idxfileendcall" {
			body = idx
		}
		for _, b := range []tests.M{body(future, other), body(past, pastSign), body(future, ""), body(future+1, good)} {
			if a := h.Post("live", cmd, b); a.Status != http.StatusForbidden {
				t.Fatalf("%s with a bad signature: HTTP %d %s", cmd, a.Status, a.Raw)
			}
		}
		nosign := body(future, good)
		delete(nosign, "t")
		if a := h.Post("live", cmd, nosign); a.Status != http.StatusForbidden {
			t.Fatalf("%s without t: HTTP %d", cmd, a.Status)
		}
	}
	if tests.Digest(t, h.DBPath) != before {
		t.Fatal("a callback with a bad signature changed the database")
	}
	if a := h.Post("live", "reccall", rec(future, good)); a.Status != 200 || string(a.Raw) != `{"code":0}` {
		t.Fatalf("signed reccall: HTTP %d %s", a.Status, a.Raw)
	}
	if n := tests.QueryInt(t, h.DBPath, "SELECT count(*) FROM t_video_record WHERE room_id = ?", room); n != 1 {
		t.Fatalf("signed reccall stored %d recordings", n)
	}
	strSign := idx(future, strings.ToUpper(good))
	strSign["t"] = strconv.FormatInt(future, 10) // t may come as a string
	a := h.Post("live", "idxfileendcall", strSign)
	if a.Status != 200 || !strings.Contains(string(a.Raw), `"ErrorCode":0`) {
		t.Fatalf("signed idxfileendcall: HTTP %d %s", a.Status, a.Raw)
	}
	if st := tests.QueryInt(t, h.DBPath, "SELECT state FROM t_course WHERE room_id = ?", room); st != 3 {
		t.Fatalf("room state %d after the index callback", st)
	}
}

// However many makereplayidx calls race, the replay-index service is asked
// once per room.
func TestHardReplayIndexRequestedOnce(t *testing.T) {
	var hits atomic.Int64
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(50 * time.Millisecond) // widen the race window
		io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	}))
	defer fake.Close()
	h := tests.New(t, func(c *server.Config) { c.ReplayIndexURL = fake.URL })
	teacher := h.User(tests.AppA, "teach", 1)
	rooms := []int64{hdEndedRoom(t, h, teacher), hdEndedRoom(t, h, teacher)}
	h.Call(tests.AppA, "", "live", "makereplayidx", tests.M{"roomnum": rooms[0]}).Want(t, svc.CodeRoomState) // too early
	h.Advance(h.Svc.Cfg.ReplayIdxDelay + time.Second)

	const n = 20
	codes := make(chan int, 2*n)
	var wg sync.WaitGroup
	for i := 0; i < 2*n; i++ {
		wg.Add(1)
		go func(room int64) {
			defer wg.Done()
			b, _ := json.Marshal(tests.M{"appid": tests.AppA, "roomnum": room})
			resp, err := http.Post(h.URL("live", "makereplayidx"), "application/json", bytes.NewReader(b))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var env struct{ ErrorCode int }
			json.NewDecoder(resp.Body).Decode(&env)
			codes <- env.ErrorCode
		}(rooms[i%2])
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if hits.Load() != 2 || count[0] != 2 || count[svc.CodeRoomState] != 2*n-2 {
		t.Fatalf("%d index requests for 2 rooms; answers %v", hits.Load(), count)
	}
	// The scheduler finds nothing left to do either.
	if err := h.Svc.RequestDueIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 2 {
		t.Fatalf("the scheduler asked again: %d requests", hits.Load())
	}
}

// A whole session's log carries no password, token, userSig or signature.
func TestHardLogsCarryNoSecrets(t *testing.T) {
	const cbKey = "cb-key-secret"
	var imURL string
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	imURL = "http://" + dead.Addr().String()
	dead.Close() // IM calls fail at the transport: their errors are logged
	h := tests.New(t, func(c *server.Config) { c.CallbackKey = cbKey; c.IMBaseURL = imURL })
	const pwd = "Pa55-w0rd-unique"
	h.Regist(tests.AppA, "carol", pwd, 1)
	h.Call(tests.AppA, "", "account", "login", tests.M{"id": "carol", "pwd": "wrong-" + pwd}).Want(t, svc.CodePassword)
	ld := h.Login(tests.AppA, "carol", pwd)
	var rd struct{ RoomNum int64 }
	h.Call(tests.AppA, ld.Token, "live", "create", tests.M{"title": "x"}).Want(t, 0).Decode(t, &rd)
	h.Call(tests.AppA, ld.Token, "live", "startcourse", tests.M{"roomnum": rd.RoomNum}).Want(t, svc.CodeSendIM)
	h.Call(tests.AppA, ld.Token, "live", "heartbeat", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, ld.Token+"x", "live", "heartbeat", tests.M{"roomnum": rd.RoomNum}).Want(t, svc.CodeTokenExpire)
	tt, sign := hdSign(cbKey, h.Unix()+60)
	h.Post("live", "reccall", tests.M{"t": tt, "sign": sign, "event_type": 0, "stream_id": "s"})
	h.Post("live", "reccall", tests.M{"t": tt, "sign": sign + "0", "event_type": 0, "stream_id": "s"})
	h.Call(tests.AppA, "", "account", "logout", tests.M{"token": ld.Token}).Want(t, 0)
	h.Stop() // all requests logged
	logText := h.LogText()
	for _, secret := range []string{pwd, ld.Token, ld.UserSig, sign, cbKey, tests.KeyA, "usersig="} {
		if strings.Contains(logText, secret) {
			t.Fatalf("the log contains the secret %q:\n%s", secret, logText)
		}
	}
	// The log is the access log we want: one JSON line per request.
	var lines, logins int
	sc := bufio.NewScanner(strings.NewReader(logText))
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if e["msg"] == "request" {
			lines++
			for _, k := range []string{"front", "svc", "cmd", "code", "ms", "uid", "addr"} {
				if _, ok := e[k]; !ok {
					t.Fatalf("access log line without %s: %s", k, sc.Text())
				}
			}
			if e["cmd"] == "login" && e["uid"] == "carol" {
				logins++
			}
		}
	}
	if lines < 8 || logins != 2 {
		t.Fatalf("%d access log lines, %d logins of carol:\n%s", lines, logins, logText)
	}
}

// At the Info level the access log leaves out the routine successes a
// class repeats (heartbeat, roomlist, roomidlist), and keeps their
// failures and every other command.
func TestHardRoutineReadsLoggedAtDebug(t *testing.T) {
	h := tests.New(t, nil)
	h.Regist(tests.AppA, "teach", "pw-123456", 1)
	h.Regist(tests.AppA, "stud", "pw-123456", 0)
	teacher, student := h.Login(tests.AppA, "teach", "pw-123456").Token, h.Login(tests.AppA, "stud", "pw-123456").Token
	var rd struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "x"}).Want(t, 0).Decode(t, &rd)
	h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, student, "live", "reportmemid", tests.M{"roomnum": rd.RoomNum, "operate": 0}).Want(t, 0)
	for range 3 {
		h.Call(tests.AppA, student, "live", "heartbeat", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
		h.Call(tests.AppA, student, "live", "roomidlist", tests.M{"roomnum": rd.RoomNum, "index": 0, "size": 20}).Want(t, 0)
		h.Call(tests.AppA, teacher, "live", "roomlist", tests.M{"index": 0, "size": 20}).Want(t, 0)
	}
	h.Call(tests.AppA, "", "live", "roomidlist", tests.M{"roomnum": rd.RoomNum, "index": 0, "size": 20}).Want(t, svc.CodeReqData)
	h.Call(tests.AppA, student+"x", "live", "roomlist", tests.M{"index": 0, "size": 20}).Want(t, svc.CodeTokenExpire)
	h.Stop()
	got := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(h.LogText()))
	for sc.Scan() {
		var e struct{ Msg, Cmd string }
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Msg == "request" {
			got[e.Cmd]++
		}
	}
	want := map[string]int{"regist": 2, "login": 2, "create": 1, "startcourse": 1, "reportmemid": 1, "roomidlist": 1, "roomlist": 1}
	if !maps.Equal(got, want) {
		t.Fatalf("access log lines by command %v, want %v:\n%s", got, want, h.LogText())
	}
}

// A locked database gives 90000 answers and a 503 health check, never a
// crash, and the server recovers when the lock goes.
func TestHardLockedDatabase(t *testing.T) {
	h := tests.New(t, func(c *server.Config) { c.BusyTimeout = 200 * time.Millisecond })
	path, ts := h.DBPath, h.HTTP
	call := func(cmd string, f tests.M) (int, string) {
		b, _ := json.Marshal(f)
		resp, err := http.Post(ts.URL+"/index.php?svc=account&cmd="+cmd, "text/plain", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct {
			ErrorCode int
			ErrorInfo string
		}
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
			t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
		}
		return env.ErrorCode, env.ErrorInfo
	}
	health := func() int {
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	reg := func(id string) tests.M {
		return tests.M{"appid": tests.AppA, "timeStamp": 1, "id": id, "pwd": "pw", "role": 1}
	}
	if c, _ := call("regist", reg("before")); c != 0 || health() != 200 {
		t.Fatalf("regist %d before the lock", c)
	}

	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	code, info := call("regist", reg("during"))
	if code != svc.CodeServer {
		t.Fatalf("regist on a locked database: %d %q", code, info)
	}
	for _, bad := range []string{"SQL", "sql", "locked", "panic", "goroutine"} {
		if strings.Contains(info, bad) {
			t.Fatalf("errorInfo leaks %q: %q", bad, info)
		}
	}
	if c, _ := call("login", tests.M{"appid": tests.AppA, "timeStamp": 1, "id": "before", "pwd": "pw"}); c != svc.CodeServer {
		t.Fatalf("login (writes the token) on a locked database: %d", c)
	}
	if h := health(); h != http.StatusServiceUnavailable {
		t.Fatalf("healthz on a locked database: %d", h)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if c, _ := call("regist", reg("after")); c != 0 || health() != 200 {
		t.Fatalf("regist %d after the lock went", c)
	}
	if c, _ := call("login", tests.M{"appid": tests.AppA, "timeStamp": 1, "id": "during", "pwd": "pw"}); c != svc.CodeUserNotExist {
		t.Fatalf("the refused regist left an account: %d", c)
	}
	if log := h.LogText(); !strings.Contains(log, `"code":90000`) {
		t.Fatalf("90000 answers are not logged:\n%s", log)
	}
}

// hdMetric returns the value of the series named by line prefix in a
// Prometheus text exposition, -1 when absent.
func hdMetric(text, series string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(l, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

func TestHardHealthAndMetrics(t *testing.T) {
	h := tests.New(t, func(c *server.Config) { c.MemberTimeout = time.Minute })
	get := func(path string) (int, string) {
		resp, err := http.Get(h.HTTP.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if c, b := get("/healthz"); c != 200 || !strings.Contains(b, "ok") {
		t.Fatalf("healthz: %d %s", c, b)
	}
	teacher := h.User(tests.AppA, "teach", 1)
	s1 := h.User(tests.AppA, "s1", 0)
	s2 := h.User(tests.AppA, "s2", 0)
	h.Call(tests.AppA, "", "account", "login", tests.M{"id": "teach", "pwd": "bad"}).Want(t, svc.CodePassword)
	var rd struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "m"}).Want(t, 0).Decode(t, &rd)
	h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	for _, s := range []string{s1, s2} {
		h.Call(tests.AppA, s, "live", "reportmemid", tests.M{"roomnum": rd.RoomNum, "operate": 0}).Want(t, 0)
	}
	for i := 0; i < 5; i++ {
		h.Call(tests.AppA, s1, "live", "heartbeat", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	}
	h.PostRaw("nosuch", "thing", nil).Want(t, svc.CodeInvalidReq)
	h.PostRaw("nosuch2", "thing2", nil).Want(t, svc.CodeInvalidReq)

	c, m := get("/metrics")
	if c != 200 {
		t.Fatalf("metrics: HTTP %d", c)
	}
	want := map[string]float64{
		`sxb_requests_total{cmd="login",code="0",front="sxb",svc="account"}`:         3,
		`sxb_requests_total{cmd="login",code="10006",front="sxb",svc="account"}`:     1,
		`sxb_requests_total{cmd="heartbeat",code="0",front="sxb",svc="live"}`:        5,
		`sxb_requests_total{cmd="other",code="10001",front="sxb",svc="other"}`:       2,
		`sxb_request_duration_seconds_count{cmd="heartbeat",front="sxb",svc="live"}`: 5,
		`sxb_rooms_living`:    1,
		`sxb_members_present`: 3, // the teacher and two students
		`sxb_database_up`:     1,
		`sxb_reaper_actions_total{action="member_exited"}`: 0,
	}
	for series, v := range want {
		if got := hdMetric(m, series); got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
	if strings.Contains(m, "nosuch") {
		t.Error("unknown svc names became label values")
	}

	// The reaper's work shows: s2 goes silent, then the teacher.
	h.Advance(h.Svc.Cfg.RoomTimeout + time.Second)
	h.Call(tests.AppA, teacher, "live", "heartbeat", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, s1, "live", "heartbeat", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
	if err := h.Svc.Reap(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, m = get("/metrics")
	if got := hdMetric(m, `sxb_reaper_actions_total{action="member_exited"}`); got != 1 {
		t.Errorf("member_exited = %v after s2 went silent", got)
	}
	if got := hdMetric(m, "sxb_members_present"); got != 2 {
		t.Errorf("members present = %v after the reaper", got)
	}
	h.Advance(h.Svc.Cfg.RoomTimeout + time.Second + time.Duration(h.Svc.ReapMargin())*time.Second)
	if err := h.Svc.Reap(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, m = get("/metrics")
	if got := hdMetric(m, `sxb_reaper_actions_total{action="room_ended"}`); got != 1 {
		t.Errorf("room_ended = %v", got)
	}
	if got := hdMetric(m, "sxb_rooms_living"); got != 0 {
		t.Errorf("rooms living = %v after the reaper", got)
	}
}

// A full disk (the database cannot be written) gives 90000 answers, never
// a crash, and the server recovers when space is freed. Needs a tmpfs of
// its own (root); skipped elsewhere.
func TestHardDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	path := filepath.Join(dir, "sxb.db")
	h := tests.NewWith(t, tests.Options{DB: path, LogTo: io.Discard,
		Edit: func(c *server.Config) { c.BusyTimeout = 200 * time.Millisecond }})
	ts := h.HTTP
	regist := func(id string) int {
		b, _ := json.Marshal(tests.M{"appid": tests.AppA, "timeStamp": 1, "id": id, "pwd": strings.Repeat("p", 2000), "role": 0})
		resp, err := http.Post(ts.URL+"/index.php?svc=account&cmd=regist", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatalf("server gone: %v", err)
		}
		defer resp.Body.Close()
		var env struct {
			ErrorCode int
			ErrorInfo string
		}
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
			t.Fatalf("HTTP %d %v", resp.StatusCode, err)
		}
		if strings.Contains(env.ErrorInfo, "SQL") || strings.Contains(env.ErrorInfo, "full") {
			t.Fatalf("errorInfo leaks the cause: %q", env.ErrorInfo)
		}
		return env.ErrorCode
	}
	if c := regist("first"); c != 0 {
		t.Fatalf("regist %d on an empty disk", c)
	}
	// Fill the file system.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 16<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	codes := map[int]int{}
	var stored, refused []string
	for i := 0; i < 300 && codes[svc.CodeServer] < 3; i++ {
		id := fmt.Sprintf("full%d-%s", i, strings.Repeat("x", 40))
		c := regist(id)
		codes[c]++
		switch c {
		case 0:
			stored = append(stored, id)
		case svc.CodeServer:
			refused = append(refused, id)
		default:
			t.Fatalf("regist on a full disk: errorCode %d", c)
		}
	}
	if codes[svc.CodeServer] == 0 {
		t.Fatalf("no 90000 on a full disk: %v", codes)
	}
	os.Remove(filler)
	if c := regist("after"); c != 0 {
		t.Fatalf("regist %d after space was freed", c)
	}
	for _, id := range stored {
		if n := tests.QueryInt(t, path, "SELECT count(*) FROM t_account WHERE uid = ?", id); n != 1 {
			t.Errorf("acknowledged account %s missing", id)
		}
	}
	for _, id := range refused {
		if n := tests.QueryInt(t, path, "SELECT count(*) FROM t_account WHERE uid = ?", id); n != 0 {
			t.Errorf("refused account %s stored", id)
		}
	}
	t.Logf("on a full disk: %v", codes)
}

// Oversized ids are refused before the login limiter (they cost it no
// memory and no budget) and the access log clips what clients chose.
func TestHardOversizedIDs(t *testing.T) {
	h := tests.New(t, func(c *server.Config) { c.TrustedProxies = []string{"127.0.0.1", "::1"} })
	post := func(cmd string, f tests.M) tests.Answer {
		return h.CallFrom(tests.Forwarded("203.0.113.7"), tests.AppA, "", "account", cmd, f)
	}
	huge := strings.Repeat("界", 333333) // 1 MB of three-byte characters
	logBefore := len(h.LogText())
	for i := 0; i < 5; i++ {
		post("login", tests.M{"id": huge + strconv.Itoa(i), "pwd": "x"}).WantInfo(t, svc.CodeUserNotExist, "User not exist")
	}
	grew := len(h.LogText()) - logBefore
	t.Logf("five 1-MB ids grew the log by %d bytes", grew)
	if grew > 4<<10 {
		t.Fatalf("five 1-MB ids grew the log by %d bytes", grew)
	}
	if !utf8.ValidString(h.LogText()) {
		t.Fatal("a clipped id broke UTF-8 in the log")
	}
	// They spent none of the address's budget of failures.
	for i := 0; i < svc.LoginFailuresPerAddr+5; i++ {
		post("login", tests.M{"id": huge, "pwd": "x"}).Want(t, svc.CodeUserNotExist)
	}
	post("login", tests.M{"id": "nobody", "pwd": "x"}).WantInfo(t, svc.CodeUserNotExist, "User not exist")

	// logout names its user in the access log.
	tok := h.User(tests.AppA, "leaver", 0)
	post("logout", tests.M{"token": tok}).Want(t, 0)
	found := false
	for _, line := range strings.Split(h.LogText(), "\n") {
		if strings.Contains(line, `"cmd":"logout"`) && strings.Contains(line, `"uid":"leaver"`) {
			found = true
		}
	}
	if !found {
		t.Fatalf("logout not logged with its uid:\n%s", h.LogText())
	}
}

// Without a callback_key, callbacks are refused (HTTP 403, nothing
// changes) unless allow_unsigned_callbacks says otherwise, which the log
// warns about; and only http(s) URLs are ever stored.
func TestHardUnsignedCallbacks(t *testing.T) {
	for _, allow := range []bool{false, true} {
		h := tests.New(t, func(c *server.Config) { c.AllowUnsignedCallbacks = allow })
		teacher := h.User(tests.AppA, "teach", 1)
		room := hdEndedRoom(t, h, teacher)
		group := strconv.FormatInt(room, 10)
		rec := func(videoURL string) tests.M {
			return tests.M{"event_type": 100, "stream_id": "s", "start_time": 1, "end_time": 2,
				"media_start_time": 3, "file_size": 4, "duration": 5, "video_id": "v", "video_url": videoURL,
				"stream_param": "groupid=" + group + "&userid=" + base64.StdEncoding.EncodeToString([]byte("teach"))}
		}
		idx := func(fileURL string) tests.M {
			src, _ := json.Marshal(tests.M{"GroupId": group})
			return tests.M{"SrcRequest": string(src), "ErrorCode": 0, "ErrorInfo": "",
				"ReplayIndex": tests.M{"FileUrl": fileURL, "CreateTime": 7}}
		}
		before := tests.Digest(t, h.DBPath)
		if !allow {
			for _, c := range []struct {
				cmd  string
				body tests.M
			}{{"reccall", rec("http://v")}, {"recendcall", rec("http://v")}, {"idxfileendcall", idx("http://idx")}} {
				a := h.Post("live", c.cmd, c.body)
				if a.Status != http.StatusForbidden || !strings.Contains(a.Info, "no callback_key") {
					t.Fatalf("%s without a key: HTTP %d %s", c.cmd, a.Status, a.Raw)
				}
			}
			if tests.Digest(t, h.DBPath) != before {
				t.Fatal("a refused callback changed the database")
			}
			// Counted as refused by the transport, not as a protocol code.
			m := string(h.Do(http.MethodGet, "/metrics", "", nil).Raw)
			if got := hdMetric(m, `sxb_requests_total{cmd="reccall",code="http_403",front="sxb",svc="live"}`); got != 1 {
				t.Fatalf("refused reccall counted %v times under http_403", got)
			}
			if !strings.Contains(h.LogText(), "callbacks are refused") {
				t.Fatalf("start-up log does not say callbacks are refused:\n%s", h.LogText())
			}
			continue
		}
		if !strings.Contains(h.LogText(), "accepted without a signature") {
			t.Fatalf("no warning about unsigned callbacks:\n%s", h.LogText())
		}
		for _, bad := range []string{"javascript:alert(1)", "file:///etc/passwd", "/local/path", "http://", "ftp://x/y"} {
			tests.Eq(t, "reccall "+bad, string(h.Post("live", "reccall", rec(bad)).Raw), `{"code":0}`)
			a := h.Post("live", "idxfileendcall", idx(bad))
			var reply struct{ ErrorCode int }
			json.Unmarshal(a.Raw, &reply)
			if reply.ErrorCode != svc.CodeReqData {
				t.Fatalf("idxfileendcall with FileUrl %q: %s", bad, a.Raw)
			}
		}
		if tests.Digest(t, h.DBPath) != before {
			t.Fatal("a callback with a non-web URL changed the database")
		}
		tests.Eq(t, "reccall", string(h.Post("live", "reccall", rec("https://v/1.mp4")).Raw), `{"code":0}`)
		if n := tests.QueryInt(t, h.DBPath, "SELECT COUNT(*) FROM t_video_record WHERE video_url = 'https://v/1.mp4'"); n != 1 {
			t.Fatalf("%d recordings with a good URL", n)
		}
	}
}

// A registration flood from one address neither starves a user's login
// nor makes anyone wait past the write timeout: the hash queue is bounded
// (the rest are told "busy" at once), logins go first, and the address's
// registrations are limited.
func TestHardRegistrationFlood(t *testing.T) {
	h := tests.New(t, func(c *server.Config) {
		c.TrustedProxies = []string{"127.0.0.1", "::1"}
		c.HashCost = svc.DefaultHashCost // real hashes: the point is their cost
		c.HashQueue = 16
		c.LoginConcurrent = 1          // the queue's order is the point, not the slots
		c.RequestTimeout = time.Minute // real hashes under the race detector are slow
	})
	h.Regist(tests.AppA, "legit", "pw", 0)
	post := func(addr, cmd string, f tests.M) tests.Answer {
		return h.CallFrom(tests.Forwarded(addr), tests.AppA, "", "account", cmd, f)
	}
	const flood = 150
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcome := map[string]int{}
	queued := make(chan struct{}) // closed at the first "busy": the queue is full
	var closeOnce sync.Once
	for i := 0; i < flood; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := post("198.51.100.66", "regist", tests.M{"id": fmt.Sprintf("bot%03d", i), "pwd": "pw", "role": 0})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case a.Code == 0:
				outcome["registered"]++
			case a.Code == svc.CodeServer && a.Info == "Server busy, please retry later":
				outcome["busy"]++
				closeOnce.Do(func() { close(queued) })
			case a.Code == svc.CodeReqData && strings.Contains(a.Info, "Too many registrations"):
				outcome["limited"]++
			default:
				outcome[fmt.Sprintf("%d %s", a.Code, a.Info)]++
			}
		}()
	}
	<-queued
	// The order, not the time: with one hash slot and the queue full of
	// registrations, the login is hashed next; at most the hash running
	// when it came (and one answer in flight) finishes before it.
	mu.Lock()
	before := outcome["registered"]
	mu.Unlock()
	post("203.0.113.5", "login", tests.M{"id": "legit", "pwd": "pw"}).Want(t, 0)
	mu.Lock()
	overtook := outcome["registered"] - before
	mu.Unlock()
	wg.Wait()
	t.Logf("registrations answered while the login waited: %d; all answers %v", overtook, outcome)
	if overtook > 2 {
		t.Fatalf("%d queued registrations were served before the login", overtook)
	}
	if outcome["registered"]+outcome["busy"]+outcome["limited"] != flood || outcome["busy"] == 0 || outcome["limited"] != flood-svc.RegistsPerAddr {
		t.Fatalf("registration answers %v", outcome)
	}
}

// At most max_connections connections are served at once: idle keep-alive
// connections cannot pile up; the next one is served when one closes.
func TestHardConnectionCap(t *testing.T) {
	h := tests.New(t, func(c *server.Config) { c.MaxConnections = 2 })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.App.Serve(ln)
	idle := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Fatalf("connection within the cap not served: %v", err)
		}
		return c // kept open: an idle keep-alive connection
	}
	a, b := idle(), idle()
	defer b.Close()
	// A third is answered at once, 503, never left waiting.
	quick := &http.Client{Timeout: 3 * time.Second}
	resp, err := quick.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatalf("a connection past the cap was not answered: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "90000") {
		t.Fatalf("past the cap of 2: HTTP %d %s", resp.StatusCode, body)
	}
	a.Close()
	// Served again once one closed (the server notices the close when it
	// reads the connection: a few tries, each on a new connection).
	for i := 0; ; i++ {
		fresh := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err = fresh.Get("http://" + ln.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i == 50 {
			t.Fatalf("not served after a connection closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

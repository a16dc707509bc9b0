package dispatch_test

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sxb-edu/dispatch"
	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

const (
	fzApp    = 1400000001
	fzKey    = "fuzz-app-key"
	fzCBKey  = "fuzz-callback-key"
	fzPwd    = "pw"
	fzTeach  = "fz_teacher"
	fzStud   = "fz_student"
	fzCloud  = "fuzz-secret"
	fzBucket = "bkt"
)

// fzCodes is every errorCode a command may answer (docs/protocol.md §4); 90000
// only where a call to Tencent failed (vod cmd_proxy).
var fzCodes = map[int]bool{0: true, 10001: true, 10002: true, 10003: true, 10004: true, 10005: true,
	10006: true, 10008: true, 10009: true, 10100: true, 10101: true, 10102: true, 10103: true,
	10104: true, 10105: true, 10107: true}

// fzEnv is one server over a real SQLite file, with fakes of the Tencent
// services that always succeed, and a teacher, a student and rooms in
// every state that the fuzzer's bodies can name through placeholders.
type fzEnv struct {
	h      *tests.Env
	db     *sql.DB // a reader of its own, for the fixtures
	routes []string
	seq    atomic.Int64
	imFail atomic.Bool // the fake Tencent services answer with an error
}

func newFzEnv(f *testing.F) *fzEnv {
	env := &fzEnv{}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if env.imFail.Load() {
			io.WriteString(w, `{"ActionStatus":"FAIL","ErrorCode":10007,"ErrorInfo":"fake failure"}`)
			return
		}
		fmt.Fprintf(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgSeq":%d}`, time.Now().UnixNano()%1000000)
	}))
	f.Cleanup(fake.Close)
	h := tests.New(f, func(cfg *server.Config) {
		*cfg = server.Config{Config: svc.Config{Apps: []svc.App{{SDKAppID: fzApp, Key: fzKey}}, IMBaseURL: fake.URL, HashCost: 4,
			ReplayIndexURL: fake.URL, CallbackKey: fzCBKey, ReplayIdxDelay: time.Second,
			Cloud: svc.Cloud{AppID: "1250000000", SecretID: "AKID" + fzCloud, SecretKey: fzCloud},
			COS:   svc.COS{Bucket: fzBucket, Region: "ap-guangzhou"},
			VOD:   svc.VOD{Endpoint: "127.0.0.1:1"}}} // cmd_proxy fails fast
	})
	path := h.DBPath
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	env.h, env.db = h, db
	for sv, cmds := range dispatch.Routes {
		for c := range cmds {
			env.routes = append(env.routes, sv+"/"+c)
		}
	}
	sort.Strings(env.routes)
	for _, u := range []struct {
		id   string
		role int
	}{{fzTeach, 1}, {fzStud, 0}} {
		a := env.post("account/regist", fmt.Sprintf(`{"appid":%d,"timeStamp":1,"id":%q,"pwd":%q,"role":%d}`, fzApp, u.id, fzPwd, u.role))
		if !strings.Contains(a, `"errorCode":0`) {
			f.Fatalf("regist: %s", a)
		}
	}
	return env
}

func (e *fzEnv) post(route, body string) string {
	sv, cmd, _ := strings.Cut(route, "/")
	resp, err := http.Post(e.h.HTTP.URL+"/index.php?svc="+sv+"&cmd="+cmd, "text/plain", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// token is the current token of uid, made directly in the store when the
// fuzzer logged it out (the login rate limit must not stop the harness).
func (e *fzEnv) token(t *testing.T, uid string) string {
	var tok sql.NullString
	if err := e.db.QueryRow("SELECT token FROM t_account WHERE uid = ?", uid).Scan(&tok); err != nil {
		t.Fatal(err)
	}
	if tok.Valid {
		return tok.String
	}
	a, err := e.h.Store.AccountByUID(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	n := fmt.Sprintf("%032x", e.seq.Add(1)+time.Now().UnixNano())
	if err := e.h.Store.Login(context.Background(), a, n, "sig", time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	return n
}

// room returns a room of the teacher in state, making one when there is none.
func (e *fzEnv) room(t *testing.T, tok string, state int) int64 {
	var id int64
	err := e.db.QueryRow(`SELECT c.room_id FROM t_course c JOIN t_account a ON a.uin = c.host_uin
		WHERE a.uid = ? AND c.state = ? ORDER BY c.room_id DESC LIMIT 1`, fzTeach, state).Scan(&id)
	if err == nil {
		return id
	}
	call := func(route string, f string) string {
		a := e.post(route, fmt.Sprintf(`{"appid":%d,"timeStamp":1,"token":%q%s}`, fzApp, tok, f))
		if !strings.Contains(a, `"errorCode":0`) {
			t.Fatalf("%s: %s", route, a)
		}
		return a
	}
	var out struct{ Data struct{ RoomNum int64 } }
	json.Unmarshal([]byte(call("live/create", `,"title":"fz"`)), &out)
	id = out.Data.RoomNum
	if state >= 1 {
		call("live/startcourse", fmt.Sprintf(`,"roomnum":%d`, id))
	}
	if state >= 2 {
		call("live/exitroom", fmt.Sprintf(`,"roomnum":%d`, id))
	}
	return id
}

// digest covers every row of every table.
func (e *fzEnv) digest(t *testing.T) string { return tests.Digest(t, e.h.DBPath) }

// FuzzCommands posts arbitrary bodies to every svc/cmd through the real
// handler stack and database. route is "svc/cmd" (anything else picks a
// route by its hash); the body may name the fixtures with placeholders:
// @T/@S the teacher's/student's token, @A the appid, @R0/@R1/@R2 a room
// created/living/ended, @TS now, @EXP and @SIGN a valid callback t and sign.
// Every answer must be HTTP 200 (403 only for a callback), JSON, with an
// errorCode of the protocol and no internals in errorInfo; a refused
// request must leave the database as it was.
func FuzzCommands(f *testing.F) {
	env := newFzEnv(f)
	for _, r := range env.routes {
		f.Add(r, `{"appid":@A,"timeStamp":@TS,"token":"@T"}`)
	}
	f.Add("live/nosuch", `{}`)
	f.Fuzz(func(t *testing.T, route, body string) {
		if _, ok := lookup(route); !ok {
			h := fnv.New32a()
			h.Write([]byte(route))
			route = env.routes[int(h.Sum32()%uint32(len(env.routes)))]
		}
		teacher := env.token(t, fzTeach)
		now := time.Now().Unix()
		exp := now + 3600
		sum := md5.Sum([]byte(fzCBKey + strconv.FormatInt(exp, 10)))
		// Longer names first: at one position the first match wins.
		repl := strings.NewReplacer("@TS", strconv.FormatInt(now, 10), "@SIGN", hex.EncodeToString(sum[:]),
			"@EXP", strconv.FormatInt(exp, 10), "@T", teacher, "@S", env.token(t, fzStud), "@A", strconv.Itoa(fzApp),
			"@R0", strconv.FormatInt(env.room(t, teacher, 0), 10), "@R1", strconv.FormatInt(env.room(t, teacher, 1), 10),
			"@R2", strconv.FormatInt(env.room(t, teacher, 2), 10))
		// One input in four meets failing Tencent services.
		h := fnv.New32a()
		h.Write([]byte(body))
		imFail := h.Sum32()>>30 == 0 // top bits: FNV mixes them best
		body = repl.Replace(body)

		before := env.digest(t)
		sv, cmd, _ := strings.Cut(route, "/")
		env.imFail.Store(imFail)
		defer env.imFail.Store(false)
		resp, err := http.Post(env.h.HTTP.URL+"/index.php?svc="+sv+"&cmd="+cmd, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%s %s\n-> HTTP %d %s", route, body, resp.StatusCode, raw)
		callback := cmd == "reccall" || cmd == "recendcall" || cmd == "idxfileendcall"

		var ans map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ans); err != nil {
			t.Fatalf("%s: answer is not a JSON object: HTTP %d %q", route, resp.StatusCode, raw)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s: Content-Type %q", route, ct)
		}
		refused := false
		switch {
		case resp.StatusCode == http.StatusForbidden && callback:
			refused = true
		case resp.StatusCode != http.StatusOK:
			t.Fatalf("%s: HTTP %d %s", route, resp.StatusCode, raw)
		case callback && ans["errorCode"] == nil:
			if cmd == "idxfileendcall" {
				var r struct {
					ActionStatus string
					ErrorCode    *int
					ErrorInfo    *string
				}
				json.Unmarshal(raw, &r)
				if r.ActionStatus != "OK" || r.ErrorCode == nil || r.ErrorInfo == nil || !fzCodes[*r.ErrorCode] {
					t.Fatalf("%s: %s", route, raw)
				}
				checkInfo(t, route, *r.ErrorInfo)
				refused = *r.ErrorCode != 0
			} else if string(raw) != `{"code":0}` {
				t.Fatalf("%s: %s", route, raw)
			}
		default:
			var ev struct {
				ErrorCode *int
				ErrorInfo *string
			}
			json.Unmarshal(raw, &ev)
			if ev.ErrorCode == nil || ev.ErrorInfo == nil {
				t.Fatalf("%s: no errorCode/errorInfo: %s", route, raw)
			}
			ok := fzCodes[*ev.ErrorCode] || (*ev.ErrorCode == svc.CodeServer && route == "vod/cmd_proxy")
			if !ok {
				t.Fatalf("%s: errorCode %d: %s\nbody %q", route, *ev.ErrorCode, raw, body)
			}
			checkInfo(t, route, *ev.ErrorInfo)
			refused = *ev.ErrorCode != 0
			if callback && cmd != "idxfileendcall" && refused && *ev.ErrorCode != svc.CodeReqJSON {
				t.Fatalf("%s answered %s", route, raw)
			}
		}
		// The protocol writes before the IM call in two places: an entered
		// member stays when message 1003 fails, and a replay-index request
		// is recorded with its failure.
		if refused && env.imFail.Load() && (cmd == "reportmemid" || cmd == "makereplayidx") &&
			strings.Contains(string(raw), `"errorCode":10103`) {
			refused = false
		}
		if refused {
			if after := env.digest(t); after != before {
				t.Fatalf("%s refused (%s) but changed the database\nbody %q", route, raw, body)
			}
		}
	})
}

func lookup(route string) (dispatch.Route, bool) {
	sv, cmd, ok := strings.Cut(route, "/")
	if !ok {
		return dispatch.Route{}, false
	}
	r, ok := dispatch.Routes[sv][cmd]
	return r, ok
}

func checkInfo(t *testing.T, route, info string) {
	for _, bad := range []string{"sql", "SQL", "panic", "goroutine", "runtime error", "constraint"} {
		if strings.Contains(info, bad) {
			t.Fatalf("%s: errorInfo shows internals: %q", route, info)
		}
	}
}

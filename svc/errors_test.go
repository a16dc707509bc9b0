package svc_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"sxb-edu/dispatch"
	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// errCase is one request and the envelope it must get.
type errCase struct {
	name     string
	svc, cmd string
	body     tests.M
	code     int
	info     string // checked when not empty
}

func runCases(t *testing.T, h *tests.Env, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.svc+"."+c.cmd+"/"+c.name, func(t *testing.T) {
			a := h.Post(c.svc, c.cmd, c.body)
			if c.info != "" {
				a.WantInfo(t, c.code, c.info)
			} else {
				a.Want(t, c.code)
			}
			if c.code != 0 && a.HasData {
				t.Fatalf("error answer with data: %s", a.Raw)
			}
		})
	}
}

// merge returns base with extra's keys set; a nil value in extra deletes.
func merge(base tests.M, extra tests.M) tests.M {
	out := tests.M{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// jsonNull is a value that marshals to JSON null (merge deletes a Go nil).
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

var null = jsonNull{}

// emptyValues are the values PHP empty() treats as missing.
var emptyValues = map[string]any{"zero": 0, "empty string": "", "false": false, "null": null, "empty list": []any{}, "empty object": tests.M{}}

func routesOfKind(k dispatch.Kind) [][2]string {
	var out [][2]string
	for s, cmds := range dispatch.Routes {
		for c, r := range cmds {
			if r.Kind == k {
				out = append(out, [2]string{s, c})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0]+out[i][1] < out[j][0]+out[j][1] })
	return out
}

// unknownToken is tok with its first character changed: a token of the
// right shape that nobody holds.
func unknownToken(tok string) string {
	if tok[0] == '0' {
		return "1" + tok[1:]
	}
	return "0" + tok[1:]
}

// TestCommonChecks runs §3's checks, in order, on every command of kind C
// and T in the dispatch table.
func TestCommonChecks(t *testing.T) {
	h := tests.New(t, nil)
	tok := h.User(tests.AppA, "alice", 1)
	ts := h.Unix()
	var cases []errCase
	for _, k := range []dispatch.Kind{dispatch.Common, dispatch.Token} {
		for _, sc := range routesOfKind(k) {
			add := func(name string, body tests.M, code int, info string) {
				cases = append(cases, errCase{name, sc[0], sc[1], body, code, info})
			}
			ok := tests.M{"appid": tests.AppA, "timeStamp": ts}
			add("no appid", tests.M{}, 10003, "Lack of appid")
			add("no appid nor timeStamp, token bad", tests.M{"token": 5}, 10003, "Lack of appid")
			for n, v := range emptyValues {
				add("appid "+n, merge(ok, tests.M{"appid": v}), 10003, "Lack of appid")
				add("timeStamp "+n, merge(ok, tests.M{"timeStamp": v}), 10003, "Lack of timeStamp")
			}
			add("appid string", merge(ok, tests.M{"appid": strconv.Itoa(tests.AppA)}), 10003, "Invalid appid")
			add("appid string 0", merge(ok, tests.M{"appid": "0"}), 10003, "Invalid appid")
			add("appid float", merge(ok, tests.M{"appid": json.Number(strconv.Itoa(tests.AppA) + ".0")}), 10003, "Invalid appid")
			add("appid exponent", merge(ok, tests.M{"appid": json.Number("1.400000001e9")}), 10003, "Invalid appid")
			add("appid beyond int64", merge(ok, tests.M{"appid": json.Number("99999999999999999999")}), 10003, "Invalid appid")
			add("appid true", merge(ok, tests.M{"appid": true}), 10003, "Invalid appid")
			add("appid not configured", merge(ok, tests.M{"appid": 1400000009}), 10003, "Invalid appid,maybe not config")
			add("appid negative", merge(ok, tests.M{"appid": -1}), 10003, "Invalid appid,maybe not config")
			add("appid checked before timeStamp", tests.M{"appid": 7}, 10003, "Invalid appid,maybe not config")
			add("no timeStamp", tests.M{"appid": tests.AppA}, 10003, "Lack of timeStamp")
			add("timeStamp string", merge(ok, tests.M{"timeStamp": "12"}), 10003, "Invalid timeStamp")
			add("timeStamp float", merge(ok, tests.M{"timeStamp": 1.5}), 10003, "Invalid timeStamp")
			add("timeStamp 1.0", merge(ok, tests.M{"timeStamp": json.Number("1.0")}), 10003, "Invalid timeStamp")
			if k != dispatch.Token {
				continue
			}
			add("no token", ok, 10003, "Lack of token")
			for n, v := range emptyValues {
				add("token "+n, merge(ok, tests.M{"token": v}), 10003, "Lack of token")
			}
			add("token int", merge(ok, tests.M{"token": 12}), 10003, "Lack of token")
			add("token object", merge(ok, tests.M{"token": tests.M{"a": tok}}), 10003, "Invalid token")
			add("token unknown", merge(ok, tests.M{"token": unknownToken(tok)}), 10009, "Token expired")
			add("token 0", merge(ok, tests.M{"token": "0"}), 10009, "Token expired")
			add("token of other appid", merge(ok, tests.M{"token": tok, "appid": tests.AppB}), 10003, "appid is diff from appid of the user.")
		}
	}
	runCases(t, h, cases)
}

// TestTokenLife: one session per user, logout, and the 7-day idle expiry
// that slides with activity (Deviation §3.7).
func TestTokenLife(t *testing.T) {
	h := tests.New(t, nil)
	h.Regist(tests.AppA, "bob", "pw", 0)
	old := h.Login(tests.AppA, "bob", "pw").Token
	tok := h.Login(tests.AppA, "bob", "pw").Token
	if old == tok {
		t.Fatal("login reissued the same token")
	}
	list := tests.M{"index": 0, "size": 10}
	h.Call(tests.AppA, old, "live", "roomlist", list).WantInfo(t, 10009, "Token expired")
	h.Call(tests.AppA, tok, "live", "roomlist", list).Want(t, 0)

	// Active every 6 days: never expires.
	for i := 0; i < 3; i++ {
		h.Advance(6 * 24 * time.Hour)
		h.Call(tests.AppA, tok, "live", "roomlist", list).Want(t, 0)
	}
	// The activity survives a restart (write-behind flushed on close).
	h.Restart()
	h.Advance(6 * 24 * time.Hour)
	h.Call(tests.AppA, tok, "live", "roomlist", list).Want(t, 0)
	// Idle over 7 days: expired once, then unknown.
	h.Advance(7*24*time.Hour + time.Second)
	h.Call(tests.AppA, tok, "live", "roomlist", list).WantInfo(t, 10009, "User token expired")
	h.Call(tests.AppA, tok, "live", "roomlist", list).WantInfo(t, 10009, "Token expired")
	h.Call(tests.AppA, "", "account", "logout", tests.M{"token": tok}).WantInfo(t, 10008, "Repeat logout")

	tok = h.Login(tests.AppA, "bob", "pw").Token
	h.Call(tests.AppA, "", "account", "logout", tests.M{"token": tok}).Want(t, 0)
	h.Call(tests.AppA, "", "account", "logout", tests.M{"token": tok}).WantInfo(t, 10008, "Repeat logout")
	h.Call(tests.AppA, tok, "live", "roomlist", list).WantInfo(t, 10009, "Token expired")
}

// TestAccountErrors covers regist, login and logout.
func TestAccountErrors(t *testing.T) { tests.EachEngine(t, testAccountErrors) }

func testAccountErrors(t *testing.T) {
	h := tests.New(t, nil)
	ts := h.Unix()
	base := tests.M{"appid": tests.AppA, "timeStamp": ts}
	reg := merge(base, tests.M{"id": "alice", "pwd": "secret", "role": 0})
	login := merge(base, tests.M{"id": "alice", "pwd": "secret"})
	h.Post("account", "regist", reg).Want(t, 0)
	long50 := strings.Repeat("é", 25)
	var cases []errCase
	add := func(cmd, name string, body tests.M, code int, info string) {
		cases = append(cases, errCase{name, "account", cmd, body, code, info})
	}
	for _, cmd := range []string{"regist", "login"} {
		b := reg
		if cmd == "login" {
			b = login
		}
		add(cmd, "no id", merge(b, tests.M{"id": nil}), 10003, "Lack of id")
		add(cmd, "no pwd", merge(b, tests.M{"pwd": nil}), 10003, "Lack of pwd")
		for n, v := range emptyValues {
			add(cmd, "id "+n, merge(b, tests.M{"id": v}), 10003, "Lack of id")
			add(cmd, "pwd "+n, merge(b, tests.M{"pwd": v}), 10003, "Lack of pwd")
		}
		add(cmd, "id int", merge(b, tests.M{"id": 12}), 10003, "Invalid id")
		add(cmd, "id list", merge(b, tests.M{"id": []any{"a"}}), 10003, "Invalid id")
		add(cmd, "pwd int", merge(b, tests.M{"pwd": 12}), 10003, "Invalid pwd")
		add(cmd, "pwd true", merge(b, tests.M{"pwd": true}), 10003, "Invalid pwd")
		add(cmd, "id checked before pwd", merge(b, tests.M{"id": 1, "pwd": nil}), 10003, "Invalid id")
	}
	add("regist", "no role", merge(reg, tests.M{"id": "x1", "role": nil}), 10003, "Lack of role")
	add("regist", "role null", merge(reg, tests.M{"id": "x1", "role": null}), 10003, "Lack of role")
	for name, v := range map[string]any{"2": 2, "-1": -1, "string": "1", "float": 1.5, "1.0": json.Number("1.0"), "true": true} {
		add("regist", "role "+name, merge(reg, tests.M{"id": "x1", "role": v}), 10003, "Invalid role")
	}
	add("regist", "id over 50 bytes", merge(reg, tests.M{"id": long50 + "x"}), 10003, "")
	add("regist", "taken", reg, 10004, "")
	add("regist", "taken in other case", merge(reg, tests.M{"id": "ALICE"}), 10004, "")
	add("regist", "taken in other app", merge(reg, tests.M{"appid": tests.AppB}), 10004, "")
	add("login", "unknown", merge(login, tests.M{"id": "nobody"}), 10005, "User not exist")
	add("login", "id case-sensitive", merge(login, tests.M{"id": "Alice"}), 10005, "User not exist")
	add("login", "wrong pwd", merge(login, tests.M{"pwd": "Secret"}), 10006, "User password error")
	add("login", "pwd prefix", merge(login, tests.M{"pwd": "secre"}), 10006, "User password error")
	add("logout", "no token", base, 10003, "Lack of token")
	add("logout", "token empty", merge(base, tests.M{"token": ""}), 10003, "Lack of token")
	add("logout", "token int", merge(base, tests.M{"token": 5}), 10003, "Invalid token")
	add("logout", "unknown", merge(base, tests.M{"token": "feedface"}), 10008, "Repeat logout")
	runCases(t, h, cases)

	// Every id that can register can log in; "0" is a valid id and password.
	for _, id := range []string{"0", `o'brien"; --`, long50, strings.Repeat("x", 50), "学生 一号", `back\slash`} {
		h.Post("account", "regist", merge(reg, tests.M{"id": id, "pwd": "0", "role": 1})).Want(t, 0)
		var d tests.LoginData
		h.Post("account", "login", merge(login, tests.M{"id": id, "pwd": "0"})).Want(t, 0).Decode(t, &d)
		if d.Role != 1 || d.Token == "" || d.UserSig == "" {
			t.Fatalf("login %q: %+v", id, d)
		}
		// The token works, and starts with anything (even "0": Deviation).
		h.Call(tests.AppA, d.Token, "live", "create", tests.M{"title": id}).Want(t, 0)
	}
	// The stored password is a hash, not the password or its base64.
	pwd := tests.QueryString(t, h.DBPath, "SELECT pwd FROM t_account WHERE uid = 'alice'")
	if !strings.HasPrefix(pwd, "$2") || strings.Contains(pwd, "secret") || strings.Contains(pwd, "c2VjcmV0") {
		t.Fatalf("stored pwd %q", pwd)
	}
}

// TestLiveErrors reaches every code each live command can return.
func TestLiveErrors(t *testing.T) { tests.EachEngine(t, testLiveErrors) }

func testLiveErrors(t *testing.T) {
	f := tests.NewClassroom(t, nil)
	h := f.H
	var cases []errCase
	add := func(cmd, name string, tok string, extra tests.M, code int, info string) {
		cases = append(cases, errCase{name, "live", cmd, f.Body(tok, extra), code, info})
	}
	page := tests.M{"index": 0, "size": 10}
	file := tests.M{"type": 0, "file_name": "f", "url": "http://f"}

	// create
	add("create", "no title", f.T1, nil, 10003, "Lack of title")
	add("create", "title null", f.T1, tests.M{"title": null}, 10003, "Lack of title")
	add("create", "title int", f.T1, tests.M{"title": 1}, 10003, "")
	add("create", "title too long", f.T1, tests.M{"title": strings.Repeat("t", 129)}, 10003, "")
	add("create", "cover int", f.T1, tests.M{"title": "x", "cover": 1}, 10003, "")
	add("create", "student", f.S1, tests.M{"title": "x"}, 10101, "")
	add("create", "fields before privilege", f.S1, tests.M{}, 10003, "Lack of title")

	// startcourse
	for _, cmd := range []string{"startcourse", "exitroom"} {
		add(cmd, "no roomnum", f.T1, nil, 10003, "Lack of roomnum")
		add(cmd, "roomnum string", f.T1, tests.M{"roomnum": strconv.FormatInt(f.Created, 10)}, 10003, "")
		add(cmd, "roomnum float", f.T1, tests.M{"roomnum": json.Number(strconv.FormatInt(f.Created, 10) + ".0")}, 10003, "")
		add(cmd, "unknown room", f.T1, tests.M{"roomnum": 99999}, 10100, "")
		add(cmd, "student", f.S1, tests.M{"roomnum": f.Living}, 10101, "")
		add(cmd, "other teacher", f.T2, tests.M{"roomnum": f.Living}, 10101, "")
	}
	add("startcourse", "living", f.T1, tests.M{"roomnum": f.Living}, 10102, "")
	add("startcourse", "ended", f.T1, tests.M{"roomnum": f.Ended}, 10102, "")
	add("startcourse", "student on created", f.S1, tests.M{"roomnum": f.Created}, 10101, "")
	add("exitroom", "roomnum 0", f.T1, tests.M{"roomnum": 0}, 10003, "")
	add("exitroom", "roomnum negative", f.T1, tests.M{"roomnum": -5}, 10003, "")
	add("exitroom", "created", f.T1, tests.M{"roomnum": f.Created}, 10102, "")
	add("exitroom", "ended", f.T1, tests.M{"roomnum": f.Ended}, 10102, "")

	// heartbeat
	add("heartbeat", "no roomnum", f.S1, nil, 10003, "Lack of roomnum")
	add("heartbeat", "roomnum null", f.S1, tests.M{"roomnum": null}, 10003, "Lack of roomnum")
	add("heartbeat", "roomnum float", f.S1, tests.M{"roomnum": 1.5}, 10003, "")
	add("heartbeat", "roomnum object", f.S1, tests.M{"roomnum": tests.M{"a": 1}}, 10003, "")
	add("heartbeat", "unknown room", f.S1, tests.M{"roomnum": 99999}, 10100, "")
	add("heartbeat", "roomnum not digits", f.S1, tests.M{"roomnum": "abc"}, 10100, "")
	add("heartbeat", "roomnum string", f.S1, tests.M{"roomnum": strconv.FormatInt(f.Living, 10) + "xyz"}, 0, "")
	add("heartbeat", "ended room", f.S1, tests.M{"roomnum": f.Ended}, 0, "")

	// reportmemid
	enter := func(room int64) tests.M { return tests.M{"roomnum": room, "operate": 0} }
	add("reportmemid", "no roomnum", f.S2, tests.M{"operate": 0}, 10003, "Lack of roomnum")
	add("reportmemid", "roomnum list", f.S2, tests.M{"roomnum": []any{1}, "operate": 0}, 10003, "")
	add("reportmemid", "no operate", f.S2, tests.M{"roomnum": f.Living}, 10003, "Lack of operate")
	add("reportmemid", "operate 2", f.S2, tests.M{"roomnum": f.Living, "operate": 2}, 10003, "")
	add("reportmemid", "operate string", f.S2, tests.M{"roomnum": f.Living, "operate": "0"}, 10003, "")
	add("reportmemid", "unknown room", f.S2, enter(99999), 10100, "")
	add("reportmemid", "created", f.S2, enter(f.Created), 10102, "")
	add("reportmemid", "ended", f.S2, enter(f.Ended), 10102, "")
	add("reportmemid", "nobody present", f.S2, enter(f.Empty), 10100, "room is not exist")
	add("reportmemid", "exit never entered", f.S2, tests.M{"roomnum": f.Living, "operate": 1}, 10107, "")

	// roomidlist
	add("roomidlist", "no roomnum", f.S1, page, 10003, "Lack of roomnum")
	add("roomidlist", "roomnum float", f.S1, merge(page, tests.M{"roomnum": 1.5}), 10003, "")
	for _, cmd := range []string{"roomidlist", "roomlist", "querybind"} {
		p := tests.M{"roomnum": f.Living}
		add(cmd, "no index", f.S1, merge(p, tests.M{"size": 1}), 10003, "Lack of page index")
		add(cmd, "index null", f.S1, merge(p, tests.M{"index": null, "size": 1}), 10003, "Lack of page index")
		add(cmd, "index negative", f.S1, merge(p, tests.M{"index": -1, "size": 1}), 10003, "")
		add(cmd, "index string", f.S1, merge(p, tests.M{"index": "0", "size": 1}), 10003, "")
		add(cmd, "index 0.0", f.S1, merge(p, tests.M{"index": json.Number("0.0"), "size": 1}), 10003, "")
		add(cmd, "no size", f.S1, merge(p, tests.M{"index": 0}), 10003, "Lack of page size")
		add(cmd, "size 51", f.S1, merge(p, tests.M{"index": 0, "size": 51}), 10003, "")
		add(cmd, "size -1", f.S1, merge(p, tests.M{"index": 0, "size": -1}), 10003, "")
		add(cmd, "size string", f.S1, merge(p, tests.M{"index": 0, "size": "5"}), 10003, "")
		add(cmd, "size 50", f.S1, merge(p, tests.M{"index": 0, "size": 50}), 0, "")
	}

	// roomlist
	add("roomlist", "roomnum string", f.S1, merge(page, tests.M{"roomnum": "1"}), 10003, "")
	add("roomlist", "from_time float", f.S1, merge(page, tests.M{"from_time": 1.5}), 10003, "")
	add("roomlist", "to_time string", f.S1, merge(page, tests.M{"to_time": "9"}), 10003, "")
	add("roomlist", "from after to", f.S1, merge(page, tests.M{"from_time": 10, "to_time": 9}), 10003, "from_time must less than to_time")
	add("roomlist", "from with zero to", f.S1, merge(page, tests.M{"from_time": 10, "to_time": 0}), 0, "")
	add("roomlist", "host_uid int", f.S1, merge(page, tests.M{"host_uid": 1}), 10003, "")
	add("roomlist", "host_uid unknown", f.S1, merge(page, tests.M{"host_uid": "ghost"}), 10005, "")
	add("roomlist", "state 4", f.S1, merge(page, tests.M{"state": 4}), 10003, "")
	add("roomlist", "state -1", f.S1, merge(page, tests.M{"state": -1}), 10003, "")
	add("roomlist", "state string", f.S1, merge(page, tests.M{"state": "1"}), 10003, "")
	add("roomlist", "state 3", f.S1, merge(page, tests.M{"state": 3}), 0, "")

	// reportbind
	bind := func(room any, op any, file any) tests.M {
		m := tests.M{"operate": op, "bind_file": file}
		if room != nil {
			m["roomnum"] = room
		}
		return m
	}
	add("reportbind", "roomnum string", f.T1, bind("1", 0, file), 10003, "")
	add("reportbind", "roomnum negative", f.T1, bind(-1, 0, file), 10003, "")
	add("reportbind", "no operate", f.T1, tests.M{"roomnum": f.Created, "bind_file": file}, 10003, "Lack of operate")
	add("reportbind", "operate 2", f.T1, bind(f.Created, 2, file), 10003, "")
	add("reportbind", "operate float", f.T1, bind(f.Created, 0.5, file), 10003, "")
	add("reportbind", "no bind_file", f.T1, tests.M{"roomnum": f.Created, "operate": 0}, 10003, "Lack of bind_file")
	add("reportbind", "bind_file string", f.T1, bind(f.Created, 0, "f"), 10003, "")
	add("reportbind", "bind_file list", f.T1, bind(f.Created, 0, []any{1}), 10003, "")
	add("reportbind", "no type", f.T1, bind(f.Created, 0, merge(file, tests.M{"type": nil})), 10003, "")
	add("reportbind", "type 1.0", f.T1, bind(f.Created, 0, merge(file, tests.M{"type": json.Number("1.0")})), 10003, "invalide bindfile.type")
	add("reportbind", "type string", f.T1, bind(f.Created, 0, merge(file, tests.M{"type": "0"})), 10003, "")
	add("reportbind", "no file_name", f.T1, bind(f.Created, 0, merge(file, tests.M{"file_name": nil})), 10003, "")
	add("reportbind", "file_name int", f.T1, bind(f.Created, 0, merge(file, tests.M{"file_name": 1})), 10003, "")
	add("reportbind", "no url", f.T1, bind(f.Created, 0, merge(file, tests.M{"url": nil})), 10003, "")
	add("reportbind", "url int", f.T1, bind(f.Created, 0, merge(file, tests.M{"url": 1})), 10003, "")
	add("reportbind", "unknown room", f.T1, bind(99999, 0, file), 10100, "")
	add("reportbind", "student", f.S1, bind(f.Living, 0, file), 10101, "")
	add("reportbind", "other teacher", f.T2, bind(f.Created, 0, file), 10101, "")
	add("reportbind", "ended", f.T1, bind(f.Ended, 0, file), 10102, "")
	add("reportbind", "unbind not bound", f.T1, bind(f.Created, 1, file), 10105, "")
	add("reportbind", "unbind not bound library", f.S1, bind(nil, 1, file), 10105, "")
	add("reportbind", "bind", f.T1, bind(f.Created, 0, file), 0, "")
	add("reportbind", "bind again", f.T1, bind(f.Created, 0, merge(file, tests.M{"file_name": "g", "type": 1})), 10104, "")
	add("reportbind", "bind to living", f.T1, bind(f.Living, 0, file), 0, "")
	add("reportbind", "student library", f.S1, bind(0, 0, file), 0, "")
	add("reportbind", "student library again", f.S1, bind(nil, 0, file), 10104, "")

	// querybind
	add("querybind", "roomnum string", f.S1, merge(page, tests.M{"roomnum": "1"}), 10003, "")
	add("querybind", "from_time float", f.S1, merge(page, tests.M{"from_time": 1.5}), 10003, "")
	add("querybind", "to_time string", f.S1, merge(page, tests.M{"to_time": "1"}), 10003, "")
	runCases(t, h, cases)

	// Repeat exit after an exit, and the teacher's re-entry into an empty
	// room (Deviation), after which students may enter again.
	h.Call(tests.AppA, f.S1, "live", "reportmemid", tests.M{"roomnum": f.Living, "operate": 1}).Want(t, 0)
	h.Call(tests.AppA, f.S1, "live", "reportmemid", tests.M{"roomnum": f.Living, "operate": 1}).Want(t, 0)
	h.Call(tests.AppA, f.T1, "live", "reportmemid", tests.M{"roomnum": f.Empty, "operate": 0}).Want(t, 0)
	h.Call(tests.AppA, f.S2, "live", "reportmemid", tests.M{"roomnum": f.Empty, "operate": 0}).Want(t, 0)
}

// TestRoomListOtherApp: host_uid of another app is 10003 and an app sees
// only its own rooms.
func TestRoomListOtherApp(t *testing.T) {
	h := tests.New(t, nil)
	ta := h.User(tests.AppA, "ta", 1)
	tb := h.User(tests.AppB, "tb", 1)
	h.Call(tests.AppA, ta, "live", "create", tests.M{"title": "a"}).Want(t, 0)
	h.Call(tests.AppB, tb, "live", "create", tests.M{"title": "b"}).Want(t, 0)
	page := tests.M{"index": 0, "size": 10}
	h.Call(tests.AppA, ta, "live", "roomlist", merge(page, tests.M{"host_uid": "tb"})).WantInfo(t, 10003, "you and host_uid are from diff appid.")
	var l tests.RoomList
	h.Call(tests.AppB, tb, "live", "roomlist", page).Want(t, 0).Decode(t, &l)
	if l.Total != 1 || l.Rooms[0].HostUID != "tb" {
		t.Fatalf("app B list %+v", l)
	}
}

// TestIMFailures: every command that sends an IM message answers 10103
// when the IM service fails in any way, and changes nothing.
func TestIMFailures(t *testing.T) {
	f := tests.NewClassroom(t, nil)
	h := f.H
	// An unreachable endpoint: nothing listens on port 1.
	const deadURL = "http://127.0.0.1:1"
	failures := map[string]func(w http.ResponseWriter, c tests.TencentCall){
		"error code": func(w http.ResponseWriter, c tests.TencentCall) {
			w.Write([]byte(`{"ActionStatus":"FAIL","ErrorCode":10015,"ErrorInfo":"group id invalid"}`))
		},
		"not JSON": func(w http.ResponseWriter, c tests.TencentCall) {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`<html>bad gateway</html>`))
		},
	}
	check := func(t *testing.T) {
		h.Call(tests.AppA, f.T1, "live", "startcourse", tests.M{"roomnum": f.Created}).Want(t, 10103)
		h.Call(tests.AppA, f.T1, "live", "exitroom", tests.M{"roomnum": f.Living}).Want(t, 10103)
		h.Call(tests.AppA, f.S2, "live", "reportmemid", tests.M{"roomnum": f.Living, "operate": 0}).Want(t, 10103)
		var l tests.RoomList
		h.Call(tests.AppA, f.T1, "live", "roomlist", tests.M{"index": 0, "size": 50}).Want(t, 0).Decode(t, &l)
		for _, r := range l.Rooms {
			switch r.RoomNum {
			case f.Created:
				tests.Eq(t, "created state", r.State, 0)
			case f.Living:
				tests.Eq(t, "living state", r.State, 1)
			}
		}
	}
	for name, fn := range failures {
		t.Run(name, func(t *testing.T) {
			f.IM.SetReply(fn)
			check(t)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		f.IM.SetReply(nil)
		h.Svc.IM.Base = deadURL
		check(t)
	})
}

// TestMakeReplayIdxErrors covers makereplayidx's checks and the
// replay-index service failing (10103, and the one request is used up).
func TestMakeReplayIdxErrors(t *testing.T) { tests.EachEngine(t, testMakeReplayIdxErrors) }

func testMakeReplayIdxErrors(t *testing.T) {
	replay := tests.NewFakeTencent(t)
	f := tests.NewClassroom(t, func(c *server.Config) { c.ReplayIndexURL = replay.URL })
	h := f.H
	mk := func(extra tests.M) tests.M { return merge(tests.M{"appid": tests.AppA, "roomnum": f.Ended}, extra) }
	cases := []errCase{
		{"no appid", "live", "makereplayidx", mk(tests.M{"appid": nil}), 10003, "Lack of appid"},
		{"appid 0", "live", "makereplayidx", mk(tests.M{"appid": 0}), 10003, "Lack of appid"},
		{"appid string", "live", "makereplayidx", mk(tests.M{"appid": "1400000001"}), 10003, "Invalid appid"},
		{"no roomnum", "live", "makereplayidx", mk(tests.M{"roomnum": nil}), 10003, "Lack of roomnum"},
		{"roomnum string", "live", "makereplayidx", mk(tests.M{"roomnum": "10003"}), 10003, ""},
		{"unknown room", "live", "makereplayidx", mk(tests.M{"roomnum": 99999}), 10100, ""},
		{"created", "live", "makereplayidx", mk(tests.M{"roomnum": f.Created}), 10102, ""},
		{"living", "live", "makereplayidx", mk(tests.M{"roomnum": f.Living}), 10102, ""},
		{"other appid", "live", "makereplayidx", mk(tests.M{"appid": tests.AppB}), 10003, ""},
		{"too early", "live", "makereplayidx", mk(nil), 10102, ""},
		{"no timeStamp needed, token ignored", "live", "makereplayidx", mk(tests.M{"token": 5}), 10102, ""},
	}
	runCases(t, h, cases)
	if n := len(replay.Calls()); n != 0 {
		t.Fatalf("%d replay requests before time", n)
	}
	h.Advance(400 * time.Second)
	replay.SetReply(func(w http.ResponseWriter, c tests.TencentCall) {
		w.Write([]byte(`{"ActionStatus":"FAIL","ErrorCode":91000,"ErrorInfo":"busy"}`))
	})
	h.Post("live", "makereplayidx", mk(nil)).Want(t, 10103)
	h.Post("live", "makereplayidx", mk(nil)).Want(t, 10102)
	var l tests.RoomList
	h.Call(tests.AppA, f.T1, "live", "roomlist", tests.M{"index": 0, "size": 1, "roomnum": f.Ended}).Want(t, 0).Decode(t, &l)
	tests.Eq(t, "trigger result", l.Rooms[0].TriggerReplayIdxResult, int64(-3)) // the reference's code for an error answer
	tests.Eq(t, "trigger time", l.Rooms[0].TriggerReplayIdxTime, h.Unix())
	tests.Eq(t, "state", l.Rooms[0].State, 2)

	// Non-JSON and unreachable on further ended rooms.
	end := func() int64 {
		var d struct{ RoomNum int64 }
		h.Call(tests.AppA, f.T1, "live", "create", tests.M{"title": "r"}).Want(t, 0).Decode(t, &d)
		h.Call(tests.AppA, f.T1, "live", "startcourse", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
		h.Call(tests.AppA, f.T1, "live", "exitroom", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
		return d.RoomNum
	}
	r1, r2 := end(), end()
	h.Advance(400 * time.Second)
	replay.SetReply(func(w http.ResponseWriter, c tests.TencentCall) { w.Write([]byte("oops")) })
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppA, "roomnum": r1}).Want(t, 10103)
	h.Cfg.ReplayIndexURL = "http://127.0.0.1:1"
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppA, "roomnum": r2}).Want(t, 10103)

	// An index that already exists is stored at once (state 3).
	h.Cfg.ReplayIndexURL = replay.URL
	r3 := end()
	h.Advance(400 * time.Second)
	replay.SetReply(func(w http.ResponseWriter, c tests.TencentCall) {
		w.Write([]byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ReplayIndex":{"FileUrl":"http://idx/x","CreateTime":1234}}`))
	})
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppA, "roomnum": r3}).Want(t, 0)
	h.Call(tests.AppA, f.T1, "live", "roomlist", tests.M{"index": 0, "size": 1, "roomnum": r3}).Want(t, 0).Decode(t, &l)
	tests.Eq(t, "existing index", []any{l.Rooms[0].State, l.Rooms[0].ReplayIdxURL, l.Rooms[0].ReplayIdxCreatedTime}, []any{3, "http://idx/x", int64(1234)})
}

// TestCallbacks: the callbacks' own answers, their errors, and the
// callback signature when a key is configured.
func TestCallbacks(t *testing.T) { tests.EachEngine(t, testCallbacks) }

func testCallbacks(t *testing.T) {
	f := tests.NewClassroom(t, nil)
	h := f.H
	for _, body := range []string{`{}`, ``, `[]`, `{"event_type":"100","stream_id":"s"}`,
		`{"event_type":100,"stream_id":"s"}`,
		`{"event_type":100,"stream_id":"s","start_time":1,"end_time":2,"media_start_time":3,"file_size":4,"duration":5,"video_id":"v","video_url":"u","stream_param":"groupid=99999&userid=dDE="}`,
		`{"event_type":100,"stream_id":"s","start_time":1,"end_time":2,"media_start_time":3,"file_size":4,"duration":5,"video_id":"v","video_url":"u","stream_param":"groupid=10001&userid=bm9ib2R5"}`} {
		a := h.PostRaw("live", "reccall", []byte(body))
		if a.Status != 200 || string(a.Raw) != `{"code":0}` {
			t.Fatalf("reccall %s: %d %s", body, a.Status, a.Raw)
		}
	}
	h.PostRaw("live", "reccall", []byte(`{bad`)).WantInfo(t, 10002, "HTTP Request Json Parse Error")
	h.PostRaw("live", "idxfileendcall", []byte(`{bad`)).WantInfo(t, 10002, "HTTP Request Json Parse Error")
	for _, c := range f.IM.Calls() {
		if d := c.GroupData(t); tests.Num(t, d["type"]) == 1004 {
			t.Fatalf("reccall with unknown room/user sent a message: %s", c.Raw)
		}
	}

	src := func(room int64) string { return `{"GroupId":"` + strconv.FormatInt(room, 10) + `"}` }
	idx := func(body tests.M) (int, string) {
		a := h.Post("live", "idxfileendcall", body)
		var r struct {
			ActionStatus string
			ErrorCode    int
			ErrorInfo    string
		}
		if err := json.Unmarshal(a.Raw, &r); err != nil || r.ActionStatus != "OK" || len(a.Fields) != 3 {
			t.Fatalf("idxfileendcall answer %s", a.Raw)
		}
		return r.ErrorCode, r.ErrorInfo
	}
	ok := tests.M{"SrcRequest": src(f.Ended), "ErrorCode": 0, "ErrorInfo": "", "ReplayIndex": tests.M{"FileUrl": "http://i", "CreateTime": 5}}
	for name, c := range map[string]struct {
		body tests.M
		code int
	}{
		"no SrcRequest":        {merge(ok, tests.M{"SrcRequest": nil}), 10003},
		"SrcRequest object":    {merge(ok, tests.M{"SrcRequest": tests.M{"GroupId": "1"}}), 10003},
		"SrcRequest not JSON":  {merge(ok, tests.M{"SrcRequest": "{x"}), 10003},
		"no GroupId":           {merge(ok, tests.M{"SrcRequest": `{}`}), 10003},
		"no ErrorCode":         {merge(ok, tests.M{"ErrorCode": nil}), 10003},
		"ErrorCode string":     {merge(ok, tests.M{"ErrorCode": "0"}), 10003},
		"no ErrorInfo":         {merge(ok, tests.M{"ErrorInfo": nil}), 10003},
		"no ReplayIndex":       {merge(ok, tests.M{"ReplayIndex": nil}), 10003},
		"no FileUrl":           {merge(ok, tests.M{"ReplayIndex": tests.M{"CreateTime": 5}}), 10003},
		"CreateTime string":    {merge(ok, tests.M{"ReplayIndex": tests.M{"FileUrl": "u", "CreateTime": "5"}}), 10003},
		"unknown room":         {merge(ok, tests.M{"SrcRequest": src(99999)}), 10100},
		"living room":          {merge(ok, tests.M{"SrcRequest": src(f.Living)}), 10102},
		"created room":         {merge(ok, tests.M{"SrcRequest": src(f.Created)}), 10102},
		"failed index, living": {merge(ok, tests.M{"SrcRequest": src(f.Living), "ErrorCode": 5, "ReplayIndex": nil}), 10102},
	} {
		if code, info := idx(c.body); code != c.code {
			t.Errorf("%s: ErrorCode %d (%s), want %d", name, code, info, c.code)
		}
	}
	// A failed index still makes the room playable, with its code stored.
	if code, _ := idx(tests.M{"SrcRequest": src(f.Ended), "ErrorCode": 70001, "ErrorInfo": "fail"}); code != 0 {
		t.Fatalf("failed index callback: %d", code)
	}
	var l tests.RoomList
	h.Call(tests.AppA, f.T1, "live", "roomlist", tests.M{"index": 0, "size": 1, "roomnum": f.Ended}).Want(t, 0).Decode(t, &l)
	tests.Eq(t, "failed index", []any{l.Rooms[0].State, l.Rooms[0].ReplayIdxCreatedResult, l.Rooms[0].ReplayIdxURL}, []any{3, int64(70001), ""})
	// State 3 accepts a later, good index.
	if code, _ := idx(ok); code != 0 {
		t.Fatalf("index on state 3: %d", code)
	}
	h.Call(tests.AppA, f.T1, "live", "roomlist", tests.M{"index": 0, "size": 1, "roomnum": f.Ended}).Want(t, 0).Decode(t, &l)
	tests.Eq(t, "good index", []any{l.Rooms[0].State, l.Rooms[0].ReplayIdxCreatedResult, l.Rooms[0].ReplayIdxURL}, []any{3, int64(0), "http://i"})
}

// TestCallbackSignature: with a callback key, callbacks need a valid sign
// and a t not past; otherwise HTTP 403 and nothing changes.
func TestCallbackSignature(t *testing.T) {
	const key = "cbkey"
	f := tests.NewClassroom(t, func(c *server.Config) { c.CallbackKey = key })
	h := f.H
	sign := func(t int64) string {
		s := md5.Sum([]byte(key + strconv.FormatInt(t, 10)))
		return hex.EncodeToString(s[:])
	}
	future := h.Unix() + 60
	past := h.Unix() - 1
	body := tests.M{"SrcRequest": `{"GroupId":"` + strconv.FormatInt(f.Ended, 10) + `"}`, "ErrorCode": 0, "ErrorInfo": "",
		"ReplayIndex": tests.M{"FileUrl": "http://i", "CreateTime": 5}}
	for name, b := range map[string]tests.M{
		"no sign":    body,
		"wrong sign": merge(body, tests.M{"t": future, "sign": sign(future + 1)}),
		"past t":     merge(body, tests.M{"t": past, "sign": sign(past)}),
		"t float":    merge(body, tests.M{"t": 1.5, "sign": sign(future)}),
	} {
		for _, cmd := range []string{"idxfileendcall", "reccall"} {
			if a := h.Post("live", cmd, b); a.Status != http.StatusForbidden {
				t.Errorf("%s %s: HTTP %d %s", cmd, name, a.Status, a.Raw)
			}
		}
	}
	var l tests.RoomList
	h.Call(tests.AppA, f.T1, "live", "roomlist", tests.M{"index": 0, "size": 1, "roomnum": f.Ended}).Want(t, 0).Decode(t, &l)
	tests.Eq(t, "unsigned callback changed nothing", l.Rooms[0].State, 2)
	a := h.Post("live", "idxfileendcall", merge(body, tests.M{"t": strconv.FormatInt(future, 10), "sign": sign(future)}))
	tests.Eq(t, "signed callback", string(a.Raw), `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	a = h.Post("live", "reccall", tests.M{"t": future, "sign": strings.ToUpper(sign(future)), "event_type": 1, "stream_id": "x"})
	tests.Eq(t, "signed reccall", string(a.Raw), `{"code":0}`)
}

// TestInternalError: with the database gone, commands answer 90000 with
// no SQL or driver text in errorInfo.
func TestInternalError(t *testing.T) {
	h := tests.New(t, nil)
	tok := h.User(tests.AppA, "t", 1)
	st := h.Store
	h.Store = nil // closed here, not by the harness
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		svc, cmd, tok string
		f             tests.M
	}{
		{"account", "regist", "", tests.M{"id": "new", "pwd": "p", "role": 0}},
		{"account", "login", "", tests.M{"id": "t", "pwd": "pw-t"}},
		{"live", "create", tok, tests.M{"title": "x"}},
		{"live", "roomlist", tok, tests.M{"index": 0, "size": 5}},
		{"live", "roomidlist", tok, tests.M{"roomnum": 10001, "index": 0, "size": 5}},
		{"live", "reportbind", tok, tests.M{"operate": 0, "bind_file": tests.M{"type": 0, "file_name": "f", "url": "u"}}},
	} {
		a := h.Call(tests.AppA, c.tok, c.svc, c.cmd, c.f)
		a.Want(t, svc.CodeServer)
		low := strings.ToLower(a.Info)
		for _, leak := range []string{"sql", "select", "database", "closed", "t_account", "t_course", "t_class", "t_bind", "where"} {
			if strings.Contains(low, leak) {
				t.Errorf("%s: errorInfo leaks %q: %s", c.cmd, leak, a.Raw)
			}
		}
		if a.HasData {
			t.Errorf("%s: data on 90000: %s", c.cmd, a.Raw)
		}
	}
}

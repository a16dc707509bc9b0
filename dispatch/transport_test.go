package dispatch_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"sxb-edu/tests"
)

// TestTransport covers docs/protocol.md §1: routes, methods, raw bodies whatever
// the Content-Type, JSON errors, headers and the envelope.
func TestTransport(t *testing.T) {
	h := tests.New(t, nil)
	ts := strconv.FormatInt(h.Unix(), 10)
	reg := func(id string) []byte {
		return []byte(`{"appid":` + strconv.Itoa(tests.AppA) + `,"timeStamp":` + ts + `,"id":"` + id + `","pwd":"p","role":0}`)
	}
	q := "?svc=account&cmd=regist"

	// The paths that answer, with any method and content type.
	n := 0
	for _, path := range []string{"/", "/index.php", "/sxb/index.php", "/a/b/index.php", "/sxb_new/", "/a/b/"} {
		for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodPut} {
			for _, ct := range []string{"application/json", "text/plain", "application/x-www-form-urlencoded", ""} {
				n++
				a := h.Do(method, path+q, ct, reg("u"+strconv.Itoa(n)))
				a.Want(t, 0)
				if a.HasData || len(a.Fields) != 2 || a.Info != "" {
					t.Fatalf("%s %s: %s", method, path, a.Raw)
				}
				if got := a.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
					t.Fatalf("Content-Type %q", got)
				}
				if got := a.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Fatalf("Access-Control-Allow-Origin %q", got)
				}
			}
		}
	}
	// A GET without a body is an empty object.
	h.Do(http.MethodGet, "/index.php"+q, "", nil).WantInfo(t, 10003, "Lack of appid")

	// Other paths are not the protocol's: 404, still JSON with CORS (so a
	// web client can read it).
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/foo", 404}, {http.MethodGet, "/index.php/x", 404}, {http.MethodPost, "/index.phpx", 404},
		{http.MethodPost, "/sxb/index.html", 404}, {http.MethodPost, "/xindex.php", 404}, {http.MethodPost, "/healthz", 404},
	} {
		a := h.Do(c.method, c.path+q, "application/json", reg("nope"))
		if a.Status != c.status || a.Header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") || a.Fields == nil || a.Code != 10001 {
			t.Fatalf("%s %s: HTTP %d %v %s", c.method, c.path, a.Status, a.Header, a.Raw)
		}
	}
	h.Call(tests.AppA, "", "account", "login", tests.M{"id": "nope", "pwd": "p"}).Want(t, 10005)

	// CORS pre-flight.
	req, _ := http.NewRequest(http.MethodOptions, h.HTTP.URL+"/index.php"+q, nil)
	req.Header.Set("Origin", "http://example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := h.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "content-type") {
		t.Fatalf("pre-flight: %d %v", resp.StatusCode, resp.Header)
	}

	// Unknown or missing svc/cmd: 10001, before the body is looked at.
	for _, qs := range []string{"", "?svc=account", "?cmd=regist", "?svc=account&cmd=nope", "?svc=nope&cmd=regist",
		"?svc=live&cmd=regist", "?svc=Account&cmd=regist", "?svc=&cmd=", "?svc=account&cmd=regist%20"} {
		a := h.Do(http.MethodPost, "/index.php"+qs, "application/json", []byte("not json"))
		a.WantInfo(t, 10001, "Invalid request.")
		if a.HasData {
			t.Fatalf("10001 with data: %s", a.Raw)
		}
	}
	// A body over 1 MiB is refused.
	big := append([]byte(`{"appid":1,"x":"`), make([]byte, 1<<20)...)
	for i := 16; i < len(big); i++ {
		big[i] = 'a'
	}
	big = append(big, '"', '}')
	h.PostRaw("account", "regist", big).Want(t, 10001)
	// Far over it, the sender still gets the answer, not a reset.
	huge := make([]byte, 8<<20)
	for i := range huge {
		huge[i] = 'a'
	}
	h.PostRaw("account", "regist", huge).WantInfo(t, 10001, "Invalid request.")

	// Bodies that are not JSON, null, too deep, invalid UTF-8: 10002.
	deep := func(n int) string {
		return `{"appid":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
	}
	for name, body := range map[string]string{
		"not JSON":       "not json",
		"truncated":      `{"appid":1`,
		"null":           "null",
		" null ":         " null\n",
		"trailing data":  `{"appid":1} {}`,
		"two values":     `1 2`,
		"depth 12":       deep(12),
		"depth 12 list":  strings.Repeat("[", 12) + strings.Repeat("]", 12),
		"lone surrogate": `{"appid":"\ud800"}`,
		"invalid UTF-8":  "{\"id\":\"\xff\xfe\"}",
		"single quotes":  `{'appid':1}`,
		"NaN":            `{"appid":NaN}`,
		"trailing comma": `{"appid":1,}`,
	} {
		a := h.PostRaw("account", "regist", []byte(body))
		if a.Code != 10002 || a.Info != "HTTP Request Json Parse Error" || a.Status != 200 || a.HasData {
			t.Errorf("%s: %d %s", name, a.Status, a.Raw)
		}
	}
	// Depth 11 is fine (PHP's json_decode depth 12 counts the leaf); valid non-objects and empty bodies are empty objects.
	for name, body := range map[string]string{
		"depth 11":         deep(11),
		"depth 11 strings": `{"a":"[[[[[[[[[[[[[[[[[[[[","b":` + strings.Repeat("[", 10) + strings.Repeat("]", 10) + `}`,
		"surrogate pair":   `{"x":"\ud83d\ude00"}`,
		"empty":            "",
		"zero":             "0",
		"list":             `[1,2]`,
		"string":           `"x"`,
		"number":           `12`,
		"true":             `true`,
		"false":            `false`,
		"empty object":     `{}`,
		"whitespace":       " \n\t{}\n",
	} {
		a := h.PostRaw("account", "regist", []byte(body))
		if name == "depth 11" {
			a.WantInfo(t, 10003, "Invalid appid")
			continue
		}
		if a.Code != 10003 || a.Info != "Lack of appid" {
			t.Errorf("%s: %s", name, a.Raw)
		}
	}
	// A duplicate key: the last one wins, as in PHP.
	h.PostRaw("account", "regist", []byte(`{"appid":"x","appid":`+strconv.Itoa(tests.AppA)+`,"timeStamp":1}`)).WantInfo(t, 10003, "Lack of id")
	// Extra fields are ignored; unicode escapes decode.
	h.PostRaw("account", "regist", []byte(`{"appid":`+strconv.Itoa(tests.AppA)+`,"timeStamp":1,"id":"\u5b66\u751f","pwd":"p","role":0,"device":"x","extra":{"a":[1]}}`)).Want(t, 0)
	h.Call(tests.AppA, "", "account", "login", tests.M{"id": "学生", "pwd": "p"}).Want(t, 0)
}

// TestFieldTypes covers docs/protocol.md §2 through fields of real commands: int
// versus float versus string, "int or string" fields, empty() values and
// the "0" deviation.
func TestFieldTypes(t *testing.T) {
	h := tests.New(t, nil)
	tt := h.User(tests.AppA, "teach", 1)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, tt, "live", "create", tests.M{"title": "x"}).Want(t, 0).Decode(t, &d)
	room := strconv.FormatInt(d.RoomNum, 10)
	h.Call(tests.AppA, tt, "live", "startcourse", tests.M{"roomnum": d.RoomNum}).Want(t, 0)

	raw := func(cmd, fields string) tests.Answer {
		return h.PostRaw("live", cmd, []byte(`{"appid":`+strconv.Itoa(tests.AppA)+`,"timeStamp":`+strconv.FormatInt(h.Unix(), 10)+
			`,"token":"`+tt+`",`+fields+`}`))
	}
	// int fields: 1.0, 1e0, "12", true are not ints; -0 and big ints are.
	for _, v := range []string{room + ".0", room + "e0", `"` + room + `"`, "true", "null", "[]", "{}"} {
		raw("roomidlist", `"roomnum":`+room+`,"index":0,"size":`+strings.Replace(v, room, "5", 1)).Want(t, 10003)
	}
	raw("roomidlist", `"roomnum":`+room+`,"index":-0,"size":5`).Want(t, 0)
	raw("roomlist", `"index":0,"size":5,"roomnum":9223372036854775807`).Want(t, 0)
	raw("roomlist", `"index":0,"size":5,"roomnum":9223372036854775808`).Want(t, 10003)
	raw("roomlist", `"index":0,"size":5,"roomnum":null`).Want(t, 0) // optional: null is absent

	// "int or string" (roomnum of heartbeat, reportmemid, roomidlist): intval.
	var l tests.MemberList
	for _, v := range []string{room, `"` + room + `"`, `" ` + room + `abc"`, `"+` + room + `"`} {
		raw("roomidlist", `"roomnum":`+v+`,"index":0,"size":5`).Want(t, 0).Decode(t, &l)
		if l.Total != 1 || l.IDList[0].ID != "teach" {
			t.Fatalf("roomnum %s: %+v", v, l)
		}
		raw("heartbeat", `"roomnum":`+v).Want(t, 0)
	}
	for _, v := range []string{`"abc"`, `""`, `"0"`, `"-` + room + `"`} {
		raw("roomidlist", `"roomnum":`+v+`,"index":0,"size":5`).Want(t, 0).Decode(t, &l)
		if l.Total != 0 {
			t.Fatalf("roomnum %s: %+v", v, l)
		}
		raw("heartbeat", `"roomnum":`+v).Want(t, 10100)
	}
	for _, v := range []string{room + ".0", "true", "[1]", `{"a":1}`} {
		raw("heartbeat", `"roomnum":`+v).Want(t, 10003)
	}
	// A token starting with "0" and the id/password "0" are valid (Deviation).
	h.Regist(tests.AppA, "0", "0", 0)
	zero := ""
	for i := 0; i < 400 && zero == ""; i++ { // 1 in 16 tokens starts with "0"
		if tok := h.Login(tests.AppA, "0", "0").Token; tok[0] == '0' {
			zero = tok
		}
	}
	if zero == "" {
		t.Fatal("no token starting with 0 in 400 logins")
	}
	h.Call(tests.AppA, zero, "live", "roomlist", tests.M{"index": 0, "size": 1}).Want(t, 0)
	h.Call(tests.AppA, "", "account", "logout", tests.M{"token": zero}).Want(t, 0)
}

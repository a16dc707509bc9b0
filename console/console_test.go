package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sxb-edu/auiclass"
	"sxb-edu/auilive"
	"sxb-edu/console"
	"sxb-edu/goclass"
	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

type M = tests.M

const (
	adminName = "ops"
	adminPwd  = "correct horse battery"
)

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, h *tests.Env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t, h.HTTP.URL, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in %s", page)
	}
	return m[1]
}

// signIn signs b in and returns the session's CSRF token.
func (b *browser) signIn(name, pwd string) (*http.Response, string) {
	b.t.Helper()
	_, page := b.do("GET", "/admin/login", nil)
	return b.do("POST", "/admin/login", url.Values{"csrf": {csrfOf(b.t, page)}, "name": {name}, "password": {pwd}})
}

func newConsole(t *testing.T) (*tests.Env, *tests.FakeTencent) {
	t.Helper()
	im := tests.NewFakeTencent(t)
	h := tests.New(t, func(c *server.Config) { c.IMBaseURL = im.URL })
	if err := console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now()); err != nil {
		t.Fatal(err)
	}
	return h, im
}

// Every console URL but the sign-in page needs a session.
func TestNothingWithoutSession(t *testing.T) {
	h, _ := newConsole(t)
	b := newBrowser(t, h)
	for _, path := range []string{"/admin/", "/admin/classes", "/admin/classes/10001", "/admin/room?type=1&name=x",
		"/admin/users", "/admin/users?q=a", "/admin/audit", "/admin/app.js", "/admin/nothing"} {
		resp, body := b.do("GET", path, nil)
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") ||
			strings.Contains(body, "Overview") {
			t.Fatalf("GET %s without a session: %d %s %q", path, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	if resp, _ := b.do("GET", "/admin/overview.json", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("overview.json: %d", resp.StatusCode)
	}
	for _, path := range []string{"/admin/classes/10001/end", "/admin/classes/10001/remove", "/admin/classes/10001/unbind",
		"/admin/room/end", "/admin/users/10001/password", "/admin/users/10001/signout", "/admin/logout"} {
		if resp, _ := b.do("POST", path, url.Values{"csrf": {"x"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("POST %s without a session: %d", path, resp.StatusCode)
		}
	}
	// A made-up session cookie is no session.
	u, _ := url.Parse(h.HTTP.URL + "/admin/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sxb_admin", Value: strings.Repeat("ab", 32), Path: "/admin/"}})
	if resp, _ := b.do("GET", "/admin/", nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("forged cookie: %d", resp.StatusCode)
	}
}

func TestSignIn(t *testing.T) {
	h, _ := newConsole(t)
	b := newBrowser(t, h)
	if resp, body := b.signIn(adminName, "wrong password"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong name or password") {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp, _ := b.signIn("nobody", adminPwd); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown name: %d", resp.StatusCode)
	}
	// The sign-in form's CSRF token must match its cookie.
	b.do("GET", "/admin/login", nil)
	if resp, _ := b.do("POST", "/admin/login", url.Values{"csrf": {"forged"}, "name": {adminName}, "password": {adminPwd}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged login csrf: %d", resp.StatusCode)
	}
	resp, _ := b.signIn(adminName, adminPwd)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" {
		t.Fatalf("sign in: %d %v", resp.StatusCode, resp.Header)
	}
	ck := resp.Header.Values("Set-Cookie")
	var sess string
	for _, c := range ck {
		if strings.HasPrefix(c, "sxb_admin=") {
			sess = c
		}
	}
	if !strings.Contains(sess, "HttpOnly") || !strings.Contains(sess, "SameSite=Strict") || strings.Contains(sess, "Secure") {
		t.Fatalf("session cookie %q", sess)
	}
	if resp, body := b.do("GET", "/admin/", nil); resp.StatusCode != 200 || !strings.Contains(body, "Classes in progress") {
		t.Fatalf("overview: %d", resp.StatusCode)
	}
	var o map[string]any
	_, body := b.do("GET", "/admin/overview.json", nil)
	if err := json.Unmarshal([]byte(body), &o); err != nil || o["db_healthy"] != true {
		t.Fatalf("overview.json %s", body)
	}
	// Behind TLS the cookie is Secure.
	b2 := newBrowser(t, h)
	_, page := b2.do("GET", "/admin/login", nil, "X-Forwarded-Proto", "https")
	resp, _ = b2.do("POST", "/admin/login", url.Values{"csrf": {csrfOf(t, page)}, "name": {adminName}, "password": {adminPwd}}, "X-Forwarded-Proto", "https")
	if c := strings.Join(resp.Header.Values("Set-Cookie"), ";"); !strings.Contains(c, "Secure") {
		t.Fatalf("cookie behind TLS: %s", c)
	}
	// Sign out ends the session.
	_, page = b.do("GET", "/admin/", nil)
	b.do("POST", "/admin/logout", url.Values{"csrf": {csrfOf(t, page)}})
	if resp, _ := b.do("GET", "/admin/", nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("after sign out: %d", resp.StatusCode)
	}
}

func TestFailedSignInLimit(t *testing.T) {
	h, _ := newConsole(t)
	b := newBrowser(t, h)
	for range 5 {
		b.signIn(adminName, "guess")
	}
	if resp, body := b.signIn(adminName, adminPwd); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many") {
		t.Fatalf("sixth attempt: %d", resp.StatusCode)
	}
	h.Advance(16 * time.Minute)
	if resp, _ := b.signIn(adminName, adminPwd); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d", resp.StatusCode)
	}
}

func TestSessionExpires(t *testing.T) {
	h, _ := newConsole(t)
	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	h.Advance(11 * time.Hour)
	if resp, _ := b.do("GET", "/admin/", nil); resp.StatusCode != 200 {
		t.Fatalf("within the idle time: %d", resp.StatusCode)
	}
	h.Advance(11 * time.Hour) // used 11 h ago: still on (the expiry slides)
	if resp, _ := b.do("GET", "/admin/", nil); resp.StatusCode != 200 {
		t.Fatalf("sliding: %d", resp.StatusCode)
	}
	h.Advance(console.SessionIdle + time.Minute)
	if resp, _ := b.do("GET", "/admin/", nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("expired session: %d", resp.StatusCode)
	}
}

func TestSetupLink(t *testing.T) {
	h := tests.New(t, nil)
	link, err := h.App.Console.SetupLink(context.Background())
	if err != nil || !strings.HasPrefix(link, "/admin/setup?token=") {
		t.Fatalf("link %q %v", link, err)
	}
	b := newBrowser(t, h)
	if resp, _ := b.do("GET", "/admin/setup?token=wrong", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	tok := strings.TrimPrefix(link, "/admin/setup?token=")
	if resp, _ := b.do("POST", "/admin/setup", url.Values{"csrf": {tok}, "name": {"first"}, "password": {"short"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("short password: %d", resp.StatusCode)
	}
	if resp, _ := b.do("POST", "/admin/setup", url.Values{"csrf": {tok}, "name": {"first"}, "password": {"long enough"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	if resp, _ := b.do("GET", link, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the link works twice: %d", resp.StatusCode)
	}
	if l, _ := h.App.Console.SetupLink(context.Background()); l != "" {
		t.Fatalf("a link with an account: %q", l)
	}
	if resp, _ := b.signIn("first", "long enough"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
}

// The actions over HTTP: each has the protocol's effect and is audited;
// a forged CSRF token changes nothing.
func TestActions(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, im := newConsole(t)
		teacher, student := h.User(tests.AppA, "teach", 1), h.User(tests.AppA, "stud", 0)
		var d struct{ RoomNum int64 }
		h.Call(tests.AppA, teacher, "live", "create", M{"title": "Algebra"}).Want(t, 0).Decode(t, &d)
		h.Call(tests.AppA, teacher, "live", "startcourse", M{"roomnum": d.RoomNum}).Want(t, 0)
		h.Call(tests.AppA, student, "live", "reportmemid", M{"roomnum": d.RoomNum, "operate": 0}).Want(t, 0)
		h.Call(tests.AppA, teacher, "live", "reportbind", M{"operate": 0, "roomnum": d.RoomNum, "bind_file": M{"type": 1, "file_name": "a.pdf", "url": "https://x/a.pdf"}}).Want(t, 0)
		b := newBrowser(t, h)
		b.signIn(adminName, adminPwd)
		path := "/admin/classes/" + itoa(d.RoomNum)
		resp, page := b.do("GET", path, nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "stud") || !strings.Contains(page, "a.pdf") || !strings.Contains(page, "present") {
			t.Fatalf("class page: %d %s", resp.StatusCode, page)
		}
		csrf := csrfOf(t, page)
		studentUin := regexp.MustCompile(`name="uin" value="(\d+)"><button class="danger" data-remove="stud"`).FindStringSubmatch(page)[1]
		// A forged token changes nothing.
		if resp, _ := b.do("POST", path+"/end", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("forged csrf: %d", resp.StatusCode)
		}

		before := len(im.Calls())
		resp, _ = b.do("POST", path+"/remove", url.Values{"csrf": {csrf}, "uin": {studentUin}})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "note=") {
			t.Fatalf("remove: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		calls := im.Calls()[before:]
		if len(calls) != 1 || !strings.Contains(string(calls[0].Raw), "1005") || !strings.Contains(string(calls[0].Raw), "stud") {
			t.Fatalf("removal IM: %+v", calls)
		}
		h.Call(tests.AppA, student, "live", "reportmemid", M{"roomnum": d.RoomNum, "operate": 0}).WantInfo(t, svc.CodeRemoved, "removed from this class by an operator")
		b.do("POST", path+"/unbind", url.Values{"csrf": {csrf}, "uin": {regexp.MustCompile(`name="uin" value="(\d+)"><input type="hidden" name="url"`).FindStringSubmatch(page)[1]}, "url": {"https://x/a.pdf"}})
		resp, _ = b.do("POST", path+"/end", url.Values{"csrf": {csrf}})
		if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "error=") {
			t.Fatalf("end: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if st := tests.QueryInt(t, h.DBPath, "SELECT state FROM t_course WHERE room_id = ?", d.RoomNum); st != 2 {
			t.Fatalf("state %d after the console ended it", st)
		}
		if n := tests.QueryInt(t, h.DBPath, "SELECT COUNT(*) FROM t_bind_file WHERE room_id = ?", d.RoomNum); n != 0 {
			t.Fatalf("%d bindings after unbinding", n)
		}
		h.Call(tests.AppA, teacher, "live", "exitroom", M{"roomnum": d.RoomNum}).Want(t, svc.CodeRoomState)

		// Users: a new password, and signing out everywhere.
		if _, page := b.do("GET", "/admin/users?q=%25", nil); !strings.Contains(page, "No user matches") {
			t.Fatal("a search for % matched users")
		}
		_, page = b.do("GET", "/admin/users?q=stud", nil)
		uin := regexp.MustCompile(`/admin/users/(\d+)/password`).FindStringSubmatch(page)[1]
		b.do("POST", "/admin/users/"+uin+"/password", url.Values{"csrf": {csrf}, "password": {"fresh-pass"}})
		h.Call(tests.AppA, student, "live", "roomlist", M{"index": 0, "size": 10}).Want(t, svc.CodeTokenExpire)
		h.Login(tests.AppA, "stud", "fresh-pass")
		tok := h.Login(tests.AppA, "teach", "pw-teach")
		_, page = b.do("GET", "/admin/users?q=teach", nil)
		uin = regexp.MustCompile(`/admin/users/(\d+)/signout`).FindStringSubmatch(page)[1]
		b.do("POST", "/admin/users/"+uin+"/signout", url.Values{"csrf": {csrf}})
		h.Call(tests.AppA, tok.Token, "live", "roomlist", M{"index": 0, "size": 10}).Want(t, svc.CodeTokenExpire)

		_, page = b.do("GET", "/admin/audit", nil)
		for _, a := range []string{"sign in", "remove member", "unbind file", "end class", "reset password", "sign user out"} {
			if !strings.Contains(page, "<td>"+a+"</td>") {
				t.Fatalf("audit lacks %q", a)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var roomLinkRe = regexp.MustCompile(`href="(/admin/room\?[^"]*)"`)

// roomLink finds the classes page's link to the GO课堂 room named name.
func (b *browser) roomLink(t *testing.T, name string) string {
	t.Helper()
	_, page := b.do("GET", "/admin/classes", nil)
	for _, m := range roomLinkRe.FindAllStringSubmatch(page, -1) {
		link := html.UnescapeString(m[1])
		u, err := url.Parse(link)
		if err == nil && u.Query().Get("name") == name {
			return link
		}
	}
	t.Fatalf("the classes page has no link to room %q: %s", name, page)
	return ""
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// endForm reads the room page's End form: its action and hidden fields.
func endForm(t *testing.T, page string) url.Values {
	t.Helper()
	i := strings.Index(page, `action="/admin/room/end"`)
	if i < 0 {
		t.Fatalf("the room page has no End form posting to /admin/room/end: %s", page)
	}
	form := page[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(form, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// GO课堂 room names are the clients' choice: hostile ones open from the
// list, and the End form ends that room and nothing else (a name once
// made a form post to another user's sign-out).
func TestGoClassHostileRoomNames(t *testing.T) {
	z := tests.NewFakeZego(t)
	h := tests.New(t, func(c *server.Config) { c.GoClass = tests.ZegoConfig(z) })
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	victim := h.User(tests.AppA, "victim", 0)
	names := []string{"x/../../../users/10001/signout?", "a/b", "q?x=1", "h#frag", ".", "..", "../..", "%2e%2e", "sp ace", "<b>&\"'"}
	for i, n := range names {
		h.GoClass("login_room", M{"room_id": n, "room_type": 1, "uid": 100 + i, "nick_name": "T", "role": 1}).Want(t, 0)
	}
	z.Calls()
	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	for i, n := range names {
		_, page := b.do("GET", b.roomLink(t, n), nil)
		if !strings.Contains(page, ">"+html.EscapeString(n)+"<") && !strings.Contains(page, template.HTMLEscapeString(n)) {
			t.Fatalf("room %q: its page does not show it: %s", n, page)
		}
		form := endForm(t, page)
		if form.Get("name") != n || form.Get("type") != "1" {
			t.Fatalf("room %q: End form fields %v", n, form)
		}
		resp, _ := b.do("POST", "/admin/room/end", form)
		if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "error=") {
			t.Fatalf("room %q: end: %d %s", n, resp.StatusCode, resp.Header.Get("Location"))
		}
		// That room is gone, the others are not.
		h.GoClass("heartbeat", M{"room_id": n, "room_type": 1, "uid": 100 + i}).Want(t, goclass.CodeNeedLogin)
		if i+1 < len(names) {
			h.GoClass("heartbeat", M{"room_id": names[i+1], "room_type": 1, "uid": 101 + i}).Want(t, 0)
		}
	}
	// Nobody was signed out.
	h.Call(tests.AppA, victim, "live", "roomlist", M{"index": 0, "size": 1}).Want(t, 0)
}

func TestGoClassRooms(t *testing.T) {
	z := tests.NewFakeZego(t)
	h := tests.New(t, func(c *server.Config) { c.GoClass = tests.ZegoConfig(z) })
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	h.GoClass("login_room", M{"room_id": "math:1", "room_type": 2, "uid": 7, "nick_name": "Teacher Wang", "role": 1}).Want(t, 0)
	h.GoClass("login_room", M{"room_id": "math:1", "room_type": 2, "uid": 8, "nick_name": "Lei", "role": 2}).Want(t, 0)
	z.Calls()
	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	_, page := b.do("GET", b.roomLink(t, "math:1"), nil)
	if !strings.Contains(page, "Teacher Wang") || !strings.Contains(page, "Lei") {
		t.Fatalf("room page: %s", page)
	}
	resp, _ := b.do("POST", "/admin/room/end", endForm(t, page))
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "error=") {
		t.Fatalf("end: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	calls := z.Calls()
	if len(calls) != 2 || calls[0].Body["msg_content"] != `{"cmd":105,"data":{}}` || calls[1].Path != "/cgi/clearroom" {
		t.Fatalf("zego calls: %+v", calls)
	}
	h.GoClass("heartbeat", M{"room_id": "math:1", "room_type": 2, "uid": 8}).Want(t, 10005)
	if _, page := b.do("GET", "/admin/audit", nil); !strings.Contains(page, "end GO-class room") {
		t.Fatal("not audited")
	}
}

// signInFrom signs in through a proxy that names the client addr.
func (b *browser) signInFrom(addr, name, pwd string) (*http.Response, string) {
	b.t.Helper()
	_, page := b.do("GET", "/admin/login", nil, "X-Real-IP", addr)
	return b.do("POST", "/admin/login", url.Values{"csrf": {csrfOf(b.t, page)}, "name": {name}, "password": {pwd}},
		"X-Real-IP", addr)
}

// Behind a trusted proxy the sign-in limits go by the client the proxy
// names: one client's failures lock that client out, not the operator
// signing in from elsewhere; failures and the lockout are audited with
// the client's address.
func TestSignInLockoutBehindProxy(t *testing.T) {
	h := tests.New(t, func(c *server.Config) { c.TrustedProxies = []string{"127.0.0.1", "::1"} })
	if err := console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now()); err != nil {
		t.Fatal(err)
	}
	attacker := newBrowser(t, h)
	for i := range 5 {
		if resp, _ := attacker.signInFrom("203.0.113.5", fmt.Sprint("guess", i), "wrong-password"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: HTTP %d", i, resp.StatusCode)
		}
	}
	if resp, _ := attacker.signInFrom("203.0.113.5", adminName, adminPwd); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the attacker's sixth try: HTTP %d, want 429", resp.StatusCode)
	}
	op := newBrowser(t, h)
	if resp, _ := op.signInFrom("198.51.100.7", adminName, adminPwd); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the operator from another address is locked out: HTTP %d", resp.StatusCode)
	}
	_, page := op.do("GET", "/admin/audit", nil, "X-Real-IP", "198.51.100.7")
	for _, want := range []string{"failed sign-in", "sign-in locked out", "203.0.113.5", "198.51.100.7"} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit list lacks %q", want)
		}
	}
	if log := h.LogText(); !strings.Contains(log, `"addr":"203.0.113.5"`) || strings.Contains(log, `"name":"guess0","addr":"127.0.0.1"`) {
		t.Errorf("the log does not name the client: %s", log)
	}
}

// MySQL's comparisons ignore trailing spaces: on both engines a name with
// spaces at either end is refused, never another way into an account.
func TestTrailingSpacesAreNoWayIn(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		z := tests.NewFakeZego(t)
		h := tests.New(t, func(c *server.Config) { c.GoClass = tests.ZegoConfig(z) })
		if err := console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now()); err != nil {
			t.Fatal(err)
		}
		// Console: the account locked, its name with a space is locked too
		// and never signs in.
		b := newBrowser(t, h)
		for range 5 {
			b.signIn(adminName, "wrong-password")
		}
		for _, n := range []string{adminName + " ", adminName + "  ", " " + adminName} {
			if resp, _ := newBrowser(t, h).signIn(n, adminPwd); resp.StatusCode == http.StatusSeeOther {
				t.Fatalf("console name %q signed in while %s is locked", n, adminName)
			}
		}
		// The protocol: erin' s twin with spaces is neither made nor let in.
		h.Regist(tests.AppA, "erin", "pw", 0)
		h.Post("account", "regist", M{"appid": tests.AppA, "timeStamp": 1, "id": "erin ", "pwd": "pw", "role": 0}).
			WantInfo(t, svc.CodeReqData, "Invalid id: spaces at the start or end")
		for _, id := range []string{"erin ", "erin   ", " erin"} {
			h.Post("account", "login", M{"appid": tests.AppA, "timeStamp": 1, "id": id, "pwd": "pw"}).Want(t, svc.CodeUserNotExist)
		}
		h.Login(tests.AppA, "erin", "pw")
		// GO课堂: 'padroom  ' is refused, not padroom under another name.
		h.GoClass("login_room", M{"room_id": "padroom", "uid": 1, "nick_name": "T", "role": 1}).Want(t, 0)
		h.GoClass("login_room", M{"room_id": "padroom  ", "uid": 2, "nick_name": "S", "role": 2}).Want(t, goclass.CodeInvalid)
	})
}

// GO课堂 rooms are listed a page at a time.
func TestGoClassRoomsPaged(t *testing.T) {
	z := tests.NewFakeZego(t)
	h := tests.New(t, func(c *server.Config) { c.GoClass = tests.ZegoConfig(z); c.GoClass.RoomsPerMinute = 1000 })
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	for i := range 60 {
		h.GoClass("login_room", M{"room_id": fmt.Sprint("r", i), "uid": 1, "nick_name": "T", "role": 1}).Want(t, 0)
	}
	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	_, page := b.do("GET", "/admin/classes", nil)
	if n := len(roomLinkRe.FindAllString(page, -1)); n != 50 || !strings.Contains(page, "60 GO-class rooms · page 1 of 2") {
		t.Fatalf("first page: %d links", n)
	}
	_, page = b.do("GET", "/admin/classes?epage=2", nil)
	if n := len(roomLinkRe.FindAllString(page, -1)); n != 10 || !strings.Contains(page, "page 2 of 2") {
		t.Fatalf("second page: %d links", n)
	}
}

// A setup link makes one account however many posts race, and lapses
// after a day (a new one is made then).
func TestSetupLinkOnceAndLapses(t *testing.T) {
	h := tests.New(t, nil)
	link, err := h.App.Console.SetupLink(context.Background())
	if err != nil || link == "" {
		t.Fatalf("link %q %v", link, err)
	}
	tok := strings.TrimPrefix(link, "/admin/setup?token=")
	var wg sync.WaitGroup
	var made atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			b := newBrowser(t, h)
			resp, _ := b.do("POST", "/admin/setup", url.Values{"csrf": {tok}, "name": {fmt.Sprint("op", i)}, "password": {adminPwd}})
			if resp.StatusCode == http.StatusSeeOther {
				made.Add(1)
			}
		})
	}
	wg.Wait()
	if n, _ := h.Store.AdminCount(context.Background()); made.Load() != 1 || n != 1 {
		t.Fatalf("8 racing posts made %d accounts (%d answered as made)", n, made.Load())
	}

	h2 := tests.New(t, nil)
	link, _ = h2.App.Console.SetupLink(context.Background())
	b := newBrowser(t, h2)
	if resp, _ := b.do("GET", link, nil); resp.StatusCode != 200 {
		t.Fatalf("fresh link: %d", resp.StatusCode)
	}
	h2.Advance(console.SetupLinkLife + time.Minute)
	if resp, _ := b.do("GET", link, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a day-old link: %d", resp.StatusCode)
	}
	if again, _ := h2.App.Console.SetupLink(context.Background()); again == link || again == "" {
		t.Fatalf("no new link after the old lapsed: %q", again)
	}
}

// After sign-in only a cleaned path under /admin/ of this server is
// followed.
func TestSignInNextStaysHome(t *testing.T) {
	h, _ := newConsole(t)
	for next, want := range map[string]string{
		"/admin/classes?state=1":     "/admin/classes?state=1",
		"/admin/../\\evil.example/x": "/admin/", "/admin/..//evil.example": "/admin/", "//evil.example/admin/": "/admin/",
		"https://evil.example/admin/": "/admin/", "/admin/%2e%2e/x": "/admin/", "/elsewhere": "/admin/", "/admin/./users": "/admin/users",
	} {
		b := newBrowser(t, h)
		_, page := b.do("GET", "/admin/login", nil)
		resp, _ := b.do("POST", "/admin/login", url.Values{"csrf": {csrfOf(t, page)}, "name": {adminName}, "password": {adminPwd}, "next": {next}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next %q: %d to %q, want %q", next, resp.StatusCode, got, want)
		}
	}
}

// An action and its audit row commit together: when the row cannot be
// written the action does not happen. Errors are told in sentences.
func TestActionWithoutAuditDoesNotHappen(t *testing.T) {
	h, _ := newConsole(t)
	teacher := h.User(tests.AppA, "teach", 1)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", M{"title": "Algebra"}).Want(t, 0).Decode(t, &d)
	h.Call(tests.AppA, teacher, "live", "startcourse", M{"roomnum": d.RoomNum}).Want(t, 0)
	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	path := "/admin/classes/" + itoa(d.RoomNum)
	_, page := b.do("GET", path, nil)
	csrf := csrfOf(t, page)

	resp, _ := b.do("POST", "/admin/classes/99999/end", url.Values{"csrf": {csrf}})
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "no class 99999" {
		t.Fatalf("end of a missing class: %s", resp.Header.Get("Location"))
	}
	tests.Exec(t, h.DBPath, "ALTER TABLE t_audit RENAME TO t_audit_gone")
	resp, _ = b.do("POST", path+"/end", url.Values{"csrf": {csrf}})
	if !strings.Contains(resp.Header.Get("Location"), "error=") {
		t.Fatalf("end without an audit: %s", resp.Header.Get("Location"))
	}
	if st := tests.QueryInt(t, h.DBPath, "SELECT state FROM t_course WHERE room_id = ?", d.RoomNum); st != 1 {
		t.Fatalf("the class ended without its audit row (state %d)", st)
	}
	tests.Exec(t, h.DBPath, "ALTER TABLE t_audit_gone RENAME TO t_audit")
	b.do("POST", path+"/end", url.Values{"csrf": {csrf}})
	if st := tests.QueryInt(t, h.DBPath, "SELECT state FROM t_course WHERE room_id = ?", d.RoomNum); st != 2 {
		t.Fatalf("state %d after the end", st)
	}
	if n := tests.QueryInt(t, h.DBPath, "SELECT COUNT(*) FROM t_audit WHERE action = 'end class' AND target = ?", itoa(d.RoomNum)); n != 1 {
		t.Fatalf("%d audit rows for the end", n)
	}
}

var liveLinkRe = regexp.MustCompile(`href="(/admin/live\?id=[^"]*)"`)

// AUI live rooms: listed with the classes, their page shows the
// co-streaming list, an operator ends any anchor's room (audited) and the
// apps then read it ended.
func TestAUILiveRooms(t *testing.T) {
	h := tests.New(t, func(c *server.Config) { c.AUILive = &auilive.Config{} })
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	h.Regist(tests.AppA, "anna", "pw-anna", 1)
	post := func(path, tok string, body M) M {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", h.HTTP.URL+path, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m M
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	tok := post("/login", "", M{"username": "anna", "password": "pw-anna"})["token"].(string)
	id := post("/api/v1/live/create", tok, M{"title": "Evening <live>", "anchor": "anna", "anchor_nick": "Anna", "mode": 1})["id"].(string)
	post("/api/v1/live/start", tok, M{"id": id, "user_id": "anna"})
	post("/api/v1/live/updateMeetingInfo", tok, M{"id": id, "members": []M{{"user_id": "guest-7", "user_nick": "Guest Seven", "camera_opened": true}}})

	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	_, page := b.do("GET", "/admin/classes", nil)
	m := liveLinkRe.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Evening &lt;live&gt;") || !strings.Contains(page, ">live<") {
		t.Fatalf("the classes page lacks the live room: %s", page)
	}
	_, page = b.do("GET", html.UnescapeString(m[1]), nil)
	if !strings.Contains(page, "Guest Seven") || !strings.Contains(page, "co-streaming") || !strings.Contains(page, id) {
		t.Fatalf("live room page: %s", page)
	}
	form := url.Values{"csrf": {csrfOf(t, page)}, "id": {id}}
	resp, _ := b.do("POST", "/admin/live/end", form)
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "error=") {
		t.Fatalf("end: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if g := post("/api/v1/live/get", tok, M{"id": id, "user_id": "anna"}); g["status"] != float64(auilive.StatusStopped) {
		t.Fatalf("after the operator's end the app reads %v", g)
	}
	if _, page := b.do("GET", "/admin/audit", nil); !strings.Contains(page, "end live room") {
		t.Fatal("not audited")
	}
	resp, _ = b.do("POST", "/admin/live/end", url.Values{"csrf": {form.Get("csrf")}, "id": {"nope"}})
	if !strings.Contains(resp.Header.Get("Location"), "error=") {
		t.Fatalf("ending a missing room: %s", resp.Header.Get("Location"))
	}
	// A CSRF-less post changes nothing.
	if resp, _ := b.do("POST", "/admin/live/end", url.Values{"id": {id}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("end without csrf: %d", resp.StatusCode)
	}
}

var auiLinkRe = regexp.MustCompile(`href="(/admin/auiclass\?id=[^"]*)"`)

// AUI classroom classes: listed, a class's page with members, kicks,
// courseware and permit; an operator removes a member (kicked out),
// lifts the kick and ends the class, each audited.
func TestAUIClasses(t *testing.T) {
	h := tests.New(t, func(c *server.Config) { c.AUIClass = &auiclass.Config{} })
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	post := func(path, tok string, body M) M {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", h.HTTP.URL+path, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m M
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	toks := map[string]string{}
	for _, u := range []string{"tina", "sam"} {
		h.Regist(tests.AppA, u, "pw-"+u, 0)
		toks[u] = post("/login", "", M{"username": u, "password": "pw-" + u})["data"].(M)["token"].(string)
	}
	id := post("/api/v1/class/create", toks["tina"], M{"title": "Biology <1>", "teacher_id": "tina", "mode": 0, "im_server": []string{"aliyun"}})["data"].(M)["id"].(string)
	post("/api/v1/class/joinClass", toks["sam"], M{"class_id": id, "user_id": "sam", "user_name": "Sam Student"})
	post("/api/v1/class/addDoc", toks["tina"], M{"classId": id, "docId": "slides-1", "serverType": "netease", "data": "{}"})

	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	_, page := b.do("GET", "/admin/classes", nil)
	m := auiLinkRe.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Biology &lt;1&gt;") {
		t.Fatalf("the classes page lacks the AUI class: %s", page)
	}
	_, page = b.do("GET", html.UnescapeString(m[1]), nil)
	if !strings.Contains(page, "Sam Student") || !strings.Contains(page, "slides-1") || !strings.Contains(page, "present") {
		t.Fatalf("AUI class page: %s", page)
	}
	csrf := csrfOf(t, page)
	resp, _ := b.do("POST", "/admin/auiclass/remove", url.Values{"csrf": {csrf}, "id": {id}, "user": {"sam"}})
	if strings.Contains(resp.Header.Get("Location"), "error=") {
		t.Fatalf("remove: %s", resp.Header.Get("Location"))
	}
	if r := post("/api/v1/class/joinClass", toks["sam"], M{"class_id": id, "user_id": "sam", "user_name": "Sam Student"}); fmt.Sprint(r["data"]) != "map[reason:InBlackList]" {
		t.Fatalf("a removed member joins: %v", r)
	}
	resp, _ = b.do("POST", "/admin/auiclass/lift", url.Values{"csrf": {csrf}, "id": {id}, "user": {"sam"}})
	if strings.Contains(resp.Header.Get("Location"), "error=") {
		t.Fatalf("lift: %s", resp.Header.Get("Location"))
	}
	if r := post("/api/v1/class/joinClass", toks["sam"], M{"class_id": id, "user_id": "sam", "user_name": "Sam Student"}); r["success"] != true {
		t.Fatalf("after the lift: %v", r)
	}
	resp, _ = b.do("POST", "/admin/auiclass/lift", url.Values{"csrf": {csrf}, "id": {id}, "user": {"sam"}})
	if !strings.Contains(resp.Header.Get("Location"), "error=") {
		t.Fatal("lifting a kick that is not there succeeded")
	}
	b.do("POST", "/admin/auiclass/end", url.Values{"csrf": {csrf}, "id": {id}})
	if g := post("/api/v1/class/get", toks["sam"], M{"id": id, "user_id": "sam"}); g["data"].(M)["status"] != float64(2) {
		t.Fatalf("after the operator's end: %v", g)
	}
	_, page = b.do("GET", "/admin/audit", nil)
	for _, a := range []string{"remove AUI class member", "lift AUI class kick", "end AUI class"} {
		if !strings.Contains(page, a) {
			t.Fatalf("audit lacks %q", a)
		}
	}
}

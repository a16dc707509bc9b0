package auilive_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sxb-edu/aui"
	"sxb-edu/auilive"
	"sxb-edu/server"
	"sxb-edu/tests"
)

type M = map[string]any

// liveCfg is an aui_live section pointed at the fake cloud.
func liveCfg(f *tests.FakeAliyun) *auilive.Config {
	c := &auilive.Config{IMAppID: tests.AliyunIMApp,
		Stream: aui.Stream{PushDomain: "push.school.example", PushAuthKey: "push-key-1",
			PullDomain: "pull.school.example", PullAuthKey: "pull-key-2"},
		Mic: aui.Mic{AppID: "mic-app", AppKey: "mic-key"}}
	if f != nil {
		c.OpenAPI.Endpoint, c.OpenAPI.AccessKeyID, c.OpenAPI.AccessKeySecret = f.Endpoint(), tests.AliyunKeyID, tests.AliyunKeySecret
	}
	return c
}

// env starts a server whose aui_live section edit may change; apps: the
// test's two apps (so login defaults to "accounts") unless demo.
func env(t *testing.T, f *tests.FakeAliyun, edit func(*auilive.Config)) *tests.Env {
	return tests.New(t, func(c *server.Config) {
		c.AUILive = liveCfg(f)
		if edit != nil {
			edit(c.AUILive)
		}
	})
}

type answer struct {
	status int
	header http.Header
	raw    []byte
}

func (a answer) obj(t *testing.T) M {
	t.Helper()
	var m M
	if err := json.Unmarshal(a.raw, &m); err != nil {
		t.Fatalf("answer %d %q: %v", a.status, a.raw, err)
	}
	return m
}

// want checks an error answer: the status and the reference's shape.
func (a answer) want(t *testing.T, status int, msg string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	m := a.obj(t)
	if m["code"] != float64(status) || !strings.Contains(fmt.Sprint(m["message"]), msg) {
		t.Fatalf("answer %s, want code %d and a message with %q", a.raw, status, msg)
	}
}

func do(t *testing.T, h *tests.Env, method, path, token, ct string, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, h.HTTP.URL+path, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, raw}
}

func post(t *testing.T, h *tests.Env, path, token string, body any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	return do(t, h, http.MethodPost, path, token, "application/json", string(b))
}

func login(t *testing.T, h *tests.Env, name, pwd string) string {
	t.Helper()
	a := post(t, h, "/api/v1/live/login", "", M{"username": name, "password": pwd})
	m := a.obj(t)
	if a.status != 200 || m["code"] != float64(200) || m["token"] == nil {
		t.Fatalf("login %s: %d %s", name, a.status, a.raw)
	}
	return m["token"].(string)
}

// authKey is Alibaba's type-A signature, computed here from its
// documented formula.
func authKey(path, key string, exp int64) string {
	sum := md5.Sum([]byte(fmt.Sprintf("%s-%d-0-0-%s", path, exp, key)))
	return fmt.Sprintf("%d-0-0-%x", exp, sum)
}

func TestLiveRoomWalk(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		f := tests.NewFakeAliyun(t)
		f.Stats = map[string]int64{"online": 7, "like": 3, "pv": 12, "uv": 9}
		f.Muted = map[string][]string{"viewer": {"anchor-mute"}}
		h := env(t, f, nil)
		h.Regist(tests.AppA, "anchor", "pw-anchor", 1)
		h.Regist(tests.AppA, "viewer", "pw-viewer", 0)
		at, vt := login(t, h, "anchor", "pw-anchor"), login(t, h, "viewer", "pw-viewer")

		a := post(t, h, "/api/v1/live/create", at, M{"title": "Maths", "notice": "n", "cover_url": "c", "anchor": "anchor",
			"anchor_nick": "Ms A", "mode": 1, "extends": `{"k":1}`})
		if a.status != 200 {
			t.Fatalf("create: %d %s", a.status, a.raw)
		}
		room := a.obj(t)
		id := room["id"].(string)
		if id != "grp-1" || room["chat_id"] != id || room["anchor_nick"] != "Ms A" || room["status"] != float64(0) ||
			room["mode"] != float64(1) || room["meeting_id"] == "" || room["push_url_info"] == nil || room["link_info"] == nil {
			t.Fatalf("create answered %s", a.raw)
		}
		if c := f.Calls()[0]; c.Action != "CreateMessageGroup" || c.Params["CreatorId"] != "anchor" || c.Params["AppId"] != tests.AliyunIMApp {
			t.Fatalf("create called %+v", c)
		}

		// The URLs, exactly: each format signs its own path.
		now := h.Unix()
		exp := now + 604800
		pull := room["pull_url_info"].(M)
		wantPull := M{
			"rtmp_url": "rtmp://pull.school.example/live/" + id + "?auth_key=" + authKey("/live/"+id, "pull-key-2", exp),
			"rts_url":  "artc://pull.school.example/live/" + id + "?auth_key=" + authKey("/live/"+id, "pull-key-2", exp),
			"flv_url":  "http://pull.school.example/live/" + id + ".flv?auth_key=" + authKey("/live/"+id+".flv", "pull-key-2", exp),
			"hls_url":  "http://pull.school.example/live/" + id + ".m3u8?auth_key=" + authKey("/live/"+id+".m3u8", "pull-key-2", exp),
		}
		for k, v := range wantPull {
			if pull[k] != v {
				t.Errorf("pull %s = %v, want %v", k, pull[k], v)
			}
		}
		push := room["push_url_info"].(M)
		pk := "push.school.example/live/" + id + "?auth_key=" + authKey("/live/"+id, "push-key-1", exp)
		if push["rtmp_url"] != "rtmp://"+pk || push["rts_url"] != "artc://"+pk || push["srt_url"] != "srt://"+pk {
			t.Errorf("push %v, want …%s", push, pk)
		}
		meeting := room["meeting_id"].(string)
		ts := now + 86400
		sum := sha256.Sum256([]byte(fmt.Sprintf("mic-app%s%s%s%d", "mic-key", meeting, "anchor", ts)))
		link := room["link_info"].(M)
		if want := fmt.Sprintf("artc://live.aliyun.com/push/%s?sdkAppId=mic-app&userId=anchor&timestamp=%d&token=%s", meeting, ts, hex.EncodeToString(sum[:])); link["rtc_push_url"] != want {
			t.Errorf("rtc push %v, want %s", link["rtc_push_url"], want)
		}
		if !strings.HasPrefix(link["rtc_pull_url"].(string), "artc://live.aliyun.com/play/"+meeting+"?") {
			t.Errorf("rtc pull %v", link["rtc_pull_url"])
		}
		stream := "mic-app_" + meeting + "_anchor_camera"
		if cdn := link["cdn_pull_info"].(M); cdn["flv_url"] != "http://pull.school.example/live/"+stream+".flv?auth_key="+authKey("/live/"+stream+".flv", "pull-key-2", exp) {
			t.Errorf("cdn %v", cdn)
		}

		// A viewer reads it: no push URLs, the audience figures, its mute state.
		g := post(t, h, "/api/v1/live/get", vt, M{"id": id, "user_id": "viewer"}).obj(t)
		if g["push_url_info"] != nil || g["pull_url_info"] == nil || g["anchor_nick"] != "Ms A" {
			t.Fatalf("viewer's get: %v", g)
		}
		if m := g["metrics"].(M); m["online_count"] != float64(7) || m["like_count"] != float64(3) || m["pv"] != float64(12) || m["uv"] != float64(9) {
			t.Fatalf("metrics %v", m)
		}
		if u := g["user_status"].(M); u["mute"] != true || fmt.Sprint(u["mute_source"]) != "[anchor-mute]" {
			t.Fatalf("user status %v", u)
		}
		// Claiming to be the anchor in the body gives no push URLs.
		if g := post(t, h, "/api/v1/live/get", vt, M{"id": id, "user_id": "anchor"}).obj(t); g["push_url_info"] != nil {
			t.Fatalf("viewer got the push URLs: %v", g)
		}
		if g := post(t, h, "/api/v1/live/get", at, M{"id": id, "user_id": "anchor"}).obj(t); g["push_url_info"] == nil {
			t.Fatalf("anchor's get has no push URLs: %v", g)
		}

		// Ownership: the viewer can change nothing.
		for _, cmd := range []string{"start", "pause", "stop", "delete"} {
			post(t, h, "/api/v1/live/"+cmd, vt, M{"id": id, "user_id": "viewer"}).want(t, 403, "only the anchor")
		}
		post(t, h, "/api/v1/live/update", vt, M{"id": id, "title": "hijack"}).want(t, 403, "only the anchor")
		post(t, h, "/api/v1/live/updateMeetingInfo", vt, M{"id": id, "members": []M{{"user_id": "viewer"}}}).want(t, 403, "only the anchor")

		// The anchor walks the states; every answer is the stored room.
		h.Advance(time.Minute)
		s := post(t, h, "/api/v1/live/start", at, M{"id": id, "user_id": "anchor"}).obj(t)
		if s["status"] != float64(1) || s["started_at"] == "0001-01-01T00:00:00Z" {
			t.Fatalf("start: %v", s)
		}
		p := do(t, h, http.MethodPost, "/api/v1/live/pause", at, "application/json; charset=utf-8", fmt.Sprintf(`{"id":%q,"user_id":"anchor"}`, id))
		if p.status != 200 || p.obj(t)["status"] != float64(3) {
			t.Fatalf("pause: %d %s", p.status, p.raw)
		}
		if g := post(t, h, "/api/v1/live/get", vt, M{"id": id, "user_id": "viewer"}).obj(t); g["status"] != float64(3) {
			t.Fatalf("pause not stored: %v", g)
		}
		u := post(t, h, "/api/v1/live/update", at, M{"id": id, "title": "Maths 2", "notice": ""}).obj(t)
		if u["title"] != "Maths 2" || u["notice"] != "n" {
			t.Fatalf("update: %v", u)
		}
		members := []M{{"user_id": "viewer", "user_nick": "V", "user_avatar": "a", "camera_opened": true, "mic_opened": false, "rtc_pull_url": "artc://x"}}
		mi := post(t, h, "/api/v1/live/updateMeetingInfo", at, M{"id": id, "members": members}).obj(t)
		gm := post(t, h, "/api/v1/live/getMeetingInfo", vt, M{"id": id})
		if fmt.Sprint(mi["members"]) != fmt.Sprint(members) || fmt.Sprint(gm.obj(t)["members"]) != fmt.Sprint(members) {
			t.Fatalf("meeting info: %v then %s", mi, gm.raw)
		}
		if !strings.Contains(h.LogText(), `"msg":"aui live: co-streaming list changed","room":"`+id+`","by":"anchor"`) {
			t.Fatalf("the co-streaming change is not logged")
		}
		st := post(t, h, "/api/v1/live/stop", at, M{"id": id, "user_id": "anchor"}).obj(t)
		if st["status"] != float64(2) || st["stopped_at"] == "0001-01-01T00:00:00Z" {
			t.Fatalf("stop: %v", st)
		}
		if g := post(t, h, "/api/v1/live/get", at, M{"id": id, "user_id": "anchor"}).obj(t); g["push_url_info"] != nil || g["pull_url_info"] != nil {
			t.Fatalf("a stopped room still has stream URLs: %v", g)
		}

		// The list, newest first, by status; two rooms made in one second keep their order.
		b := post(t, h, "/api/v1/live/create", at, M{"title": "B", "anchor": "anchor"}).obj(t)["id"]
		c := post(t, h, "/api/v1/live/create", at, M{"title": "C", "anchor": "anchor"}).obj(t)["id"]
		var list []M
		json.Unmarshal(post(t, h, "/api/v1/live/list", vt, M{"page_size": 2, "page_num": 1, "user_id": "viewer"}).raw, &list)
		if len(list) != 2 || list[0]["id"] != c || list[1]["id"] != b {
			t.Fatalf("list page 1: %v", list)
		}
		json.Unmarshal(post(t, h, "/api/v1/live/list", vt, M{"page_size": 2, "page_num": 2, "user_id": "viewer"}).raw, &list)
		if len(list) != 1 || list[0]["id"] != id {
			t.Fatalf("list page 2: %v", list)
		}
		json.Unmarshal(post(t, h, "/api/v1/live/list", vt, M{"page_size": 10, "page_num": 1, "user_id": "viewer", "status": 2}).raw, &list)
		if len(list) != 1 || list[0]["id"] != id {
			t.Fatalf("list of stopped rooms: %v", list)
		}
		// The cloud's figures are cached a few seconds: lists then cost no calls.
		before := f.Count("GetGroupStatistics")
		post(t, h, "/api/v1/live/list", vt, M{"page_size": 10, "page_num": 1, "user_id": "viewer"})
		post(t, h, "/api/v1/live/list", vt, M{"page_size": 10, "page_num": 1, "user_id": "viewer"})
		if n := f.Count("GetGroupStatistics") - before; n != 0 {
			t.Fatalf("%d group statistics calls for lists of rooms just read", n)
		}
		h.Advance(6 * time.Second)
		post(t, h, "/api/v1/live/list", vt, M{"page_size": 10, "page_num": 1, "user_id": "viewer"})
		if n := f.Count("GetGroupStatistics") - before; n != 3 {
			t.Fatalf("%d group statistics calls for a list of three rooms, figures expired", n)
		}

		// IM tokens: the cloud's, for the caller only; v2 adds the new IM.
		tok := post(t, h, "/api/v1/live/token", vt, M{"user_id": "viewer", "device_id": "d1", "device_type": "android"}).obj(t)
		if tok["access_token"] != "im-token-viewer-d1" || tok["refresh_token"] != "im-token-viewer-d1" {
			t.Fatalf("token: %v", tok)
		}
		post(t, h, "/api/v1/live/token", vt, M{"user_id": "anchor", "device_id": "d1", "device_type": "android"}).want(t, 403, "logged-in user")

		// Delete: the anchor's only; the room is gone.
		d := post(t, h, "/api/v1/live/delete", at, M{"id": id, "user_id": "anchor"})
		if d.status != 200 || d.obj(t)["id"] != id {
			t.Fatalf("delete: %d %s", d.status, d.raw)
		}
		post(t, h, "/api/v1/live/get", at, M{"id": id, "user_id": "anchor"}).want(t, 500, "record not found")
		if n, _ := h.Store.LiveRoomCount(t.Context(), -1); n != 2 {
			t.Fatalf("%d rooms after a delete of three", n)
		}
		// The front's own series in /metrics.
		metrics := do(t, h, http.MethodGet, "/metrics", "", "", "")
		for _, line := range []string{`sxb_requests_total{cmd="start",code="http_403",front="auilive",svc="live"} 1`,
			`sxb_requests_total{cmd="start",code="0",front="auilive",svc="live"} 1`,
			`sxb_requests_total{cmd="get",code="500",front="auilive",svc="live"} 1`} {
			if !strings.Contains(string(metrics.raw), line) {
				t.Errorf("/metrics lacks %s", line)
			}
		}
	})
}

// sign makes a token as the reference's middleware would with key.
func sign(t *testing.T, key string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The reference's public key: a school's config names it during a cut-over.
const referenceKey = "example-c895beb520125bba#$&"

func TestLiveAuth(t *testing.T) {
	h := env(t, nil, func(c *auilive.Config) { c.JWTKey = referenceKey })
	h.Regist(tests.AppA, "ann", "pw-ann", 1)
	good := login(t, h, "ann", "pw-ann")
	now := h.Unix()
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"id": "ann", "exp": now + 60}).SignedString([]byte(referenceKey))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"id": "ann", "exp": now + 60}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	body := `{"page_size":1,"page_num":1,"user_id":"ann"}`
	cases := []struct {
		name   string
		set    func(*http.Request)
		status int
		msg    string
	}{
		{"no token", func(*http.Request) {}, 401, "cookie token is empty"},
		{"not bearer", func(r *http.Request) { r.Header.Set("Authorization", "Token "+good) }, 401, "cookie token is empty"},
		{"garbage", func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, 401, "token contains an invalid number of segments"},
		{"another key", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, "other", jwt.MapClaims{"id": "ann", "exp": now + 60}))
		}, 401, "signature is invalid"},
		{"HS512", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+hs512) }, 401, "invalid signing algorithm"},
		{"alg none", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+none) }, 401, "invalid signing algorithm"},
		{"expired", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, referenceKey, jwt.MapClaims{"id": "ann", "exp": now - 1, "orig_iat": now - 100}))
		}, 401, "token is expired"},
		{"no exp", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, referenceKey, jwt.MapClaims{"id": "ann"}))
		}, 400, "missing exp field"},
		{"no id", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, referenceKey, jwt.MapClaims{"exp": now + 60}))
		}, 401, "token has no id"},
		{"id not a string", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, referenceKey, jwt.MapClaims{"id": 7, "exp": now + 60}))
		}, 401, "token has no id"},
		{"empty id", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, referenceKey, jwt.MapClaims{"id": "", "exp": now + 60}))
		}, 403, "you don't have permission"},
		{"own token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+good) }, 200, ""},
		{"reference's token", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, referenceKey, jwt.MapClaims{"id": "ann", "exp": now + 60, "orig_iat": now}))
		}, 200, ""},
		{"query token", func(r *http.Request) { r.URL.RawQuery = "token=" + good }, 200, ""},
		{"cookie token", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "jwt", Value: good}) }, 200, ""},
		{"bad header, good query", func(r *http.Request) {
			r.Header.Set("Authorization", "Basic x")
			r.URL.RawQuery = "token=" + good
		}, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.HTTP.URL+"/api/v1/live/list", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			c.set(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a := answer{resp.StatusCode, resp.Header, raw}
			if c.status == 200 {
				if a.status != 200 || !bytes.HasPrefix(raw, []byte("[")) {
					t.Fatalf("%d %s", a.status, raw)
				}
				return
			}
			a.want(t, c.status, c.msg)
			if a.header.Get("WWW-Authenticate") != `JWT realm="zone"` {
				t.Errorf("WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
			}
		})
	}

	// Refresh: inside the window a token (even expired) gets a new one; past it, none.
	old := sign(t, referenceKey, jwt.MapClaims{"id": "ann", "exp": now - 10, "orig_iat": now - 3600})
	r := do(t, h, http.MethodGet, "/auth/refresh_token", old, "", "")
	m := r.obj(t)
	if r.status != 200 || m["code"] != float64(200) || m["token"] == "" || m["expire"] == "" {
		t.Fatalf("refresh: %d %s", r.status, r.raw)
	}
	if a := post(t, h, "/api/v1/live/list", m["token"].(string), M{"page_size": 1, "page_num": 1, "user_id": "ann"}); a.status != 200 {
		t.Fatalf("the refreshed token: %d %s", a.status, a.raw)
	}
	stale := sign(t, referenceKey, jwt.MapClaims{"id": "ann", "exp": now - 10, "orig_iat": now - 90000})
	do(t, h, http.MethodPost, "/api/v1/live/refresh_token", stale, "", "").want(t, 401, "token is expired")
	do(t, h, http.MethodPost, "/api/v1/live/refresh_token", sign(t, referenceKey, jwt.MapClaims{"exp": now + 10}), "", "").want(t, 401, "no id")

	// The token's claims are the reference's.
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(good, claims); err != nil || claims["id"] != "ann" ||
		claims["exp"] != float64(now+86400) || claims["orig_iat"] != float64(now) || len(claims) != 3 {
		t.Fatalf("claims %v (%v)", claims, err)
	}
	// New tokens are never signed with the reference's public key.
	if _, err := jwt.Parse(good, func(*jwt.Token) (any, error) { return []byte(referenceKey), nil }); err == nil {
		t.Fatal("a new token is signed with the reference's public key")
	}
}

func TestLiveLogin(t *testing.T) {
	t.Run("accounts", func(t *testing.T) {
		h := env(t, nil, nil) // apps configured: accounts by default
		h.Regist(tests.AppA, "bob", "s3cret", 0)
		login(t, h, "bob", "s3cret")
		for _, c := range []struct{ ct, body, msg string }{
			{"application/json", `{"username":"bob","password":"bob"}`, "incorrect Username or Password"},
			{"application/json", `{"username":"nobody","password":"nobody"}`, "incorrect Username or Password"},
			{"application/json", `{"username":"bob"}`, "missing Username or Password"},
			{"application/json", `{`, "missing Username or Password"},
			{"", ``, "missing Username or Password"},
		} {
			do(t, h, http.MethodPost, "/login", "", c.ct, c.body).want(t, 401, c.msg)
		}
		// A form login reads the lower-case names.
		if a := do(t, h, http.MethodPost, "/login", "", "application/x-www-form-urlencoded", "username=bob&password=s3cret"); a.status != 200 {
			t.Fatalf("form login: %d %s", a.status, a.raw)
		}
		if _, err := h.Store.AccountByUID(t.Context(), "nobody"); err == nil {
			t.Fatal("a failed login made an account")
		}
	})
	t.Run("demo", func(t *testing.T) {
		h := env(t, nil, func(c *auilive.Config) { c.Login = "demo" })
		h.Regist(tests.AppA, "carol", "not-carol", 0)
		login(t, h, "dave", "dave")
		a, err := h.Store.AccountByUID(t.Context(), "dave")
		if err != nil || a.AppID != tests.AppA {
			t.Fatalf("demo login made no account: %v %v", a, err)
		}
		login(t, h, "dave", "dave") // and again, now existing
		post(t, h, "/login", "", M{"username": "eve", "password": "x"}).want(t, 401, "incorrect Username or Password")
		// An account with a real password is not opened by the demo rule.
		post(t, h, "/login", "", M{"username": "carol", "password": "carol"}).want(t, 401, "incorrect Username or Password")
		if !strings.Contains(h.LogText(), "aui_live: demo login") {
			t.Fatal("no warning about demo login")
		}
	})
}

func TestLiveDefaultLogin(t *testing.T) {
	c := &server.Config{AUILive: &auilive.Config{}}
	c.Defaults()
	if c.AUILive.Login != "demo" {
		t.Fatalf("without apps: %q", c.AUILive.Login)
	}
	c = tests.New(t, func(c *server.Config) { c.AUILive = &auilive.Config{} }).Cfg
	if c.AUILive.Login != "accounts" {
		t.Fatalf("with apps: %q", c.AUILive.Login)
	}
}

func TestLiveValidation(t *testing.T) {
	h := env(t, nil, nil)
	h.Regist(tests.AppA, "ann", "pw", 1)
	tok := login(t, h, "ann", "pw")
	room := post(t, h, "/api/v1/live/create", tok, M{"title": "t", "anchor": "ann"}).obj(t)["id"].(string)
	req := func(n string) string {
		return fmt.Sprintf("Key: '%s' Error:Field validation for '%s' failed on the 'required' tag", n, n[strings.Index(n, ".")+1:])
	}
	cases := []struct {
		path, ct, body string
		status         int
		msg            string
	}{
		{"create", "application/json", `{"anchor":"ann"}`, 400, req("CreateRequest.Title")},
		{"create", "application/json", `{}`, 400, req("CreateRequest.Title") + "\n" + req("CreateRequest.Anchor")},
		{"create", "application/json", ``, 400, "EOF"},
		{"create", "application/json", `{"title":"t","anchor":"ann","mode":"1"}`, 400, "cannot unmarshal string"},
		{"create", "", `{"title":"t","anchor":"ann"}`, 400, req("CreateRequest.Title")}, // a form, by field name
		{"list", "application/json", `{"page_num":1,"user_id":"ann"}`, 400, req("ListRequest.PageSize")},
		{"list", "application/json", `{"page_size":1,"page_num":1}`, 400, req("ListRequest.UserId")},
		{"get", "application/json", `{"user_id":"ann"}`, 400, req("GetRequest.Id")},
		{"get", "application/json", `{"id":"nope","user_id":"ann"}`, 500, "get record failed. err: record not found"},
		{"start", "application/json", `{"id":"` + room + `"}`, 400, req("DeleteRequest.UserId")},
		{"stop", "application/json", `{"id":"nope","user_id":"ann"}`, 500, "record not found"},
		{"update", "application/json", `{"title":"x"}`, 500, "record not found"},
		{"token", "application/json", `{"user_id":"ann","device_id":"d"}`, 400, req("TokenRequest.DeviceType")},
		{"token", "application/json", `{"user_id":"ann","device_id":"d","device_type":"web"}`, 500, "openapi keys"},
		{"getMeetingInfo", "application/json", `{"id":"` + room + `"}`, 500, "unsupported live mode: 0"},
		{"updateMeetingInfo", "application/json", `{"id":"` + room + `","members":[]}`, 500, "unsupported live mode: 0"},
	}
	for _, c := range cases {
		t.Run(c.path+" "+c.body, func(t *testing.T) {
			do(t, h, http.MethodPost, "/api/v1/live/"+c.path, tok, c.ct, c.body).want(t, c.status, c.msg)
		})
	}
	// A form body binds by the reference's field names.
	a := do(t, h, http.MethodPost, "/api/v1/live/create", tok, "application/x-www-form-urlencoded", "Title=form&Anchor=ann&Mode=0")
	if a.status != 200 || a.obj(t)["title"] != "form" {
		t.Fatalf("form create: %d %s", a.status, a.raw)
	}
	// Nothing refused was stored.
	if n, _ := h.Store.LiveRoomCount(t.Context(), -1); n != 2 {
		t.Fatalf("%d rooms", n)
	}
	// Unknown paths and methods: the reference's plain 404.
	for _, c := range [][2]string{{"GET", "/api/v1/live/list"}, {"POST", "/api/v1/live/nope"}, {"GET", "/login"}} {
		a := do(t, h, c[0], c[1], tok, "", "")
		if a.status != 404 || string(a.raw) != "404 page not found" {
			t.Errorf("%s %s: %d %q", c[0], c[1], a.status, a.raw)
		}
	}
	// CORS: the preflight and the answers.
	pre, _ := http.NewRequest(http.MethodOptions, h.HTTP.URL+"/api/v1/live/create", nil)
	pre.Header.Set("Origin", "https://web.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	get, _ := http.NewRequest(http.MethodPost, h.HTTP.URL+"/api/v1/live/list", strings.NewReader(`{}`))
	get.Header.Set("Origin", "https://web.example")
	resp, err = http.DefaultClient.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("a refused CORS request: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestLiveCloud(t *testing.T) {
	f := tests.NewFakeAliyun(t)
	h := env(t, f, func(c *auilive.Config) {
		c.NewIM = aui.NewIM{AppID: "new-app", AppKey: "new-key", AppSign: "new-sign"}
	})
	h.Regist(tests.AppA, "ann", "pw", 1)
	tok := login(t, h, "ann", "pw")

	// Headers meant for the reference's cloud-function host never replace the keys.
	req, _ := http.NewRequest(http.MethodPost, h.HTTP.URL+"/api/v1/live/create", strings.NewReader(`{"title":"t","anchor":"ann"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("x-fc-access-key-id", "attacker")
	req.Header.Set("x-fc-access-key-secret", "attacker-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || f.Count("CreateMessageGroup") != 1 {
		t.Fatalf("create with x-fc headers: %d, %d calls", resp.StatusCode, f.Count("CreateMessageGroup"))
	}

	// v2 token: both IMs; the new one computed locally.
	a := post(t, h, "/api/v2/live/token", tok, M{"user_id": "ann", "device_id": "d", "device_type": "ios", "im_server": []string{"aliyun_old", "aliyun_new"}, "role": "admin"})
	m := a.obj(t)
	old, _ := m["aliyun_old_im"].(M)
	nw, _ := m["aliyun_new_im"].(M)
	if a.status != 200 || m["code"] != float64(200) || old["access_token"] != "im-token-ann-d" || nw == nil {
		t.Fatalf("v2 token: %s", a.raw)
	}
	auth := nw["auth"].(M)
	sum := sha256.Sum256([]byte(fmt.Sprintf("new-appnew-keyann%s%.0fadmin", auth["nonce"], auth["timestamp"])))
	if nw["app_id"] != "new-app" || nw["app_sign"] != "new-sign" || nw["app_token"] != hex.EncodeToString(sum[:]) ||
		auth["user_id"] != "ann" || auth["role"] != "admin" || auth["timestamp"] != float64(h.Unix()+172800) {
		t.Fatalf("new IM token: %v", nw)
	}
	for _, c := range []struct {
		body M
		want string
	}{
		{M{"user_id": "ann", "device_id": "d", "device_type": "ios"}, `{"code":401,"message":"参数错误"}`},
		{M{"user_id": "ann", "device_id": "d", "device_type": "ios", "im_server": []string{"other"}}, `{"code":401,"message":"参数错误"}`},
		{M{"user_id": "ann", "device_type": "ios", "im_server": []string{"aliyun_old"}}, `{"code":500,"msg":"deviceId不能为空<br>"}`},
	} {
		if a := post(t, h, "/api/v2/live/token", tok, c.body); a.status != 200 || strings.TrimSpace(string(a.raw)) != c.want {
			t.Errorf("v2 token %v: %d %s, want %s", c.body, a.status, a.raw, c.want)
		}
	}

	// v2 create: the new IM's group takes the old group's id.
	a = post(t, h, "/api/v2/live/create", tok, M{"title": "v2", "anchor": "ann", "anchor_nick": "A", "im_server": []string{"aliyun_old", "aliyun_new"}})
	m = a.obj(t)
	calls := f.Calls()
	last, prev := calls[len(calls)-1], calls[len(calls)-2]
	if a.status != 200 || m["code"] != float64(200) || m["id"] != last.Params["GroupId"] || m["anchor_nick"] != "A" ||
		prev.Action != "CreateMessageGroup" || !strings.HasPrefix(m["id"].(string), "grp-") ||
		last.Action != "CreateLiveMessageGroup" || last.Params["AppId"] != "new-app" {
		t.Fatalf("v2 create: %s; last call %+v", a.raw, last)
	}
	if created, _ := m["created_at"].(string); len(created) != len("2006-01-02T15:04:05") || created != h.Now().In(time.FixedZone("", 8*3600)).Format("2006-01-02T15:04:05") {
		t.Fatalf("v2 created_at %v", m["created_at"])
	}
	if a := post(t, h, "/api/v2/live/create", tok, M{"title": "v2", "anchor": "ann", "im_server": []string{}}); strings.TrimSpace(string(a.raw)) != `{"code":401,"message":"参数错误"}` {
		t.Fatalf("v2 create without IM: %s", a.raw)
	}

	// The cloud failing: create answers 500 with its error, stores nothing.
	f.Fail["CreateMessageGroup"] = 503
	n, _ := h.Store.LiveRoomCount(t.Context(), -1)
	post(t, h, "/api/v1/live/create", tok, M{"title": "t", "anchor": "ann"}).want(t, 500, "Throttling")
	if n2, _ := h.Store.LiveRoomCount(t.Context(), -1); n2 != n {
		t.Fatalf("a failed create stored a room")
	}
	// A failing statistics call leaves the figures out; the room still answers.
	f.Fail["GetGroupStatistics"] = 500
	g := post(t, h, "/api/v1/live/get", tok, M{"id": "grp-1", "user_id": "ann"})
	if g.status != 200 || g.obj(t)["metrics"] != nil {
		t.Fatalf("get with the cloud failing: %d %s", g.status, g.raw)
	}
}

func TestLiveListShapeObject(t *testing.T) {
	h := env(t, nil, func(c *auilive.Config) { c.ListShape = "object" })
	h.Regist(tests.AppA, "ann", "pw", 1)
	tok := login(t, h, "ann", "pw")
	for range 3 {
		post(t, h, "/api/v1/live/create", tok, M{"title": "t", "anchor": "ann"})
	}
	m := post(t, h, "/api/v1/live/list", tok, M{"page_size": 2, "page_num": 1, "user_id": "ann"}).obj(t)
	if m["total_count"] != float64(3) || len(m["live_list"].([]any)) != 2 {
		t.Fatalf("object list: %v", m)
	}
}

func TestLiveMeetingAnyone(t *testing.T) {
	h := env(t, nil, func(c *auilive.Config) { c.MeetingUpdate = "anyone" })
	h.Regist(tests.AppA, "ann", "pw", 1)
	h.Regist(tests.AppA, "guest", "pw", 0)
	at, gt := login(t, h, "ann", "pw"), login(t, h, "guest", "pw")
	id := post(t, h, "/api/v1/live/create", at, M{"title": "t", "anchor": "ann", "mode": 1}).obj(t)["id"]
	a := post(t, h, "/api/v1/live/updateMeetingInfo", gt, M{"id": id, "members": []M{{"user_id": "guest"}}})
	if a.status != 200 || !strings.Contains(h.LogText(), `"by":"guest"`) {
		t.Fatalf("anyone's update: %d %s", a.status, a.raw)
	}
	post(t, h, "/api/v1/live/start", gt, M{"id": id, "user_id": "guest"}).want(t, 403, "only the anchor")
}

// Two servers on one MySQL database: every request on the other server
// than the one before, each answer reflects every write acknowledged.
func TestLiveTwoServers(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	f := tests.NewFakeAliyun(t)
	edit := func(c *server.Config) { c.AUILive = liveCfg(f) }
	a := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	b := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	a.Regist(tests.AppA, "ann", "pw", 1)
	a.Regist(tests.AppA, "vic", "pw", 0)
	at := login(t, b, "ann", "pw") // a token of one server works on the other: one key in the database
	vt := login(t, a, "vic", "pw")
	id := post(t, a, "/api/v1/live/create", at, M{"title": "t", "anchor": "ann", "mode": 1}).obj(t)["id"]
	servers := []*tests.Env{b, a}
	step := 0
	next := func() *tests.Env { step++; return servers[step%2] }
	for i, c := range []struct {
		cmd    string
		status float64
	}{{"start", 1}, {"pause", 3}, {"start", 1}, {"stop", 2}} {
		post(t, next(), "/api/v1/live/"+c.cmd, at, M{"id": id, "user_id": "ann"})
		if g := post(t, next(), "/api/v1/live/get", vt, M{"id": id, "user_id": "vic"}).obj(t); g["status"] != c.status {
			t.Fatalf("step %d: after %s the other server answers status %v", i, c.cmd, g["status"])
		}
	}
	post(t, next(), "/api/v1/live/updateMeetingInfo", at, M{"id": id, "members": []M{{"user_id": "vic"}}})
	if m := post(t, next(), "/api/v1/live/getMeetingInfo", vt, M{"id": id}).obj(t); len(m["members"].([]any)) != 1 {
		t.Fatalf("meeting info on the other server: %v", m)
	}
	post(t, next(), "/api/v1/live/update", at, M{"id": id, "title": "renamed"})
	var list []M
	json.Unmarshal(post(t, next(), "/api/v1/live/list", vt, M{"page_size": 5, "page_num": 1, "user_id": "vic"}).raw, &list)
	if len(list) != 1 || list[0]["title"] != "renamed" {
		t.Fatalf("list on the other server: %v", list)
	}
	post(t, next(), "/api/v1/live/delete", at, M{"id": id, "user_id": "ann"})
	post(t, next(), "/api/v1/live/get", vt, M{"id": id, "user_id": "vic"}).want(t, 500, "record not found")
}

package auiclass_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sxb-edu/aui"
	"sxb-edu/auiclass"
	"sxb-edu/auilive"
	"sxb-edu/server"
	"sxb-edu/tests"
)

type M = map[string]any

type clouds struct {
	im *tests.FakeAliyun
	wb *tests.FakeWhiteboard
}

func classCfg(c clouds) *auiclass.Config {
	cfg := &auiclass.Config{IMAppID: tests.AliyunIMApp,
		NewIM:  aui.NewIM{AppID: "new-app", AppKey: "new-key", AppSign: "new-sign"},
		Mic:    aui.Mic{AppID: "mic-app", AppKey: "mic-key"},
		Stream: aui.Stream{PullDomain: "pull.school.example", PullAuthKey: "pull-key"}}
	if c.im != nil {
		cfg.OpenAPI = aui.OpenAPI{Endpoint: c.im.Endpoint(), AccessKeyID: tests.AliyunKeyID, AccessKeySecret: tests.AliyunKeySecret}
	}
	if c.wb != nil {
		cfg.Whiteboard = auiclass.Whiteboard{Endpoint: c.wb.URL, AppKey: tests.WhiteboardKey, AppSecret: tests.WhiteboardSecret}
	}
	return cfg
}

func newEnv(t *testing.T, c clouds, edit func(*auiclass.Config)) *tests.Env {
	return tests.New(t, func(sc *server.Config) {
		sc.AUIClass = classCfg(c)
		if edit != nil {
			edit(sc.AUIClass)
		}
	})
}

type answer struct {
	status int
	raw    []byte
	M      M
}

func (a answer) ok(t *testing.T) M {
	t.Helper()
	if a.status != 200 || a.M["success"] != true {
		t.Fatalf("want success: %d %s", a.status, a.raw)
	}
	d, _ := a.M["data"].(M)
	return d
}

// is checks the answer's exact JSON.
func (a answer) is(t *testing.T, want string) {
	t.Helper()
	if a.status != 200 || strings.TrimSpace(string(a.raw)) != want {
		t.Fatalf("answer %d %s\nwant %s", a.status, a.raw, want)
	}
}

func (a answer) reason(t *testing.T, want string) {
	t.Helper()
	a.is(t, `{"success":false,"data":{"reason":"`+want+`"}}`)
}

func (a answer) code(t *testing.T, code string) {
	t.Helper()
	if a.status != 200 || a.M["success"] != false || a.M["errorCode"] != code {
		t.Fatalf("want errorCode %s: %d %s", code, a.status, a.raw)
	}
}

func call(t *testing.T, h *tests.Env, path, token string, body any) answer {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(http.MethodPost, h.HTTP.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: raw}
	json.Unmarshal(raw, &a.M)
	return a
}

func login(t *testing.T, h *tests.Env, name, pwd string) string {
	t.Helper()
	d := call(t, h, "/api/v1/class/login", "", M{"username": name, "password": pwd}).ok(t)
	return d["token"].(string)
}

func users(t *testing.T, h *tests.Env, names ...string) map[string]string {
	t.Helper()
	toks := map[string]string{}
	for _, n := range names {
		h.Regist(tests.AppA, n, "pw-"+n, 0)
		toks[n] = login(t, h, n, "pw-"+n)
	}
	return toks
}

func TestClassWalk(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		c := clouds{tests.NewFakeAliyun(t), tests.NewFakeWhiteboard(t)}
		h := newEnv(t, c, nil)
		c.im.Now, c.wb.Now = h.Now, h.Now
		tok := users(t, h, "teacher", "helper", "helper2", "stu1", "stu2")

		// The teacher creates the class: its IM group and whiteboard room.
		d := call(t, h, "/api/v1/class/create", tok["teacher"], M{"title": "Physics", "teacher_id": "teacher",
			"teacher_nick": "Ms T", "mode": 1, "im_server": []string{"aliyun"}}).ok(t)
		id := d["id"].(string)
		if id == "" || d["aliyun_id"] != id || d["status"] != float64(0) || d["mode"] != float64(1) || d["teacher_nick"] != "Ms T" ||
			d["meeting_id"] == nil || d["link_info"] == nil || d["notice"] != nil {
			t.Fatalf("create: %v", d)
		}
		var boards struct {
			Cid, BoardID, AppKey, BoardTitle string
			Code                             int
		}
		if err := json.Unmarshal([]byte(d["boards"].(string)), &boards); err != nil || boards.Cid == "" || boards.BoardID != id ||
			boards.AppKey != tests.WhiteboardKey || boards.BoardTitle != "Physics" || boards.Code != 200 || c.wb.Made() != 1 {
			t.Fatalf("boards %v (%v), %d rooms", d["boards"], err, c.wb.Made())
		}
		if created := d["created_at"].(string); created != h.Now().In(time.FixedZone("", 8*3600)).Format("2006/01/02 15:04:05") {
			t.Fatalf("created_at %s", created)
		}

		// The assistant needs the permit; only one assistant at a time.
		call(t, h, "/api/v1/class/joinClass", tok["helper"], M{"class_id": id, "user_id": "helper", "user_name": "Helper", "identity": 2}).
			reason(t, "ClassNotAssistantPermit")
		call(t, h, "/api/v1/class/setAssistantPermit", tok["stu1"], M{"class_id": id, "permit": "all"}).code(t, "403")
		p := call(t, h, "/api/v1/class/setAssistantPermit", tok["teacher"], M{"class_id": id, "permit": "all"}).ok(t)
		if p["class_id"] != id || p["permit"] != "all" || p["created_at"] == nil {
			t.Fatalf("permit: %v", p)
		}
		call(t, h, "/api/v1/class/joinClass", tok["helper"], M{"class_id": id, "user_id": "helper", "user_name": "Helper", "identity": 2}).is(t, `{"success":true}`)
		call(t, h, "/api/v1/class/joinClass", tok["helper2"], M{"class_id": id, "user_id": "helper2", "user_name": "Helper2", "identity": 2}).
			reason(t, "ClassHasAssistant")
		for _, s := range []string{"stu1", "stu2"} {
			h.Advance(time.Second)
			call(t, h, "/api/v1/class/joinClass", tok[s], M{"class_id": id, "user_id": s, "user_name": "Student " + s}).is(t, `{"success":true}`)
		}
		call(t, h, "/api/v1/class/joinClass", tok["teacher"], M{"class_id": id, "user_id": "teacher", "user_name": "Ms T", "identity": 1}).is(t, `{"success":true}`)
		// Someone else's join is refused.
		call(t, h, "/api/v1/class/joinClass", tok["stu1"], M{"class_id": id, "user_id": "stu2", "user_name": "Student stu2"}).code(t, "403")

		joins := c.im.Of("SendMessageToGroup")
		if len(joins) != 4 || joins[0].Params["Type"] != "11001" || joins[0].Params["GroupId"] != id || joins[0].Params["OperatorUserId"] != "System" {
			t.Fatalf("join messages: %+v", joins)
		}
		var m M
		json.Unmarshal([]byte(joins[0].Params["Data"]), &m)
		if m["user_id"] != "helper" || m["identity"] != float64(2) || m["status"] != float64(1) || m["class_id"] != id || m["join_time"] == nil {
			t.Fatalf("join message data: %v", m)
		}

		// Members: teacher, assistant, then students newest first.
		lm := call(t, h, "/api/v1/class/listMembers", tok["stu1"], M{"class_id": id, "status": 0}).ok(t)
		var order []string
		for _, x := range lm["members"].([]any) {
			order = append(order, x.(M)["user_id"].(string))
		}
		if lm["total"] != float64(4) || fmt.Sprint(order) != "[teacher helper stu2 stu1]" {
			t.Fatalf("members: %v", lm)
		}

		// Courseware.
		doc := call(t, h, "/api/v1/class/addDoc", tok["teacher"], M{"classId": id, "docId": "d1", "serverType": "netease", "data": `{"pages":3}`}).ok(t)
		if doc["serverType"] != "netease" || doc["docInfos"] != `{"pages":3}` || doc["createdAt"] == nil {
			t.Fatalf("addDoc: %v", doc)
		}
		call(t, h, "/api/v1/class/addDoc", tok["teacher"], M{"classId": id, "docId": "d1", "serverType": "netease", "data": "x"}).
			is(t, `{"success":false,"errorCode":"500","errorMsg":"id已经存在"}`)
		ds := call(t, h, "/api/v1/class/addDocs", tok["teacher"], M{"classId": id, "docInfo": []M{{"docId": "d1", "serverType": "n", "data": "x"},
			{"docId": "d2", "serverType": "n", "data": "y"}, {"docId": "d3", "serverType": "n", "data": "z"}}}).ok(t)
		if len(ds["docsInfoList"].([]any)) != 2 {
			t.Fatalf("addDocs: %v", ds)
		}
		q := call(t, h, "/api/v1/class/queryDoc", tok["stu1"], M{"classId": id}).ok(t)
		if len(q["docInfos"].([]any)) != 3 {
			t.Fatalf("queryDoc: %v", q)
		}
		call(t, h, "/api/v1/class/deleteDocs", tok["teacher"], M{"classId": id, "docIds": "d2,nope"}).is(t, `{"success":true,"data":[{"classId":"`+id+`","docId":"d2"}]}`)
		call(t, h, "/api/v1/class/deleteDocs", tok["teacher"], M{"classId": id, "docIds": "nope"}).is(t, `{"success":true,"data":"docIds不存在"}`)
		call(t, h, "/api/v1/class/deleteDoc", tok["teacher"], M{"classId": id, "docId": "d3"}).is(t, `{"success":true}`)
		call(t, h, "/api/v1/class/deleteDoc", tok["teacher"], M{"classId": id, "docId": "d3"}).code(t, "500")

		// States: only the teacher; a stopped class stays stopped.
		call(t, h, "/api/v1/class/start", tok["stu1"], M{"id": id, "user_id": "stu1"}).code(t, "403")
		call(t, h, "/api/v1/class/start", tok["stu1"], M{"id": id, "user_id": "teacher"}).code(t, "403")
		g := call(t, h, "/api/v1/class/start", tok["teacher"], M{"id": id, "user_id": "teacher"}).ok(t)
		if g["status"] != float64(1) || g["started_at"] == nil || g["assistantPermit"].(M)["user_id"] != "helper" {
			t.Fatalf("start: %v", g)
		}
		if g := call(t, h, "/api/v1/class/pause", tok["teacher"], M{"id": id, "user_id": "teacher"}).ok(t); g["status"] != float64(0) {
			t.Fatalf("pause: %v", g)
		}
		call(t, h, "/api/v1/class/start", tok["teacher"], M{"id": "nope", "user_id": "teacher"}).is(t, `{"success":false,"errorCode":"404","errorMsg":"未查询到"}`)

		// Each reader gets co-streaming URLs for themself.
		sg := call(t, h, "/api/v1/class/get", tok["stu1"], M{"id": id, "user_id": "stu1"}).ok(t)
		if push := sg["link_info"].(M)["rtc_push_url"].(string); !strings.Contains(push, "userId=stu1&") {
			t.Fatalf("student's link: %s", push)
		}
		if push := sg["shadow_link_info"].(M)["rtc_push_url"].(string); !strings.Contains(push, "userId=stu1_shadow&") {
			t.Fatalf("student's shadow link: %s", push)
		}
		var list []any
		la := call(t, h, "/api/v1/class/list", tok["stu2"], M{"user_id": "stu2", "page_num": 1, "page_size": 10})
		json.Unmarshal(mustData(t, la), &list)
		if len(list) != 1 || strings.Contains(fmt.Sprint(list[0].(M)["link_info"]), "userId=teacher&") {
			t.Fatalf("list hands the teacher's link: %v", list)
		}

		// Kicks: only the teacher, never the teacher; a kicked member stays out.
		call(t, h, "/api/v1/class/kickClass", tok["stu1"], M{"class_id": id, "user_id": "stu2"}).code(t, "403")
		call(t, h, "/api/v1/class/kickClass", tok["teacher"], M{"class_id": id, "user_id": "teacher"}).code(t, "400")
		call(t, h, "/api/v1/class/kickClass", tok["teacher"], M{"class_id": id, "user_id": "stu2"}).is(t, `{"success":true}`)
		call(t, h, "/api/v1/class/kickClass", tok["teacher"], M{"class_id": id, "user_id": "stu2"}).is(t, `{"success":true}`)
		kicks := c.im.Of("SendMessageToGroup")
		if last := kicks[len(kicks)-1]; last.Params["Type"] != "11003" {
			t.Fatalf("kick message: %+v", last)
		}
		call(t, h, "/api/v1/class/joinClass", tok["stu2"], M{"class_id": id, "user_id": "stu2", "user_name": "Student stu2"}).reason(t, "InBlackList")
		// A year later the kick has lapsed.
		h.Advance(366 * 24 * time.Hour)
		tok["stu2"] = login(t, h, "stu2", "pw-stu2")
		tok["stu1"] = login(t, h, "stu1", "pw-stu1")
		tok["teacher"] = login(t, h, "teacher", "pw-teacher")
		call(t, h, "/api/v1/class/joinClass", tok["stu2"], M{"class_id": id, "user_id": "stu2", "user_name": "Student stu2"}).is(t, `{"success":true}`)

		// Leave; the status filter of listMembers.
		call(t, h, "/api/v1/class/leaveClass", tok["stu1"], M{"class_id": id, "user_id": "stu1"}).is(t, `{"success":true}`)
		call(t, h, "/api/v1/class/leaveClass", tok["stu1"], M{"class_id": id, "user_id": "stu1"}).reason(t, "NotInClass")
		left := call(t, h, "/api/v1/class/listMembers", tok["stu1"], M{"class_id": id, "status": 2}).ok(t)
		if left["total"] != float64(1) || left["members"].([]any)[0].(M)["user_id"] != "stu1" {
			t.Fatalf("members who left: %v", left)
		}

		// Meeting info round trip.
		mi := call(t, h, "/api/v1/class/updateMeetingInfo", tok["teacher"], M{"id": id, "members": []M{{"user_id": "stu2", "camera_opened": true}}, "all_mute": true}).ok(t)
		if mi["all_mute"] != true || len(mi["members"].([]any)) != 1 {
			t.Fatalf("updateMeetingInfo: %v", mi)
		}
		if gm := call(t, h, "/api/v1/class/getMeetingInfo", tok["stu2"], M{"id": id}).ok(t); len(gm["members"].([]any)) != 1 || gm["all_mute"] != true {
			t.Fatalf("getMeetingInfo: %v", gm)
		}
		call(t, h, "/api/v1/class/updateMeetingInfo", tok["teacher"], M{"id": "nope", "members": []M{}}).code(t, "404")

		// Stop; nothing restarts it; delete removes the whiteboard room too.
		call(t, h, "/api/v1/class/stop", tok["teacher"], M{"id": id, "user_id": "teacher"}).ok(t)
		call(t, h, "/api/v1/class/start", tok["teacher"], M{"id": id, "user_id": "teacher"}).code(t, "400")
		call(t, h, "/api/v1/class/pause", tok["teacher"], M{"id": id, "user_id": "teacher"}).code(t, "400")
		call(t, h, "/api/v1/class/delete", tok["teacher"], M{"id": id, "user_id": "teacher"}).ok(t)
		if c.wb.Made() != 0 || len(c.wb.Deleted) != 1 {
			t.Fatalf("whiteboard rooms after delete: %d, deleted %v", c.wb.Made(), c.wb.Deleted)
		}
		call(t, h, "/api/v1/class/get", tok["teacher"], M{"id": id, "user_id": "teacher"}).is(t, `{"success":false,"errorCode":"404","errorMsg":"未查询到"}`)
		call(t, h, "/api/v1/class/list", tok["teacher"], M{"user_id": "teacher", "page_num": 1, "page_size": 10}).is(t, `{"success":true,"data":[]}`)
	})
}

func mustData(t *testing.T, a answer) []byte {
	t.Helper()
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(a.raw, &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

func TestClassAuth(t *testing.T) {
	const javaSecret = "#ab2dfsc23@al2l"
	h := newEnv(t, clouds{}, func(c *auiclass.Config) { c.JWTKey = javaSecret })
	tok := users(t, h, "ann")["ann"]
	body := M{"user_id": "ann", "page_num": 1, "page_size": 5}
	if a := call(t, h, "/api/v1/class/list", tok, body); a.status != 200 {
		t.Fatalf("own token: %d %s", a.status, a.raw)
	}
	// The Java server's tokens: its secret string read as its library reads it (9 bytes).
	key := auiclass.JJWTKey(javaSecret)
	if len(key) != 9 {
		t.Fatalf("the Java key is %d bytes", len(key))
	}
	now := h.Unix()
	java, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ann", "iat": now, "exp": now + 60}).SignedString(key)
	if a := call(t, h, "/api/v1/class/list", java, body); a.status != 200 {
		t.Fatalf("the Java server's token: %d %s", a.status, a.raw)
	}
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ann", "exp": now - 1}).SignedString(key)
	wrong, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ann", "exp": now + 60}).SignedString([]byte(javaSecret))
	for name, tk := range map[string]string{"none": "", "garbage": "x.y.z", "expired": expired, "the secret as raw bytes": wrong} {
		a := call(t, h, "/api/v1/class/list", tk, body)
		if a.status != 403 || a.M["status"] != float64(403) || a.M["error"] != "Forbidden" || a.M["path"] != "/api/v1/class/list" {
			t.Errorf("%s: %d %s", name, a.status, a.raw)
		}
	}
	// Claims: sub, iat, a 7-day exp; never signed with the Java key.
	claims := jwt.MapClaims{}
	jwt.NewParser().ParseUnverified(tok, claims)
	if claims["sub"] != "ann" || claims["exp"] != float64(now+7*86400) || claims["iat"] != float64(now) {
		t.Fatalf("claims %v", claims)
	}
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return key, nil }); err == nil {
		t.Fatal("a new token is signed with the Java server's public key")
	}
	// Login answers.
	call(t, h, "/api/v1/class/login", "", M{"username": "ann", "password": "nope"}).
		is(t, `{"success":false,"errorCode":"401","errorMsg":"incorrect Username or Password"}`)
	call(t, h, "/api/v1/class/login", "", M{"username": "ann"}).
		is(t, `{"success":false,"data":{"code":500,"msg":"密码不能为空<br>"},"errorCode":"500","errorMsg":"服务器异常，请稍后重试"}`)
	call(t, h, "/api/v1/class/login", "", "").is(t, `{"success":false,"errorCode":"500","errorMsg":"服务器异常，请稍后重试"}`)
	// The bare /login is this front's when it is the only AUI front.
	if a := call(t, h, "/login", "", M{"username": "ann", "password": "pw-ann"}); a.M["success"] != true {
		t.Fatalf("/login: %s", a.raw)
	}
	// CORS preflight without a token.
	req, _ := http.NewRequest(http.MethodOptions, h.HTTP.URL+"/api/v1/class/list", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Headers") != "authorization,content-type" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestClassValidation(t *testing.T) {
	h := newEnv(t, clouds{}, nil)
	tok := users(t, h, "ann")["ann"]
	id := call(t, h, "/api/v1/class/create", tok, M{"title": "t", "teacher_id": "ann", "mode": 0, "im_server": []string{"aliyun"}}).ok(t)["id"].(string)
	generic := `{"success":false,"errorCode":"500","errorMsg":"服务器异常，请稍后重试"}`
	v := func(msg string) string {
		return `{"success":false,"data":{"code":500,"msg":"` + msg + `"},"errorCode":"500","errorMsg":"服务器异常，请稍后重试"}`
	}
	cases := []struct {
		path string
		body any
		want string
	}{
		{"create", M{"teacher_id": "ann", "mode": 0}, v("title不能为空<br>")},
		{"create", M{"mode": 0}, v("title不能为空<br>teacher_id不能为空<br>")},
		{"create", M{"title": "t", "teacher_id": "ann"}, v("mode不能为空<br>")},
		{"create", M{"title": "t", "teacher_id": "ann", "mode": 0}, `{"success":false,"errorCode":"500","errorMsg":"imServer null"}`},
		{"create", `{"title":`, generic},
		{"create", `{"title":"t","teacher_id":"ann","mode":"x"}`, generic},
		{"get", M{"id": id}, v("UserId不能为空<br>")},
		{"list", M{"user_id": "ann", "page_num": 1}, v("page_size不能为空<br>")},
		{"start", M{"user_id": "ann"}, v("直播间Id不能为空<br>")},
		{"joinClass", M{"class_id": id, "user_id": "ann", "user_name": "A"}, v("length must be between 2 and 255<br>")},
		{"joinClass", M{"class_id": id, "user_id": "ann", "user_name": "Ann", "identity": 7}, `{"success":false,"errorCode":"401","errorMsg":"参数错误"}`},
		{"joinClass", M{"class_id": "nope", "user_id": "ann", "user_name": "Ann"}, `{"success":false,"data":{"reason":"ClassNotFound"}}`},
		{"leaveClass", M{"class_id": "nope", "user_id": "ann"}, `{"success":false,"data":{"reason":"ClassNotFound"}}`},
		{"listMembers", M{"class_id": id}, v("status不能为空<br>")},
		{"listMembers", M{"class_id": id, "status": 9}, `{"success":false,"errorCode":"401","errorMsg":"参数错误"}`},
		{"listMembers", M{"class_id": "nope", "status": 0}, generic},
		{"addDoc", M{"classId": id, "docId": "d"}, v("serverType<br>data<br>")},
		{"addDoc", M{"classId": "nope", "docId": "d", "serverType": "s", "data": "x"}, `{"success":false,"errorCode":"404","errorMsg":"未查询到"}`},
		{"setAssistantPermit", M{"class_id": id}, v("权限信息<br>")},
		{"getAssistantPermit", M{"class_id": id}, `{"success":true}`},
		{"token", M{"user_id": "ann", "device_id": "d", "device_type": "ios"}, `{"success":false,"errorCode":"500","errorMsg":"aliyun token is null"}`},
		{"getMeetingInfo", M{"id": id}, `{"success":true,"data":{"members":[]}}`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) { call(t, h, "/api/v1/class/"+c.path, tok, c.body).is(t, c.want) })
	}
	// Whiteboard auth: checksum over whole seconds.
	wa := call(t, h, "/api/v1/class/getWhiteboardAuthInfo", tok, M{}).ok(t)
	if wa["curTime"] != float64(h.Unix()) || len(wa["checksum"].(string)) != 40 || wa["nonce"] == "" {
		t.Fatalf("whiteboard auth: %v", wa)
	}
	// An unknown command behind a valid token: the framework's 404.
	if a := call(t, h, "/api/v1/class/nope", tok, M{}); a.status != 404 || a.M["error"] != "Not Found" {
		t.Fatalf("unknown: %d %s", a.status, a.raw)
	}
}

func TestClassNewIM(t *testing.T) {
	c := clouds{im: tests.NewFakeAliyun(t)}
	h := newEnv(t, c, nil)
	tok := users(t, h, "teacher", "stu")
	d := call(t, h, "/api/v2/class/create", tok["teacher"], M{"title": "t", "teacher_id": "teacher", "mode": 0, "im_server": []string{"aliyun_new"}}).ok(t)
	id := d["id"].(string)
	if create := c.im.Of("CreateLiveMessageGroup"); len(create) != 1 || create[0].Params["GroupId"] != id || c.im.Count("CreateMessageGroup") != 0 {
		t.Fatalf("new IM group: %+v", c.im.Calls())
	}
	call(t, h, "/api/v1/class/joinClass", tok["stu"], M{"class_id": id, "user_id": "stu", "user_name": "Stu"}).is(t, `{"success":true}`)
	sent := c.im.Of("SendLiveMessageGroup")
	if len(sent) != 1 || sent[0].Params["MsgType"] != "11001" || sent[0].Params["SenderId"] != "stu" || c.im.Count("SendMessageToGroup") != 0 {
		t.Fatalf("join of a new-IM class: %+v", c.im.Calls())
	}
	tk := call(t, h, "/api/v2/class/token", tok["stu"], M{"user_id": "stu", "device_id": "d", "device_type": "web", "im_server": []string{"aliyun_old", "aliyun_new"}}).ok(t)
	if tk["aliyun_old_im"].(M)["access_token"] != "im-token-stu-d" || tk["aliyun_new_im"].(M)["app_id"] != "new-app" {
		t.Fatalf("v2 token: %v", tk)
	}
	call(t, h, "/api/v2/class/token", tok["stu"], M{"user_id": "stu", "device_id": "d", "device_type": "web"}).
		is(t, `{"success":false,"errorCode":"401","errorMsg":"参数错误"}`)
}

// Concurrent joins, kicks, permits and doc inserts: no duplicate rows,
// no generic failure, one assistant.
func TestClassConcurrent(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h := newEnv(t, clouds{}, nil)
		names := []string{"teacher", "a1", "a2", "a3", "a4", "s1"}
		tok := users(t, h, names...)
		id := call(t, h, "/api/v1/class/create", tok["teacher"], M{"title": "t", "teacher_id": "teacher", "mode": 0, "im_server": []string{"aliyun"}}).ok(t)["id"].(string)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				call(t, h, "/api/v1/class/setAssistantPermit", tok["teacher"], M{"class_id": id, "permit": "p"}).ok(t)
			})
		}
		wg.Wait()
		results := make(chan string, 4)
		for _, a := range []string{"a1", "a2", "a3", "a4"} {
			wg.Go(func() {
				r := call(t, h, "/api/v1/class/joinClass", tok[a], M{"class_id": id, "user_id": a, "user_name": a + "x", "identity": 2})
				results <- string(r.raw)
			})
		}
		for range 4 {
			wg.Go(func() {
				call(t, h, "/api/v1/class/kickClass", tok["teacher"], M{"class_id": id, "user_id": "s1"}).ok(t)
			})
			wg.Go(func() {
				r := call(t, h, "/api/v1/class/addDoc", tok["teacher"], M{"classId": id, "docId": "same", "serverType": "s", "data": "x"})
				if r.M["errorCode"] != nil && r.M["errorMsg"] != "id已经存在" {
					t.Errorf("concurrent addDoc: %s", r.raw)
				}
			})
		}
		wg.Wait()
		close(results)
		won := 0
		for r := range results {
			switch strings.TrimSpace(r) {
			case `{"success":true}`:
				won++
			case `{"success":false,"data":{"reason":"ClassHasAssistant"}}`:
			default:
				t.Errorf("concurrent assistant join: %s", r)
			}
		}
		if won != 1 {
			t.Fatalf("%d assistants joined at once", won)
		}
		if docs, _ := h.Store.AUIClassDocs(t.Context(), id); len(docs) != 1 {
			t.Fatalf("%d docs for one id", len(docs))
		}
		if kicks, _ := h.Store.AUIClassKicks(t.Context(), id); len(kicks) != 1 {
			t.Fatalf("%d kick rows", len(kicks))
		}
		call(t, h, "/api/v1/class/joinClass", tok["s1"], M{"class_id": id, "user_id": "s1", "user_name": "s1x"}).reason(t, "InBlackList")
	})
}

// Two servers on one MySQL database, each request on the other.
func TestClassTwoServers(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	edit := func(c *server.Config) { c.AUIClass = classCfg(clouds{}) }
	a := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	b := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	a.Regist(tests.AppA, "teacher", "pw", 1)
	a.Regist(tests.AppA, "stu", "pw", 0)
	tt := login(t, b, "teacher", "pw")
	st := login(t, a, "stu", "pw")
	id := call(t, a, "/api/v1/class/create", tt, M{"title": "t", "teacher_id": "teacher", "mode": 0, "im_server": []string{"aliyun"}}).ok(t)["id"]
	call(t, b, "/api/v1/class/joinClass", st, M{"class_id": id, "user_id": "stu", "user_name": "Stu"}).ok(t)
	if m := call(t, a, "/api/v1/class/listMembers", st, M{"class_id": id, "status": 1}).ok(t); m["total"] != float64(1) {
		t.Fatalf("members on the other server: %v", m)
	}
	call(t, a, "/api/v1/class/start", tt, M{"id": id, "user_id": "teacher"}).ok(t)
	if g := call(t, b, "/api/v1/class/get", st, M{"id": id, "user_id": "stu"}).ok(t); g["status"] != float64(1) {
		t.Fatalf("state on the other server: %v", g)
	}
	call(t, b, "/api/v1/class/kickClass", tt, M{"class_id": id, "user_id": "stu"}).ok(t)
	call(t, a, "/api/v1/class/joinClass", st, M{"class_id": id, "user_id": "stu", "user_name": "Stu"}).reason(t, "InBlackList")
}

// With both AUI fronts on, the bare /login is the live front's unless
// the classroom section says root_login; the start-up log says which.
func TestBothAUIFronts(t *testing.T) {
	for _, classRoot := range []bool{false, true} {
		h := tests.New(t, func(c *server.Config) {
			c.AUILive = &auilive.Config{}
			c.AUIClass = classCfg(clouds{})
			c.AUIClass.RootLogin = classRoot
		})
		h.Regist(tests.AppA, "ann", "pw", 0)
		a := call(t, h, "/login", "", M{"username": "ann", "password": "pw"})
		front := "aui_live"
		if classRoot {
			front = "aui_class"
			if a.M["success"] != true {
				t.Fatalf("/login with the classroom's root_login: %s", a.raw)
			}
		} else if a.M["code"] != float64(200) || a.M["token"] == nil {
			t.Fatalf("/login by default: %s", a.raw)
		}
		if !strings.Contains(h.LogText(), "the bare /login is "+front+"'s") {
			t.Fatalf("the start-up log does not say /login is %s's", front)
		}
		// Each front's own login path stays its own.
		if a := call(t, h, "/api/v1/class/login", "", M{"username": "ann", "password": "pw"}); a.M["success"] != true {
			t.Fatalf("class login: %s", a.raw)
		}
	}
	c := &server.Config{AUILive: &auilive.Config{RootLogin: true}, AUIClass: &auiclass.Config{RootLogin: true}}
	c.Defaults()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "root_login") {
		t.Fatalf("root_login in both: %v", err)
	}
}

// Tokens never reach the log; the front has its own /metrics series.
func TestClassLogAndMetrics(t *testing.T) {
	h := newEnv(t, clouds{}, nil)
	tok := users(t, h, "ann")["ann"]
	call(t, h, "/api/v1/class/list", tok, M{"user_id": "ann", "page_num": 1, "page_size": 5}).ok(t)
	call(t, h, "/api/v1/class/list", "bad", M{})
	if strings.Contains(h.LogText(), tok) || strings.Contains(h.LogText(), tok[strings.LastIndex(tok, ".")+1:]) {
		t.Fatal("a token is in the log")
	}
	req, _ := http.NewRequest(http.MethodGet, h.HTTP.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{`sxb_requests_total{cmd="list",code="0",front="auiclass",svc="class"} 1`,
		`sxb_requests_total{cmd="auth",code="http_403",front="auiclass",svc="class"} 1`} {
		if !strings.Contains(string(b), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

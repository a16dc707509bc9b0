package lcic_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sxb-edu/lcic"
	"sxb-edu/server"
	"sxb-edu/store"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

type M = tests.M

func TestSchoolWeek(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, sc, _, _ := tests.NewLCIC(t, nil)
		app := int64(tests.AppA)
		now := h.Unix()

		// Account mapping: the school's ids become users; a second register is the same user.
		teacher := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "Ms Li", "OriginId": "staff-100"})
		again := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "Ms Li", "OriginId": "staff-100"})
		if teacher["UserId"] == "" || again["UserId"] != teacher["UserId"] || teacher["Token"] == "" {
			t.Fatalf("register: %v then %v", teacher, again)
		}
		tid := teacher["UserId"].(string)
		batch := sc.Call("BatchRegister", M{"Users": []M{{"SdkAppId": app, "Name": "Ann", "OriginId": "stu-1"},
			{"SdkAppId": app, "Name": "Bob", "OriginId": "stu-2"}, {"SdkAppId": app, "Name": "Cy", "OriginId": "stu-3"}}})
		var students []string
		for _, u := range batch["Users"].([]any) {
			students = append(students, u.(M)["UserId"].(string))
		}
		if len(students) != 3 {
			t.Fatalf("batch: %v", batch)
		}
		if d := sc.Call("DescribeUser", M{"UserId": students[0]}); d["Name"] != "Ann" || d["OriginId"] != "stu-1" {
			t.Fatalf("describe user: %v", d)
		}
		sc.Call("ModifyUserProfile", M{"UserId": students[0], "Nickname": "Ann L."})

		// A group and a week of rooms for it.
		g := sc.Call("CreateGroupWithMembers", M{"SdkAppId": app, "GroupName": "Class 3A", "TeacherId": tid, "MemberIds": students})["GroupId"].(string)
		if gm := sc.Call("DescribeGroupMemberList", M{"SdkAppId": app, "GroupId": g}); gm["Total"] != float64(3) {
			t.Fatalf("group members: %v", gm)
		}
		var infos []M
		for day := range 5 {
			start := now + 5*60 + int64(day)*86400
			infos = append(infos, M{"Name": fmt.Sprintf("Physics %d", day+1), "StartTime": start, "EndTime": start + 2700,
				"TeacherId": tid, "GroupId": g, "SubType": "videodoc", "MaxMicNumber": 6})
		}
		ids := sc.Call("BatchCreateRoom", M{"SdkAppId": app, "RoomInfos": infos})["RoomIds"].([]any)
		if len(ids) != 5 {
			t.Fatalf("rooms: %v", ids)
		}
		room := func(i int) int64 { return int64(ids[i].(float64)) }
		week := sc.Call("GetRooms", M{"SdkAppId": app, "StartTime": now, "EndTime": now + 7*86400, "Limit": 100})
		if week["Total"] != float64(5) {
			t.Fatalf("week: %v", week)
		}
		// One moved an hour, one deleted.
		sc.Call("ModifyRoom", M{"RoomId": room(1), "SdkAppId": app, "StartTime": now + 86400 + 3600, "EndTime": now + 86400 + 3600 + 2700})
		sc.Call("DeleteRoom", M{"RoomId": room(4)})
		d := sc.Call("DescribeRoom", M{"RoomId": room(1)})
		if d["StartTime"] != float64(now+86400+3600) || d["Status"] != float64(0) || d["SubType"] != "videodoc" || d["MaxMicNumber"] != float64(6) ||
			d["GroupId"] != g || d["TeacherId"] != tid {
			t.Fatalf("moved room: %v", d)
		}
		sc.Fails("DescribeRoom", M{"RoomId": room(4)}, "ResourceNotFound.Room")
		if week := sc.Call("GetRooms", M{"SdkAppId": app, "StartTime": now, "EndTime": now + 7*86400}); week["Total"] != float64(4) {
			t.Fatalf("week after a delete: %v", week)
		}
		// The student's timetable: the group's rooms.
		if n, rows, _ := h.Store.LCICRooms(t.Context(), store.LCICRoomFilter{AppID: app, MemberID: students[2]}); n != 4 || rows[0].RoomID != room(0) {
			t.Fatalf("student's timetable: %d %v", n, rows)
		}

		// Single sign-on: the school's login gives the apps their 随心播 token.
		tt := sc.Call("LoginUser", M{"UserId": tid})["Token"].(string)
		st := sc.Call("LoginOriginId", M{"SdkAppId": app, "OriginId": "stu-1"})
		stok := st["Token"].(string)
		if st["UserId"] != students[0] || st["UserSig"] == "" {
			t.Fatalf("login origin: %v", st)
		}
		// The teacher starts today's class early; a student may enter (it opens 10 minutes before).
		h.Call(app, tt, "live", "startcourse", M{"roomnum": room(0)}).Want(t, 0)
		h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(0), "operate": 0}).Want(t, 0)
		// Tomorrow's class, started by its teacher now: its students must wait.
		h.Call(app, tt, "live", "startcourse", M{"roomnum": room(1)}).Want(t, 0)
		a := h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(1), "operate": 0}).Want(t, svc.CodeRoomState)
		if !strings.Contains(a.Info, "opens at") {
			t.Fatalf("an early entry: %s", a.Raw)
		}
		// A started room cannot be moved.
		sc.Fails("ModifyRoom", M{"RoomId": room(1), "SdkAppId": app, "Name": "x"}, "FailedOperation.ClassStarted")

		// The member list, a kick that sticks, and its lifting.
		cur := sc.Call("DescribeCurrentMemberList", M{"RoomId": room(0)})
		if cur["Total"] != float64(2) {
			t.Fatalf("members: %v", cur)
		}
		sc.Call("KickUserFromRoom", M{"SdkAppId": app, "RoomId": room(0), "UserId": students[0], "KickType": 2})
		h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(0), "operate": 0}).Want(t, svc.CodeRemoved)
		sc.Fails("KickUserFromRoom", M{"SdkAppId": app, "RoomId": room(0), "UserId": tid}, "InvalidParameter.UserId")
		sc.Call("UnblockKickedUser", M{"SdkAppId": app, "RoomId": room(0), "UserId": students[0]})
		h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(0), "operate": 0}).Want(t, 0)

		// The school ends the class; its events and statistics.
		sc.Call("EndRoom", M{"RoomId": room(0)})
		if d := sc.Call("DescribeRoom", M{"RoomId": room(0)}); d["Status"] != float64(2) || d["RealStartTime"] == nil || d["RealEndTime"] == nil {
			t.Fatalf("ended room: %v", d)
		}
		ev := sc.Call("GetRoomEvent", M{"SdkAppId": app, "RoomId": room(0)})
		var types []string
		for _, e := range ev["Events"].([]any) {
			types = append(types, e.(M)["EventType"].(string))
		}
		if ev["Total"] != float64(4) || fmt.Sprint(types) != "[RoomStart MemberJoin MemberJoin RoomEnd]" {
			t.Fatalf("events: %v", ev)
		}
		if joins := sc.Call("GetRoomEvent", M{"SdkAppId": app, "RoomId": room(0), "Keyword": "MemberJoin"}); joins["Total"] != float64(2) {
			t.Fatalf("joins: %v", joins)
		}
		if stats := sc.Call("DescribeRoomStatistics", M{"RoomId": room(0)}); stats["MemberNumber"] != float64(2) {
			t.Fatalf("statistics: %v", stats)
		}
		sc.Fails("EndRoom", M{"RoomId": room(0)}, "FailedOperation.RoomNotStart")
		sc.Fails("DeleteRoom", M{"RoomId": room(1)}, "FailedOperation.RoomNotEnd")

		// A room nobody starts expires after its end.
		short := sc.Call("CreateRoom", M{"SdkAppId": app, "Name": "Quiz", "StartTime": now + 30, "EndTime": now + 60, "TeacherId": tid})["RoomId"]
		h.Advance(2 * time.Minute)
		h.App.LCIC.Expire(t.Context())
		if d := sc.Call("DescribeRoom", M{"RoomId": short}); d["Status"] != float64(3) {
			t.Fatalf("expired room: %v", d)
		}
		h.Call(app, tt, "live", "startcourse", M{"roomnum": short}).Want(t, svc.CodeRoomState)
		if n, _, _ := h.Store.LCICRooms(t.Context(), store.LCICRoomFilter{AppID: app, Statuses: []int{3}}); n != 1 {
			t.Fatalf("%d expired rooms", n)
		}

		// Deleting a user: its personal fields go, its sessions end, its history stays.
		sc.Call("DeleteUser", M{"SdkAppId": app, "UserId": students[0]})
		sc.Fails("LoginUser", M{"UserId": students[0]}, "ResourceNotFound.User")
		sc.Fails("LoginOriginId", M{"SdkAppId": app, "OriginId": "stu-1"}, "ResourceNotFound.User")
		h.Call(app, stok, "live", "roomlist", M{"index": 0, "size": 5}).Want(t, svc.CodeTokenExpire)
		if u, _ := h.Store.LCICUser(t.Context(), students[0]); u.Name != "" || !u.Deleted {
			t.Fatalf("deleted user keeps %v", u)
		}
		if stats := sc.Call("DescribeRoomStatistics", M{"RoomId": room(0)}); stats["MemberNumber"] != float64(2) {
			t.Fatalf("history after a delete: %v", stats)
		}
		// Groups go too.
		sc.Call("DeleteGroupMember", M{"SdkAppId": app, "GroupId": g, "MemberIds": students[1:2]})
		if gl := sc.Call("DescribeGroupList", M{"SdkAppId": app, "MemberId": students[1]}); gl["Total"] != float64(0) {
			t.Fatalf("groups of a removed member: %v", gl)
		}
		sc.Call("DeleteGroup", M{"SdkAppId": app, "GroupIds": []string{g}})
		sc.Fails("DescribeGroup", M{"SdkAppId": app, "GroupId": g}, "ResourceNotFound.GroupNotExist")
	})
}

func TestAuthFailures(t *testing.T) {
	h, sc, id, key := tests.NewLCIC(t, nil)
	app := int64(tests.AppA)
	sc.Call("DescribeDeveloper", M{})
	tests.NewSchool(t, h, id, "wrong-secret").Fails("DescribeDeveloper", M{}, "AuthFailure.SignatureFailure")
	tests.NewSchool(t, h, "AKIDnobody", "x").Fails("DescribeDeveloper", M{}, "AuthFailure.SecretIdNotFound")
	sc.Fails("NoSuchAction", M{}, "InvalidAction")
	sc.Fails("RegisterUser", M{"SdkAppId": tests.AppB, "Name": "x"}, "InvalidParameter.SdkAppId")
	sc.Fails("RegisterUser", M{"Name": "x"}, "MissingParameter")
	sc.Fails("RegisterUser", M{"SdkAppId": "1400000001"}, "InvalidParameter")
	sc.Fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 30, "TeacherId": "nobody"}, "InvalidParameter.EndTime")
	sc.Fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 2*86400, "TeacherId": "nobody"}, "FailedOperation.ClassTooLong")
	sc.Fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 120, "TeacherId": "nobody"}, "ResourceNotFound.User")
	sc.Fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 120, "Bogus": 1}, "UnknownParameter")
	sc.Fails("DescribeGroup", M{"SdkAppId": app, "GroupId": "nope"}, "ResourceNotFound.GroupNotExist")

	// Requests signed by hand: for another service, stale, tampered.
	send := func(mutate func(r *http.Request, sig *signer)) (string, string) {
		body := `{}`
		r, _ := http.NewRequest(http.MethodPost, h.HTTP.URL+"/", strings.NewReader(body))
		s := &signer{id: id, key: key, service: "lcic", ts: time.Now().Unix()}
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		r.Header.Set("X-TC-Action", "DescribeDeveloper")
		r.Header.Set("X-TC-Version", lcic.Version)
		mutate(r, s)
		return s.do(t, r, body)
	}
	cases := []struct {
		name   string
		mutate func(*http.Request, *signer)
		code   string
	}{
		{"another service", func(r *http.Request, s *signer) { s.service = "cvm" }, "AuthFailure.SignatureFailure"},
		{"stale", func(r *http.Request, s *signer) { s.ts -= 600 }, "AuthFailure.SignatureExpire"},
		{"tampered body", func(r *http.Request, s *signer) { s.tamper = true }, "AuthFailure.SignatureFailure"},
		{"no authorization", func(r *http.Request, s *signer) { s.none = true }, "AuthFailure.InvalidAuthorization"},
		{"old version", func(r *http.Request, s *signer) { r.Header.Set("X-TC-Version", "2020-01-01") }, "InvalidParameterValue"},
		{"host label as service", func(r *http.Request, s *signer) { s.service = "127" }, ""},
		{"host without port", func(r *http.Request, s *signer) { s.hostNoPort = true }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, raw := send(c.mutate)
			if code != c.code {
				t.Fatalf("want %q, got %q: %s", c.code, code, raw)
			}
		})
	}
	// A revoked key is refused at once.
	if ok, err := h.Store.RevokeAPIKey(t.Context(), id, h.Unix()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	sc.Fails("DescribeDeveloper", M{}, "AuthFailure.SecretIdNotFound")
	// Every call is audited.
	_, audit, _ := h.Store.AuditList(t.Context(), 0, 100)
	n := 0
	for _, e := range audit {
		if strings.HasPrefix(e.Action, "lcic ") {
			n++
		}
	}
	if n < 15 {
		t.Fatalf("%d audited API calls", n)
	}
}

func TestAppSettings(t *testing.T) {
	_, sc, _, _ := tests.NewLCIC(t, nil)
	app := int64(tests.AppA)
	sc.Call("ModifyApp", M{"SdkAppId": app, "Callback": "https://school.example/lcic", "CallbackKey": "k1"})
	d := sc.Call("DescribeAppDetail", M{"ApplicationId": fmt.Sprint(app)})
	if d["SdkAppId"] != fmt.Sprint(app) || d["AppConfig"].(M)["Callback"] != "https://school.example/lcic" {
		t.Fatalf("app detail: %v", d)
	}
	sc.Fails("ModifyApp", M{"SdkAppId": app, "Callback": "ftp://x"}, "InvalidParameter")
	sc.Fails("DescribeAppDetail", M{"ApplicationId": "42"}, "InvalidParameter.SdkAppId")
	if dev := sc.Call("DescribeDeveloper", M{}); dev["DeveloperId"] == "" {
		t.Fatalf("developer: %v", dev)
	}
}

// Two servers on one MySQL database, the school's calls and the apps'
// requests landing on either: a moved teacher starts the class on the
// server that saw the old one.
func TestTwoServers(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	secrets := filepath.Join(t.TempDir(), "secrets")
	edit := func(c *server.Config) { c.LCIC = &lcic.Config{SecretsFile: secrets} }
	a := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	b := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	kr, err := lcic.LoadKeyring(secrets)
	if err != nil {
		t.Fatal(err)
	}
	id, key, err := lcic.CreateKey(t.Context(), a.Store, kr, "sync", tests.AppA, a.Unix())
	if err != nil {
		t.Fatal(err)
	}
	sa, sb := tests.NewSchool(t, a, id, key), tests.NewSchool(t, b, id, key)
	app := int64(tests.AppA)
	t1 := sa.Call("RegisterUser", M{"SdkAppId": app, "Name": "T1", "OriginId": "t1"})["UserId"].(string)
	t2 := sb.Call("RegisterUser", M{"SdkAppId": app, "Name": "T2", "OriginId": "t2"})["UserId"].(string)
	if again := sb.Call("RegisterUser", M{"SdkAppId": app, "OriginId": "t1"})["UserId"]; again != t1 {
		t.Fatalf("the same origin on the other server: %v", again)
	}
	now := a.Unix()
	room := int64(sb.Call("CreateRoom", M{"SdkAppId": app, "Name": "R", "StartTime": now + 300, "EndTime": now + 3000, "TeacherId": t1})["RoomId"].(float64))
	tok1 := sa.Call("LoginUser", M{"UserId": t1})["Token"].(string)
	tok2 := sb.Call("LoginUser", M{"UserId": t2})["Token"].(string)
	b.Call(tests.AppA, tok1, "live", "heartbeat", M{"roomnum": room}).Want(t, 0) // b reads the room's teacher
	sa.Call("ModifyRoom", M{"RoomId": room, "TeacherId": t2})
	b.Call(tests.AppA, tok1, "live", "startcourse", M{"roomnum": room}).Want(t, svc.CodeNoPrivilege)
	b.Call(tests.AppA, tok2, "live", "startcourse", M{"roomnum": room}).Want(t, 0)
	if d := sa.Call("DescribeRoom", M{"RoomId": room}); d["Status"] != float64(1) || d["TeacherId"] != t2 {
		t.Fatalf("on the other server: %v", d)
	}
}

func TestDocumentRules(t *testing.T) {
	_, sc, _, _ := tests.NewLCIC(t, nil)
	app := int64(tests.AppA)
	cases := []struct {
		typ  int
		url  string
		size int64
		code string
	}{
		{0, "https://cdn.example/a.png", 1 << 20, ""},
		{0, "https://cdn.example/a.JPEG", 100 << 20, ""},
		{0, "https://cdn.example/a.png", 100<<20 + 1, "LimitExceeded.DocumentSize"},
		{0, "https://cdn.example/a.pdf", 1, "InvalidParameter.DocumentType"},
		{1, "https://cdn.example/deck.pptx", 5 << 20, ""},
		{1, "https://cdn.example/notes.pdf", 100 << 20, ""},
		{1, "https://cdn.example/notes.txt", 1, "InvalidParameter.DocumentType"},
		{2, "https://cdn.example/lesson.mp4", 500 << 20, ""},
		{2, "https://cdn.example/lesson.mp4", 500<<20 + 1, "LimitExceeded.DocumentSize"},
		{2, "https://cdn.example/song.mp3", 50 << 20, ""},
		{2, "https://cdn.example/song.mp3", 50<<20 + 1, "LimitExceeded.DocumentSize"},
		{2, "https://cdn.example/x.exe", 1, "InvalidParameter.DocumentType"},
		{3, "https://cdn.example/a.png", 1, "InvalidParameter.TranscodeType"},
		{0, "javascript:alert(1)", 1, "InvalidParameter.DocumentUrl"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d %s %d", c.typ, c.url, c.size), func(t *testing.T) {
			p := M{"SdkAppId": app, "DocumentUrl": c.url, "DocumentName": "doc", "TranscodeType": c.typ, "DocumentSize": c.size}
			if c.code == "" {
				if id := sc.Call("CreateDocument", p)["DocumentId"]; id == "" {
					t.Fatal("no DocumentId")
				}
				return
			}
			sc.Fails("CreateDocument", p, c.code)
		})
	}
}

// Courseware: a document made, transcoded by the operator's pipeline
// (signed reports), bound to a class (the apps' courseware list shows
// it), unbound, deleted.
func TestCourseware(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, sc, _, _ := tests.NewLCIC(t, func(c *server.Config) { c.CallbackKey, c.AllowUnsignedCallbacks = "cb-key", false })
		app := int64(tests.AppA)
		tid := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "T", "OriginId": "t"})["UserId"].(string)
		now := h.Unix()
		room := sc.Call("CreateRoom", M{"SdkAppId": app, "Name": "R", "StartTime": now + 300, "EndTime": now + 3000, "TeacherId": tid})["RoomId"]
		doc := sc.Call("CreateDocument", M{"SdkAppId": app, "DocumentUrl": "https://cdn.example/deck.pdf", "DocumentName": "Deck",
			"TranscodeType": 1, "Owner": tid, "DocumentSize": 2048, "AutoHandleUnsupportedElement": true})["DocumentId"].(string)
		d := sc.Call("DescribeDocument", M{"DocumentId": doc})
		if d["TranscodeState"] != float64(1) || d["DocumentType"] != "pdf" || d["AutoHandleUnsupportedElement"] != true {
			t.Fatalf("new document: %v", d)
		}
		report := func(t int64, sign string, body M) int {
			b, _ := json.Marshal(body)
			resp, err := http.Post(fmt.Sprintf("%s%s?t=%d&sign=%s", h.HTTP.URL, lcic.TranscodePath, t, sign), "application/json", strings.NewReader(string(b)))
			if err != nil {
				panic(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		exp := now + 600
		sum := md5.Sum([]byte(fmt.Sprintf("cb-key%d", exp)))
		sign := hex.EncodeToString(sum[:])
		done := M{"DocumentId": doc, "TranscodeState": 3, "TranscodeResult": "https://cdn.example/deck/index.html", "Pages": 12}
		if code := report(exp, "bad", done); code != 403 {
			t.Fatalf("an unsigned report: %d", code)
		}
		if code := report(exp, sign, M{"DocumentId": doc, "TranscodeState": 3}); code != 400 {
			t.Fatalf("a finished report without its result: %d", code)
		}
		if code := report(exp, sign, done); code != 200 {
			t.Fatalf("report: %d", code)
		}
		if d := sc.Call("DescribeDocument", M{"DocumentId": doc}); d["TranscodeState"] != float64(3) || d["Pages"] != float64(12) ||
			d["TranscodeProgress"] != float64(100) || d["TranscodeResult"] != "https://cdn.example/deck/index.html" {
			t.Fatalf("transcoded: %v", d)
		}

		sc.Call("BindDocumentToRoom", M{"RoomId": room, "DocumentId": doc})
		sc.Call("BindDocumentToRoom", M{"RoomId": room, "DocumentId": doc}) // again: nothing more
		tok := sc.Call("LoginUser", M{"UserId": tid})["Token"].(string)
		var binds struct {
			Total     int `json:"total"`
			BindFiles []struct {
				FileName string `json:"file_name"`
				URL      string `json:"url"`
			} `json:"bind_files"`
		}
		h.Call(tests.AppA, tok, "live", "querybind", M{"roomnum": room, "index": 0, "size": 10}).Want(t, 0).Decode(t, &binds)
		if binds.Total != 1 || binds.BindFiles[0].FileName != "Deck" || binds.BindFiles[0].URL != "https://cdn.example/deck.pdf" {
			t.Fatalf("the class's courseware: %+v", binds)
		}
		if byRoom := sc.Call("DescribeDocumentsByRoom", M{"RoomId": room, "SdkAppId": app}); byRoom["Total"] != float64(1) {
			t.Fatalf("by room: %v", byRoom)
		}
		if list := sc.Call("DescribeDocuments", M{"SdkAppId": app, "Keyword": "Dec", "Owner": tid}); list["Total"] != float64(1) {
			t.Fatalf("by keyword: %v", list)
		}
		if list := sc.Call("BatchDescribeDocument", M{"SdkAppId": app, "DocumentId": []string{doc, "nope"}}); list["Total"] != float64(1) {
			t.Fatalf("by ids: %v", list)
		}
		sc.Call("UnbindDocumentFromRoom", M{"RoomId": room, "DocumentId": doc})
		h.Call(tests.AppA, tok, "live", "querybind", M{"roomnum": room, "index": 0, "size": 10}).Want(t, 0).Decode(t, &binds)
		if binds.Total != 0 {
			t.Fatalf("after unbind: %+v", binds)
		}
		sc.Call("BindDocumentToRoom", M{"RoomId": room, "DocumentId": doc})
		sc.Call("DeleteDocument", M{"DocumentId": doc})
		sc.Fails("DescribeDocument", M{"DocumentId": doc}, "ResourceNotFound.Document")
		h.Call(tests.AppA, tok, "live", "querybind", M{"roomnum": room, "index": 0, "size": 10}).Want(t, 0).Decode(t, &binds)
		if binds.Total != 0 {
			t.Fatalf("after delete: %+v", binds)
		}
	})
}

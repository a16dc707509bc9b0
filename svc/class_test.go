package svc_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/sig"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// TestWholeClass runs a whole class over HTTP: two teachers and four
// students of app A, a teacher of app B; rooms through states 0→1→2→3 with
// IM messages, recording and replay-index callbacks, and every list filter.
func TestWholeClass(t *testing.T) { tests.EachEngine(t, testWholeClass) }

func testWholeClass(t *testing.T) {
	im := tests.NewFakeTencent(t)
	replay := tests.NewFakeTencent(t)
	h := tests.New(t, func(c *server.Config) {
		c.IMBaseURL = im.URL
		c.ReplayIndexURL = replay.URL
	})
	t0 := h.Unix()

	// Accounts and logins; the userSig is a real one for (appid, id).
	h.Regist(tests.AppA, "teacher1", "cHdkMQ==", 1)
	h.Regist(tests.AppA, "Teacher2", "pwd2", 1)
	students := []string{"stu1", "stu2", "stu3", "stu4"}
	for _, s := range students {
		h.Regist(tests.AppA, s, "pw-"+s, 0)
	}
	h.Regist(tests.AppB, "teacherB", "pwb", 1)
	l1 := h.Login(tests.AppA, "teacher1", "cHdkMQ==")
	tests.Eq(t, "teacher role", l1.Role, 1)
	if err := sig.VerifyUserSig(tests.AppA, tests.KeyA, "teacher1", l1.UserSig, time.Now()); err != nil {
		t.Fatalf("login userSig: %v", err)
	}
	// Valid for the default 180 days.
	if err := sig.VerifyUserSig(tests.AppA, tests.KeyA, "teacher1", l1.UserSig, time.Now().Add(179*24*time.Hour)); err != nil {
		t.Fatalf("userSig at 179 days: %v", err)
	}
	if err := sig.VerifyUserSig(tests.AppA, tests.KeyA, "teacher1", l1.UserSig, time.Now().Add(181*24*time.Hour)); err == nil {
		t.Fatal("userSig still valid after 181 days")
	}
	if err := sig.VerifyUserSig(tests.AppA, tests.KeyA, "Teacher2", l1.UserSig, time.Now()); err == nil {
		t.Fatal("userSig valid for another id")
	}
	if len(l1.Token) != 32 {
		t.Fatalf("token %q is not 128 bits of hex", l1.Token)
	}
	t1 := l1.Token
	t2 := h.Login(tests.AppA, "Teacher2", "pwd2").Token
	tb := h.Login(tests.AppB, "teacherB", "pwb").Token
	stok := map[string]string{}
	for _, s := range students {
		l := h.Login(tests.AppA, s, "pw-"+s)
		tests.Eq(t, "student role", l.Role, 0)
		stok[s] = l.Token
	}

	// Create: room numbers from 10001, group = number as a string.
	var r1, r2, r3 struct {
		RoomNum int64  `json:"roomnum"`
		GroupID string `json:"groupid"`
	}
	h.Call(tests.AppA, t1, "live", "create", tests.M{"title": "Math", "cover": "http://c/1.png"}).Want(t, 0).Decode(t, &r1)
	tests.Eq(t, "room1", r1.RoomNum, int64(10001))
	tests.Eq(t, "group1", r1.GroupID, "10001")
	h.Advance(10 * time.Second)
	h.Call(tests.AppA, t2, "live", "create", tests.M{"title": ""}).Want(t, 0).Decode(t, &r2)
	tests.Eq(t, "room2", r2.RoomNum, int64(10002))
	h.Call(tests.AppB, tb, "live", "create", tests.M{"title": "B"}).Want(t, 0).Decode(t, &r3)
	tests.Eq(t, "room3", r3.RoomNum, int64(10003))
	room1, room2 := r1.RoomNum, r2.RoomNum

	l := h.Rooms(t, tests.AppA, stok["stu1"], nil)
	tests.Eq(t, "app A rooms newest first", tests.RoomNums(l), []int64{room2, room1})
	tests.Eq(t, "total", l.Total, int64(2))
	r := l.Rooms[1]
	tests.Eq(t, "created room", r, tests.RoomInfo{HostUID: "teacher1", Title: "Math", RoomNum: room1, GroupID: "10001", Cover: "http://c/1.png"})
	tests.Eq(t, "app B rooms", tests.RoomNums(h.Rooms(t, tests.AppB, tb, nil)), []int64{r3.RoomNum})

	// Courseware before class: the room's and the teacher's own library.
	h.Advance(10 * time.Second)
	tBind1 := h.Unix()
	bind := func(tok string, room any, op int, typ int, name, url string) tests.Answer {
		f := tests.M{"operate": op, "bind_file": tests.M{"type": typ, "file_name": name, "url": url}}
		if room != nil {
			f["roomnum"] = room
		}
		return h.Call(tests.AppA, tok, "live", "reportbind", f)
	}
	bind(t1, room1, 0, 0, "a.ppt", "http://f/a.ppt").Want(t, 0)
	h.Advance(10 * time.Second)
	tBind2 := h.Unix()
	bind(t1, room1, 0, 1, "b.mp4", "http://f/b.mp4").Want(t, 0)
	bind(t1, room1, 0, 1, "b again", "http://f/b.mp4").Want(t, svc.CodeRepeatBind)
	bind(t1, nil, 0, 0, "lib.doc", "http://f/lib.doc").Want(t, 0)
	bind(t1, 0, 0, 0, "lib.doc", "http://f/lib.doc").Want(t, svc.CodeRepeatBind)
	bind(t1, room1, 0, 0, "c.pdf", "http://f/c.pdf").Want(t, 0)
	bind(t1, room1, 1, 0, "c.pdf", "http://f/c.pdf").Want(t, 0)
	bind(t1, room1, 1, 0, "c.pdf", "http://f/c.pdf").Want(t, svc.CodeNotBound)
	bind(t2, room1, 0, 0, "x", "http://f/x").Want(t, svc.CodeNoPrivilege)
	bind(stok["stu1"], room1, 0, 0, "x", "http://f/x").Want(t, svc.CodeNoPrivilege)
	bind(t1, 99999, 0, 0, "x", "http://f/x").Want(t, svc.CodeRoomNotExist)

	// Start: IM 1001 whose MsgSeq becomes begin_imseq; the teacher is a member.
	h.Advance(time.Minute)
	tStart := h.Unix()
	h.Call(tests.AppA, t1, "live", "startcourse", tests.M{"roomnum": room1}).Want(t, 0)
	c := im.Last(t)
	tests.CheckGroupMsg(t, c, room1, 1001, tStart, tests.M{"uid": "teacher1"})
	startSeq := c.Seq
	h.Call(tests.AppA, t1, "live", "startcourse", tests.M{"roomnum": room1}).Want(t, svc.CodeRoomState)
	l = h.Rooms(t, tests.AppA, t1, tests.M{"roomnum": room1})
	tests.Eq(t, "living", l.Rooms[0].State, 1)
	tests.Eq(t, "begin_time", l.Rooms[0].BeginTime, tStart)
	tests.Eq(t, "begin_imseq", l.Rooms[0].BeginIMSeq, startSeq)
	tests.Eq(t, "memsize with teacher", l.Rooms[0].MemSize, int64(1))

	// Students enter (IM 1003 each, roomnum as int or string), in order.
	for i, s := range students {
		h.Advance(time.Second)
		var room any = room1
		if i%2 == 1 {
			room = strconv.FormatInt(room1, 10)
		}
		h.Call(tests.AppA, stok[s], "live", "reportmemid", tests.M{"roomnum": room, "operate": 0}).Want(t, 0)
		tests.CheckGroupMsg(t, im.Last(t), room1, 1003, h.Unix(), tests.M{"uid": s})
	}
	// A repeat enter is allowed and keeps the entry order.
	h.Call(tests.AppA, stok["stu1"], "live", "reportmemid", tests.M{"roomnum": room1, "operate": 0}).Want(t, 0)
	all := tests.MemberList{Total: 5, IDList: []tests.Member{{ID: "teacher1", Role: 1}, {ID: "stu1", Role: 0}, {ID: "stu2", Role: 0}, {ID: "stu3", Role: 0}, {ID: "stu4", Role: 0}}}
	tests.Eq(t, "members", h.Members(t, stok["stu2"], room1, 0, 50), all)
	tests.Eq(t, "members page 2", h.Members(t, t1, "10001", 2, 2), tests.MemberList{Total: 5, IDList: all.IDList[2:4]})
	tests.Eq(t, "members page past end", h.Members(t, t1, room1, 10, 2), tests.MemberList{Total: 5, IDList: []tests.Member{}})
	tests.Eq(t, "members size 0", h.Members(t, t1, room1, 0, 0), tests.MemberList{Total: 5, IDList: []tests.Member{}})
	tests.Eq(t, "members of unknown room", h.Members(t, t1, 99999, 0, 10), tests.MemberList{Total: 0, IDList: []tests.Member{}})

	// Heartbeats: everyone, int or string roomnum; a non-member adds nobody.
	for _, tok := range append([]string{t1}, stok["stu1"], stok["stu2"], stok["stu3"], stok["stu4"]) {
		h.Call(tests.AppA, tok, "live", "heartbeat", tests.M{"roomnum": room1}).Want(t, 0)
	}
	h.Call(tests.AppA, stok["stu1"], "live", "heartbeat", tests.M{"roomnum": "10001"}).Want(t, 0)
	h.Call(tests.AppA, t2, "live", "heartbeat", tests.M{"roomnum": room1}).Want(t, 0)
	h.Call(tests.AppA, t2, "live", "heartbeat", tests.M{"roomnum": 99999}).Want(t, svc.CodeRoomNotExist)
	tests.Eq(t, "members after heartbeats", h.Members(t, t1, room1, 0, 50).Total, int64(5))

	// stu4 leaves (twice: repeat exit is allowed); stu3 was never... teacher2 never entered.
	h.Call(tests.AppA, stok["stu4"], "live", "reportmemid", tests.M{"roomnum": room1, "operate": 1}).Want(t, 0)
	h.Call(tests.AppA, stok["stu4"], "live", "reportmemid", tests.M{"roomnum": room1, "operate": 1}).Want(t, 0)
	h.Call(tests.AppA, t2, "live", "reportmemid", tests.M{"roomnum": room1, "operate": 1}).Want(t, svc.CodeRepeatExit)
	tests.Eq(t, "members after exit", tests.IDs(h.Members(t, t1, room1, 0, 50)), []string{"teacher1", "stu1", "stu2", "stu3"})

	// Courseware during class: a student sees the room's files, newest first;
	// time filters are inclusive; the library is the caller's own.
	bf := h.Binds(t, stok["stu3"], tests.M{"roomnum": room1})
	tests.Eq(t, "room files", tests.URLs(bf), []string{"http://f/b.mp4", "http://f/a.ppt"})
	tests.Eq(t, "room file", bf.BindFiles[1], tests.BindFile{Type: 0, BindTime: tBind1, FileName: "a.ppt", URL: "http://f/a.ppt"})
	tests.Eq(t, "room file 2", bf.BindFiles[0], tests.BindFile{Type: 1, BindTime: tBind2, FileName: "b.mp4", URL: "http://f/b.mp4"})
	tests.Eq(t, "from_time inclusive", tests.URLs(h.Binds(t, t1, tests.M{"roomnum": room1, "from_time": tBind2})), []string{"http://f/b.mp4"})
	tests.Eq(t, "to_time inclusive", tests.URLs(h.Binds(t, t1, tests.M{"roomnum": room1, "to_time": tBind1})), []string{"http://f/a.ppt"})
	tests.Eq(t, "both", tests.URLs(h.Binds(t, t1, tests.M{"roomnum": room1, "from_time": tBind1, "to_time": tBind2})), []string{"http://f/b.mp4", "http://f/a.ppt"})
	p := h.Binds(t, t1, tests.M{"roomnum": room1, "index": 1, "size": 1})
	tests.Eq(t, "bind paging", p.Total, int64(2))
	tests.Eq(t, "bind paging rows", tests.URLs(p), []string{"http://f/a.ppt"})
	tests.Eq(t, "teacher library", tests.URLs(h.Binds(t, t1, tests.M{})), []string{"http://f/lib.doc"})
	tests.Eq(t, "teacher library roomnum 0", tests.URLs(h.Binds(t, t1, tests.M{"roomnum": 0})), []string{"http://f/lib.doc"})
	tests.Eq(t, "student library", h.Binds(t, stok["stu1"], tests.M{}), tests.BindList{BindFiles: []tests.BindFile{}})
	tests.Eq(t, "unknown room files", h.Binds(t, t1, tests.M{"roomnum": 99999}), tests.BindList{BindFiles: []tests.BindFile{}})
	tests.Eq(t, "other app's room files", h.Binds(t, t1, tests.M{"roomnum": r3.RoomNum}), tests.BindList{BindFiles: []tests.BindFile{}})

	// Room list filters.
	h.Advance(time.Minute)
	h.Call(tests.AppA, t2, "live", "startcourse", tests.M{"roomnum": room2}).Want(t, 0)
	tStart2 := h.Unix()
	tests.Eq(t, "order by start time", tests.RoomNums(h.Rooms(t, tests.AppA, t1, nil)), []int64{room2, room1})
	tests.Eq(t, "roomnum", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"roomnum": room2})), []int64{room2})
	tests.Eq(t, "unknown roomnum", h.Rooms(t, tests.AppA, t1, tests.M{"roomnum": 99999}), tests.RoomList{Rooms: []tests.RoomInfo{}})
	tests.Eq(t, "other app's roomnum", h.Rooms(t, tests.AppA, t1, tests.M{"roomnum": r3.RoomNum}), tests.RoomList{Rooms: []tests.RoomInfo{}})
	tests.Eq(t, "host_uid", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"host_uid": "Teacher2"})), []int64{room2})
	tests.Eq(t, "host_uid empty", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"host_uid": ""})), []int64{room2, room1})
	tests.Eq(t, "from_time excl", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"from_time": tStart})), []int64{room2})
	tests.Eq(t, "from_time", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"from_time": tStart - 1})), []int64{room2, room1})
	tests.Eq(t, "to_time incl", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"to_time": tStart})), []int64{room1})
	tests.Eq(t, "to_time before all", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"to_time": t0 - 1})), []int64{})
	tests.Eq(t, "window", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"from_time": tStart, "to_time": tStart2})), []int64{room2})
	tests.Eq(t, "zero bounds", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"from_time": 0, "to_time": 0})), []int64{room2, room1})
	tests.Eq(t, "state 1", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"state": 1})), []int64{room2, room1})
	tests.Eq(t, "state 0", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"state": 0})), []int64{})
	tests.Eq(t, "state 0 app B", tests.RoomNums(h.Rooms(t, tests.AppB, tb, tests.M{"state": 0})), []int64{r3.RoomNum})
	pg := h.Rooms(t, tests.AppA, t1, tests.M{"index": 1, "size": 1})
	tests.Eq(t, "paging total", pg.Total, int64(2))
	tests.Eq(t, "paging rows", tests.RoomNums(pg), []int64{room1})
	tests.Eq(t, "size 0", h.Rooms(t, tests.AppA, t1, tests.M{"size": 0}), tests.RoomList{Total: 2, Rooms: []tests.RoomInfo{}})

	// Recording done: stored and announced (IM 1004 with its details).
	uidB64 := base64.StdEncoding.EncodeToString([]byte("teacher1"))
	rec := tests.M{"event_type": 100, "stream_id": "s1", "start_time": tStart + 1, "end_time": tStart + 60,
		"media_start_time": 15, "file_size": 12345, "duration": 59, "video_id": "vid-1",
		"video_url": "http://v/1.mp4", "stream_param": "txSecret=x&groupid=" + r1.GroupID + "&userid=" + uidB64}
	a := h.Post("live", "reccall", rec)
	tests.Eq(t, "reccall answer", string(a.Raw), `{"code":0}`)
	c = im.Last(t)
	tests.CheckGroupMsg(t, c, room1, 1004, 0, tests.M{"uid": "teacher1", "start_time": tStart + 1, "end_time": tStart + 60,
		"media_start_time": int64(15), "file_size": int64(12345), "duration": int64(59), "video_id": "vid-1", "video_url": "http://v/1.mp4"})
	recSeq := c.Seq
	if n := tests.QueryInt(t, h.DBPath, `SELECT COUNT(*) FROM t_video_record WHERE room_id = ? AND video_id = 'vid-1'
		AND file_size = 12345 AND uin = 10001 AND video_url = 'http://v/1.mp4'`, room1); n != 1 {
		t.Fatalf("%d recordings stored", n)
	}
	// The document's name is accepted too; event types other than 100 store nothing.
	a = h.Post("live", "recendcall", tests.M{"event_type": 1, "stream_id": "s1"})
	tests.Eq(t, "recendcall answer", string(a.Raw), `{"code":0}`)
	if n := tests.QueryInt(t, h.DBPath, "SELECT COUNT(*) FROM t_video_record WHERE room_id = ?", room1); n != 1 {
		t.Fatalf("event 1 stored a recording: %d", n)
	}

	// End: IM 1002, members exit, state 2, the index allowed from now+300.
	h.Advance(time.Minute)
	tEnd := h.Unix()
	h.Call(tests.AppA, stok["stu1"], "live", "exitroom", tests.M{"roomnum": room1}).Want(t, svc.CodeNoPrivilege)
	h.Call(tests.AppA, t1, "live", "exitroom", tests.M{"roomnum": room1}).Want(t, 0)
	c = im.Last(t)
	tests.CheckGroupMsg(t, c, room1, 1002, tEnd, tests.M{"uid": "teacher1"})
	endSeq := c.Seq
	h.Call(tests.AppA, t1, "live", "exitroom", tests.M{"roomnum": room1}).Want(t, svc.CodeRoomState)
	h.Call(tests.AppA, stok["stu1"], "live", "reportmemid", tests.M{"roomnum": room1, "operate": 0}).Want(t, svc.CodeRoomState)
	h.Call(tests.AppA, stok["stu1"], "live", "heartbeat", tests.M{"roomnum": room1}).Want(t, 0)
	tests.Eq(t, "members after end", h.Members(t, t1, room1, 0, 50), tests.MemberList{IDList: []tests.Member{}})
	bind(t1, room1, 0, 0, "late", "http://f/late").Want(t, svc.CodeRoomState)
	l = h.Rooms(t, tests.AppA, t1, tests.M{"roomnum": room1})
	want := tests.RoomInfo{HostUID: "teacher1", Title: "Math", RoomNum: room1, State: 2, GroupID: "10001",
		Cover: "http://c/1.png", BeginTime: tStart, EndTime: tEnd, BeginIMSeq: startSeq, EndIMSeq: endSeq}
	tests.Eq(t, "ended room", l.Rooms[0], want)
	tests.Eq(t, "state 2 filter", tests.RoomNums(h.Rooms(t, tests.AppA, t1, tests.M{"state": 2})), []int64{room1})

	// makereplayidx: too early, then once.
	mk := tests.M{"appid": tests.AppA, "roomnum": room1}
	h.Post("live", "makereplayidx", mk).Want(t, svc.CodeRoomState)
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppB, "roomnum": room1}).Want(t, svc.CodeReqData)
	h.Advance(302 * time.Second)
	l = h.Rooms(t, tests.AppA, t1, tests.M{"roomnum": room1})
	tests.Eq(t, "can trigger", l.Rooms[0].CanTriggerReplayIdx, 1)
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppB, "roomnum": room1}).Want(t, svc.CodeReqData)
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppA, "roomnum": room2}).Want(t, svc.CodeRoomState)
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppA, "roomnum": 99999}).Want(t, svc.CodeRoomNotExist)
	a = h.Post("live", "makereplayidx", mk).Want(t, 0)
	if a.HasData {
		t.Fatalf("makereplayidx has data: %s", a.Raw)
	}
	tTrig := h.Unix()
	rc := replay.Last(t)
	rc.CheckSigned(t, tests.AppA, tests.KeyA, "admin", "ilvb_video_replay", "create_replay_index")
	var rq struct {
		GroupID           string `json:"GroupId"`
		MsgSeqStart       int64
		MsgSeqEnd         int64
		MaxMsgSeqVideoEnd int64
		UserList          []struct{ Account string }
	}
	if err := json.Unmarshal(rc.Raw, &rq); err != nil {
		t.Fatal(err)
	}
	tests.Eq(t, "replay GroupId", rq.GroupID, "10001")
	tests.Eq(t, "replay seqs", []int64{rq.MsgSeqStart, rq.MsgSeqEnd, rq.MaxMsgSeqVideoEnd}, []int64{startSeq, endSeq, recSeq})
	var accts []string
	for _, u := range rq.UserList {
		accts = append(accts, u.Account)
	}
	tests.Eq(t, "replay users, teacher first", accts, []string{"teacher1", "stu1", "stu2", "stu3", "stu4"})
	h.Post("live", "makereplayidx", mk).Want(t, svc.CodeRoomState)
	tests.Eq(t, "one replay request", len(replay.Calls()), 1)
	l = h.Rooms(t, tests.AppA, t1, tests.M{"roomnum": room1})
	want.TriggerReplayIdxTime = tTrig
	tests.Eq(t, "triggered room", l.Rooms[0], want)

	// The index is ready: state 3, url in both fields, history deleted.
	h.Advance(time.Minute)
	tIdx := h.Unix()
	src, _ := json.Marshal(tests.M{"GroupId": "10001"})
	a = h.Post("live", "idxfileendcall", tests.M{"SrcRequest": string(src), "ErrorCode": 0, "ErrorInfo": "",
		"ReplayIndex": tests.M{"FileUrl": "http://idx/10001.json", "CreateTime": tIdx - 5}})
	tests.Eq(t, "idxfileendcall answer", string(a.Raw), `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	l = h.Rooms(t, tests.AppA, t1, tests.M{"state": 3})
	want.State, want.PlaybackIdxURL, want.ReplayIdxURL, want.ReplayIdxCreatedTime = 3, "http://idx/10001.json", "http://idx/10001.json", tIdx
	tests.Eq(t, "playback room", l.Rooms[0], want)
	if hist, err := h.Store.MemberHistory(t.Context(), room1, 10001); err != nil || len(hist) != 0 {
		t.Fatalf("member history after index: %v %v", hist, err)
	}

	// Room 2 ends without IM seqs from a stopped fake: IM failure is 10103 and
	// changes nothing.
	im.SetReply(func(w http.ResponseWriter, c tests.TencentCall) {
		w.Write([]byte(`{"ActionStatus":"FAIL","ErrorCode":10007,"ErrorInfo":"no permission"}`))
	})
	h.Call(tests.AppA, t2, "live", "exitroom", tests.M{"roomnum": room2}).Want(t, svc.CodeSendIM)
	tests.Eq(t, "room2 still living", h.Rooms(t, tests.AppA, t2, tests.M{"roomnum": room2}).Rooms[0].State, 1)
	im.SetReply(nil)
	h.Call(tests.AppA, t2, "live", "exitroom", tests.M{"roomnum": room2}).Want(t, 0)
	tests.Eq(t, "room2 ended", h.Rooms(t, tests.AppA, t2, tests.M{"roomnum": room2}).Rooms[0].State, 2)

	// Logout ends the session.
	h.Call(tests.AppA, "", "account", "logout", tests.M{"token": t1}).Want(t, 0)
	h.Call(tests.AppA, t1, "live", "roomlist", tests.M{"index": 0, "size": 1}).Want(t, svc.CodeTokenExpire)
}

// TestConcurrentClass: a class of 30 doing everything at once over HTTP
// while the background loop flushes and reaps (run with -race).
func TestConcurrentClass(t *testing.T) { tests.EachEngine(t, testConcurrentClass) }

func testConcurrentClass(t *testing.T) {
	im := tests.NewFakeTencent(t)
	h := tests.New(t, func(c *server.Config) {
		c.IMBaseURL = im.URL
		c.FlushInterval = 2 * time.Millisecond
		c.ReaperInterval = time.Second
	})
	h.RunBackground()
	teacher := h.User(tests.AppA, "teacher", 1)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "busy"}).Want(t, 0).Decode(t, &d)
	room := d.RoomNum
	h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": room}).Want(t, 0)

	const n = 30
	toks := make([]string, n)
	for i := range toks {
		h.Regist(tests.AppA, "s"+strconv.Itoa(i), "p", 0)
	}
	errs := make(chan string, n*64)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := "s" + strconv.Itoa(i)
			var l tests.LoginData
			a := h.Call(tests.AppA, "", "account", "login", tests.M{"id": id, "pwd": "p"})
			if a.Code != 0 || json.Unmarshal(a.Data, &l) != nil {
				errs <- "login " + string(a.Raw)
				return
			}
			toks[i] = l.Token
			calls := []struct {
				cmd string
				f   tests.M
			}{
				{"reportmemid", tests.M{"roomnum": room, "operate": 0}},
				{"heartbeat", tests.M{"roomnum": room}},
				{"roomidlist", tests.M{"roomnum": room, "index": 0, "size": 50}},
				{"heartbeat", tests.M{"roomnum": strconv.FormatInt(room, 10)}},
				{"roomlist", tests.M{"index": 0, "size": 10}},
				{"querybind", tests.M{"roomnum": room, "index": 0, "size": 10}},
				{"heartbeat", tests.M{"roomnum": room}},
			}
			for _, c := range calls {
				if a := h.Call(tests.AppA, l.Token, "live", c.cmd, c.f); a.Code != 0 {
					errs <- c.cmd + " " + string(a.Raw)
				}
			}
		}(i)
	}
	// The teacher works at the same time.
	for i := 0; i < 10; i++ {
		h.Call(tests.AppA, teacher, "live", "heartbeat", tests.M{"roomnum": room}).Want(t, 0)
		h.Call(tests.AppA, teacher, "live", "reportbind", tests.M{"roomnum": room, "operate": 0,
			"bind_file": tests.M{"type": 0, "file_name": "f", "url": "http://f/" + strconv.Itoa(i)}}).Want(t, 0)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	l := h.Members(t, teacher, room, 0, 50)
	if l.Total != n+1 || len(l.IDList) != n+1 || l.IDList[0].ID != "teacher" {
		t.Fatalf("members %d %v", l.Total, tests.IDs(l))
	}
	if got := len(im.Calls()); got != n+1 {
		t.Fatalf("%d IM messages, want %d", got, n+1)
	}
	if b := h.Binds(t, toks[0], tests.M{"roomnum": room}); b.Total != 10 {
		t.Fatalf("binds %d", b.Total)
	}
	// The background loop wrote the heartbeats behind.
	deadline := time.Now().Add(5 * time.Second)
	for h.Store.Pending() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("heartbeats never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r, err := h.Store.Room(t.Context(), room); err != nil || r.LastUpdate != h.Unix() {
		t.Fatalf("room heartbeat %+v %v", r, err)
	}
}

// TestWithoutTencent: with no IM and no replay-index endpoint (the
// one-binary trial), classes run, seqs are 0 and makereplayidx is 10103.
func TestWithoutTencent(t *testing.T) { tests.EachEngine(t, testWithoutTencent) }

func testWithoutTencent(t *testing.T) {
	h := tests.New(t, nil)
	tok := h.User(tests.AppA, "t", 1)
	st := h.User(tests.AppA, "s", 0)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, tok, "live", "create", tests.M{"title": "x"}).Want(t, 0).Decode(t, &d)
	h.Call(tests.AppA, tok, "live", "startcourse", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, st, "live", "reportmemid", tests.M{"roomnum": d.RoomNum, "operate": 0}).Want(t, 0)
	h.Call(tests.AppA, tok, "live", "exitroom", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
	r := h.Rooms(t, tests.AppA, st, nil).Rooms[0]
	if r.State != 2 || r.BeginIMSeq != 0 || r.EndIMSeq != 0 || r.BeginTime == 0 || r.EndTime == 0 {
		t.Fatalf("room %+v", r)
	}
	h.Advance(10 * time.Minute)
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppA, "roomnum": d.RoomNum}).Want(t, svc.CodeSendIM)
}

// TestIndexScheduler: the background loop requests the replay index of a
// class that ended, once its waiting time passed, without makereplayidx.
func TestIndexScheduler(t *testing.T) { tests.EachEngine(t, testIndexScheduler) }

func testIndexScheduler(t *testing.T) {
	replay := tests.NewFakeTencent(t)
	h := tests.New(t, func(c *server.Config) {
		c.ReplayIndexURL = replay.URL
		c.ReaperInterval = time.Second
	})
	tok := h.User(tests.AppA, "t", 1)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, tok, "live", "create", tests.M{"title": "x"}).Want(t, 0).Decode(t, &d)
	h.Call(tests.AppA, tok, "live", "startcourse", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, tok, "live", "exitroom", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
	h.Advance(301 * time.Second)
	h.RunBackground()
	deadline := time.Now().Add(5 * time.Second)
	for len(replay.Calls()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("scheduler never asked for the index")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := replay.Last(t)
	c.CheckSigned(t, tests.AppA, tests.KeyA, "admin", "ilvb_video_replay", "create_replay_index")
	tests.Eq(t, "GroupId", c.Body["GroupId"], strconv.FormatInt(d.RoomNum, 10))
	h.Post("live", "makereplayidx", tests.M{"appid": tests.AppA, "roomnum": d.RoomNum}).Want(t, svc.CodeRoomState)
	// Another scheduler round (run here, not waited for) asks nothing more.
	if err := h.Svc.RequestDueIndexes(t.Context()); err != nil {
		t.Fatal(err)
	}
	tests.Eq(t, "requests", len(replay.Calls()), 1)
}

// TestRecCallIMFailure: a recording whose IM announcement fails is still
// answered {"code":0}, and (as in the reference) not stored.
func TestRecCallIMFailure(t *testing.T) { tests.EachEngine(t, testRecCallIMFailure) }

func testRecCallIMFailure(t *testing.T) {
	f := tests.NewClassroom(t, nil)
	h := f.H
	rec := tests.M{"event_type": 100, "stream_id": "s", "start_time": 1, "end_time": 2, "media_start_time": 3,
		"file_size": 4, "duration": 5, "video_id": "v", "video_url": "http://v",
		"stream_param": "groupid=" + strconv.FormatInt(f.Living, 10) + "&userid=" + base64.StdEncoding.EncodeToString([]byte("s1"))}
	f.IM.SetReply(func(w http.ResponseWriter, c tests.TencentCall) {
		w.Write([]byte(`{"ActionStatus":"FAIL","ErrorCode":10015,"ErrorInfo":"bad group"}`))
	})
	tests.Eq(t, "answer", string(h.Post("live", "reccall", rec).Raw), `{"code":0}`)
	recordings := func() int64 {
		return tests.QueryInt(t, h.DBPath, "SELECT COUNT(*) FROM t_video_record WHERE room_id = ? AND uin = 10003", f.Living)
	}
	if n := recordings(); n != 0 {
		t.Fatalf("stored %d", n)
	}
	f.IM.SetReply(nil)
	tests.Eq(t, "answer", string(h.Post("live", "reccall", rec).Raw), `{"code":0}`)
	room, _ := h.Store.Room(t.Context(), f.Living)
	if n := recordings(); n != 1 || room.LastRecSeq != f.IM.Last(t).Seq || room.LastRecSeq == 0 {
		t.Fatalf("%d recordings, last rec seq %d", n, room.LastRecSeq)
	}
}

// TestDoubleClicks: the same state change sent many times at once
// happens once; the others get 10102 and send no IM message.
func TestDoubleClicks(t *testing.T) { tests.EachEngine(t, testDoubleClicks) }

func testDoubleClicks(t *testing.T) {
	im := tests.NewFakeTencent(t)
	h := tests.New(t, func(c *server.Config) { c.IMBaseURL = im.URL })
	tok := h.User(tests.AppA, "t", 1)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, tok, "live", "create", tests.M{"title": "x"}).Want(t, 0).Decode(t, &d)
	race := func(cmd string) {
		t.Helper()
		var wg sync.WaitGroup
		codes := make(chan int, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes <- h.Call(tests.AppA, tok, "live", cmd, tests.M{"roomnum": d.RoomNum}).Code
			}()
		}
		wg.Wait()
		close(codes)
		n := map[int]int{}
		for c := range codes {
			n[c]++
		}
		if n[0] != 1 || n[svc.CodeRoomState] != 7 {
			t.Fatalf("%s: codes %v", cmd, n)
		}
	}
	race("startcourse")
	tests.Eq(t, "IM messages after start", len(im.Calls()), 1)
	race("exitroom")
	tests.Eq(t, "IM messages after end", len(im.Calls()), 2)
}

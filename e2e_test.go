package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"sxb-edu/sig"
	"sxb-edu/svc"
)

// roomInfo is a room of roomlist, every field PROTOCOL §5 names.
type roomInfo struct {
	HostUID                string `json:"host_uid"`
	Title                  string `json:"title"`
	RoomNum                int64  `json:"roomnum"`
	State                  int    `json:"state"`
	GroupID                string `json:"groupid"`
	Cover                  string `json:"cover"`
	MemSize                int64  `json:"memsize"`
	BeginTime              int64  `json:"begin_time"`
	EndTime                int64  `json:"end_time"`
	BeginIMSeq             int64  `json:"begin_imseq"`
	EndIMSeq               int64  `json:"end_imseq"`
	PlaybackIdxURL         string `json:"playback_idx_url"`
	CanTriggerReplayIdx    int    `json:"can_trigger_replay_idx"`
	TriggerReplayIdxTime   int64  `json:"trigger_replay_idx_time"`
	TriggerReplayIdxResult int64  `json:"trigger_replay_idx_result"`
	ReplayIdxCreatedTime   int64  `json:"replay_idx_created_time"`
	ReplayIdxCreatedResult int64  `json:"replay_idx_created_result"`
	ReplayIdxURL           string `json:"replay_idx_url"`
}

var roomFields = []string{"host_uid", "title", "roomnum", "state", "groupid", "cover", "memsize",
	"begin_time", "end_time", "begin_imseq", "end_imseq", "playback_idx_url", "can_trigger_replay_idx",
	"trigger_replay_idx_time", "trigger_replay_idx_result", "replay_idx_created_time",
	"replay_idx_created_result", "replay_idx_url"}

type roomList struct {
	Total int64      `json:"total"`
	Rooms []roomInfo `json:"rooms"`
}

type member struct {
	ID   string `json:"id"`
	Role int    `json:"role"`
}

type memberList struct {
	Total  int64    `json:"total"`
	IDList []member `json:"idlist"`
}

type bindFile struct {
	Type     int64  `json:"type"`
	BindTime int64  `json:"bind_time"`
	FileName string `json:"file_name"`
	URL      string `json:"url"`
}

type bindList struct {
	Total     int64      `json:"total"`
	BindFiles []bindFile `json:"bind_files"`
}

func (h *Harness) rooms(t *testing.T, appid int64, tok string, f M) roomList {
	t.Helper()
	if f == nil {
		f = M{}
	}
	if _, ok := f["index"]; !ok {
		f["index"] = 0
	}
	if _, ok := f["size"]; !ok {
		f["size"] = 50
	}
	a := h.Call(appid, tok, "live", "roomlist", f).Want(t, 0)
	var l roomList
	a.Decode(t, &l)
	// Every room carries every field, with the JSON type the clients read.
	var raw struct {
		Rooms []map[string]any `json:"rooms"`
	}
	a.Decode(t, &raw)
	for _, r := range raw.Rooms {
		for _, k := range roomFields {
			if _, ok := r[k]; !ok {
				t.Fatalf("room lacks %s: %s", k, a.Data)
			}
		}
		if _, ok := r["groupid"].(string); !ok {
			t.Fatalf("groupid not a string: %s", a.Data)
		}
		if _, ok := r["roomnum"].(float64); !ok {
			t.Fatalf("roomnum not a number: %s", a.Data)
		}
	}
	return l
}

func (h *Harness) members(t *testing.T, tok string, room any, index, size int) memberList {
	t.Helper()
	var l memberList
	h.Call(AppA, tok, "live", "roomidlist", M{"roomnum": room, "index": index, "size": size}).Want(t, 0).Decode(t, &l)
	return l
}

func (h *Harness) binds(t *testing.T, tok string, f M) bindList {
	t.Helper()
	if _, ok := f["index"]; !ok {
		f["index"] = 0
	}
	if _, ok := f["size"]; !ok {
		f["size"] = 50
	}
	var l bindList
	h.Call(AppA, tok, "live", "querybind", f).Want(t, 0).Decode(t, &l)
	return l
}

func roomNums(l roomList) []int64 {
	out := []int64{}
	for _, r := range l.Rooms {
		out = append(out, r.RoomNum)
	}
	return out
}

func ids(l memberList) []string {
	out := []string{}
	for _, m := range l.IDList {
		out = append(out, m.ID)
	}
	return out
}

func urls(l bindList) []string {
	out := []string{}
	for _, b := range l.BindFiles {
		out = append(out, b.URL)
	}
	return out
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// num reads a JSON number of a decoded IM Data object.
func num(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an int", v)
	}
	return i
}

// checkGroupMsg checks one send_group_msg call: signed as AppA's admin, to
// the room's group, a custom element with Data {type, seq, timestamp, value}.
func checkGroupMsg(t *testing.T, c TencentCall, room int64, typ int64, ts int64, value M) {
	t.Helper()
	c.CheckSigned(t, AppA, KeyA, "admin", "group_open_http_svc", "send_group_msg")
	eq(t, "GroupId", c.Body["GroupId"], strconv.FormatInt(room, 10))
	eq(t, "From_Account", c.Body["From_Account"], "admin")
	if r, ok := c.Body["Random"].(float64); !ok || r < 0 || r > 4294967295 || r != float64(int64(r)) {
		t.Fatalf("Random %v is not a uint32", c.Body["Random"])
	}
	d := c.GroupData(t)
	eq(t, "Data.type", num(t, d["type"]), typ)
	if s := num(t, d["seq"]); s <= 0 {
		t.Fatalf("Data.seq %d", s)
	}
	if ts != 0 {
		eq(t, "Data.timestamp", num(t, d["timestamp"]), ts)
	}
	got, _ := d["value"].(map[string]any)
	for k, want := range value {
		switch w := want.(type) {
		case string:
			eq(t, "value."+k, got[k], w)
		case int64:
			eq(t, "value."+k, num(t, got[k]), w)
		}
	}
	if len(got) != len(value) {
		t.Fatalf("value %v, want keys of %v", got, value)
	}
}

// TestWholeClass runs a whole class over HTTP: two teachers and four
// students of app A, a teacher of app B; rooms through states 0→1→2→3 with
// IM messages, recording and replay-index callbacks, and every list filter.
func TestWholeClass(t *testing.T) {
	im := NewFakeTencent(t)
	replay := NewFakeTencent(t)
	h := NewHarness(t, func(c *svc.Config) {
		c.IMBaseURL = im.URL
		c.ReplayIndexURL = replay.URL
	})
	t0 := h.Unix()

	// Accounts and logins; the userSig is a real one for (appid, id).
	h.Regist(AppA, "teacher1", "cHdkMQ==", 1)
	h.Regist(AppA, "Teacher2", "pwd2", 1)
	students := []string{"stu1", "stu2", "stu3", "stu4"}
	for _, s := range students {
		h.Regist(AppA, s, "pw-"+s, 0)
	}
	h.Regist(AppB, "teacherB", "pwb", 1)
	l1 := h.Login(AppA, "teacher1", "cHdkMQ==")
	eq(t, "teacher role", l1.Role, 1)
	if err := sig.VerifyUserSig(AppA, KeyA, "teacher1", l1.UserSig, time.Now()); err != nil {
		t.Fatalf("login userSig: %v", err)
	}
	// Valid for the default 180 days.
	if err := sig.VerifyUserSig(AppA, KeyA, "teacher1", l1.UserSig, time.Now().Add(179*24*time.Hour)); err != nil {
		t.Fatalf("userSig at 179 days: %v", err)
	}
	if err := sig.VerifyUserSig(AppA, KeyA, "teacher1", l1.UserSig, time.Now().Add(181*24*time.Hour)); err == nil {
		t.Fatal("userSig still valid after 181 days")
	}
	if err := sig.VerifyUserSig(AppA, KeyA, "Teacher2", l1.UserSig, time.Now()); err == nil {
		t.Fatal("userSig valid for another id")
	}
	if len(l1.Token) != 32 {
		t.Fatalf("token %q is not 128 bits of hex", l1.Token)
	}
	t1 := l1.Token
	t2 := h.Login(AppA, "Teacher2", "pwd2").Token
	tb := h.Login(AppB, "teacherB", "pwb").Token
	stok := map[string]string{}
	for _, s := range students {
		l := h.Login(AppA, s, "pw-"+s)
		eq(t, "student role", l.Role, 0)
		stok[s] = l.Token
	}

	// Create: room numbers from 10001, group = number as a string.
	var r1, r2, r3 struct {
		RoomNum int64  `json:"roomnum"`
		GroupID string `json:"groupid"`
	}
	h.Call(AppA, t1, "live", "create", M{"title": "Math", "cover": "http://c/1.png"}).Want(t, 0).Decode(t, &r1)
	eq(t, "room1", r1.RoomNum, int64(10001))
	eq(t, "group1", r1.GroupID, "10001")
	h.Advance(10 * time.Second)
	h.Call(AppA, t2, "live", "create", M{"title": ""}).Want(t, 0).Decode(t, &r2)
	eq(t, "room2", r2.RoomNum, int64(10002))
	h.Call(AppB, tb, "live", "create", M{"title": "B"}).Want(t, 0).Decode(t, &r3)
	eq(t, "room3", r3.RoomNum, int64(10003))
	room1, room2 := r1.RoomNum, r2.RoomNum

	l := h.rooms(t, AppA, stok["stu1"], nil)
	eq(t, "app A rooms newest first", roomNums(l), []int64{room2, room1})
	eq(t, "total", l.Total, int64(2))
	r := l.Rooms[1]
	eq(t, "created room", r, roomInfo{HostUID: "teacher1", Title: "Math", RoomNum: room1, GroupID: "10001", Cover: "http://c/1.png"})
	eq(t, "app B rooms", roomNums(h.rooms(t, AppB, tb, nil)), []int64{r3.RoomNum})

	// Courseware before class: the room's and the teacher's own library.
	h.Advance(10 * time.Second)
	tBind1 := h.Unix()
	bind := func(tok string, room any, op int, typ int, name, url string) Answer {
		f := M{"operate": op, "bind_file": M{"type": typ, "file_name": name, "url": url}}
		if room != nil {
			f["roomnum"] = room
		}
		return h.Call(AppA, tok, "live", "reportbind", f)
	}
	bind(t1, room1, 0, 0, "a.ppt", "http://f/a.ppt").Want(t, 0)
	h.Advance(10 * time.Second)
	tBind2 := h.Unix()
	bind(t1, room1, 0, 1, "b.mp4", "http://f/b.mp4").Want(t, 0)
	bind(t1, room1, 0, 1, "b again", "http://f/b.mp4").Want(t, svc.ErrRepeatBind)
	bind(t1, nil, 0, 0, "lib.doc", "http://f/lib.doc").Want(t, 0)
	bind(t1, 0, 0, 0, "lib.doc", "http://f/lib.doc").Want(t, svc.ErrRepeatBind)
	bind(t1, room1, 0, 0, "c.pdf", "http://f/c.pdf").Want(t, 0)
	bind(t1, room1, 1, 0, "c.pdf", "http://f/c.pdf").Want(t, 0)
	bind(t1, room1, 1, 0, "c.pdf", "http://f/c.pdf").Want(t, svc.ErrNotBound)
	bind(t2, room1, 0, 0, "x", "http://f/x").Want(t, svc.ErrNoPrivilege)
	bind(stok["stu1"], room1, 0, 0, "x", "http://f/x").Want(t, svc.ErrNoPrivilege)
	bind(t1, 99999, 0, 0, "x", "http://f/x").Want(t, svc.ErrRoomNotExist)

	// Start: IM 1001 whose MsgSeq becomes begin_imseq; the teacher is a member.
	h.Advance(time.Minute)
	tStart := h.Unix()
	h.Call(AppA, t1, "live", "startcourse", M{"roomnum": room1}).Want(t, 0)
	c := im.Last(t)
	checkGroupMsg(t, c, room1, 1001, tStart, M{"uid": "teacher1"})
	startSeq := c.Seq
	h.Call(AppA, t1, "live", "startcourse", M{"roomnum": room1}).Want(t, svc.ErrRoomState)
	l = h.rooms(t, AppA, t1, M{"roomnum": room1})
	eq(t, "living", l.Rooms[0].State, 1)
	eq(t, "begin_time", l.Rooms[0].BeginTime, tStart)
	eq(t, "begin_imseq", l.Rooms[0].BeginIMSeq, startSeq)
	eq(t, "memsize with teacher", l.Rooms[0].MemSize, int64(1))

	// Students enter (IM 1003 each, roomnum as int or string), in order.
	for i, s := range students {
		h.Advance(time.Second)
		var room any = room1
		if i%2 == 1 {
			room = strconv.FormatInt(room1, 10)
		}
		h.Call(AppA, stok[s], "live", "reportmemid", M{"roomnum": room, "operate": 0}).Want(t, 0)
		checkGroupMsg(t, im.Last(t), room1, 1003, h.Unix(), M{"uid": s})
	}
	// A repeat enter is allowed and keeps the entry order.
	h.Call(AppA, stok["stu1"], "live", "reportmemid", M{"roomnum": room1, "operate": 0}).Want(t, 0)
	all := memberList{Total: 5, IDList: []member{{"teacher1", 1}, {"stu1", 0}, {"stu2", 0}, {"stu3", 0}, {"stu4", 0}}}
	eq(t, "members", h.members(t, stok["stu2"], room1, 0, 50), all)
	eq(t, "members page 2", h.members(t, t1, "10001", 2, 2), memberList{Total: 5, IDList: all.IDList[2:4]})
	eq(t, "members page past end", h.members(t, t1, room1, 10, 2), memberList{Total: 5, IDList: []member{}})
	eq(t, "members size 0", h.members(t, t1, room1, 0, 0), memberList{Total: 5, IDList: []member{}})
	eq(t, "members of unknown room", h.members(t, t1, 99999, 0, 10), memberList{Total: 0, IDList: []member{}})

	// Heartbeats: everyone, int or string roomnum; a non-member adds nobody.
	for _, tok := range append([]string{t1}, stok["stu1"], stok["stu2"], stok["stu3"], stok["stu4"]) {
		h.Call(AppA, tok, "live", "heartbeat", M{"roomnum": room1}).Want(t, 0)
	}
	h.Call(AppA, stok["stu1"], "live", "heartbeat", M{"roomnum": "10001"}).Want(t, 0)
	h.Call(AppA, t2, "live", "heartbeat", M{"roomnum": room1}).Want(t, 0)
	h.Call(AppA, t2, "live", "heartbeat", M{"roomnum": 99999}).Want(t, svc.ErrRoomNotExist)
	eq(t, "members after heartbeats", h.members(t, t1, room1, 0, 50).Total, int64(5))

	// stu4 leaves (twice: repeat exit is allowed); stu3 was never... teacher2 never entered.
	h.Call(AppA, stok["stu4"], "live", "reportmemid", M{"roomnum": room1, "operate": 1}).Want(t, 0)
	h.Call(AppA, stok["stu4"], "live", "reportmemid", M{"roomnum": room1, "operate": 1}).Want(t, 0)
	h.Call(AppA, t2, "live", "reportmemid", M{"roomnum": room1, "operate": 1}).Want(t, svc.ErrRepeatExit)
	eq(t, "members after exit", ids(h.members(t, t1, room1, 0, 50)), []string{"teacher1", "stu1", "stu2", "stu3"})

	// Courseware during class: a student sees the room's files, newest first;
	// time filters are inclusive; the library is the caller's own.
	bf := h.binds(t, stok["stu3"], M{"roomnum": room1})
	eq(t, "room files", urls(bf), []string{"http://f/b.mp4", "http://f/a.ppt"})
	eq(t, "room file", bf.BindFiles[1], bindFile{Type: 0, BindTime: tBind1, FileName: "a.ppt", URL: "http://f/a.ppt"})
	eq(t, "room file 2", bf.BindFiles[0], bindFile{Type: 1, BindTime: tBind2, FileName: "b.mp4", URL: "http://f/b.mp4"})
	eq(t, "from_time inclusive", urls(h.binds(t, t1, M{"roomnum": room1, "from_time": tBind2})), []string{"http://f/b.mp4"})
	eq(t, "to_time inclusive", urls(h.binds(t, t1, M{"roomnum": room1, "to_time": tBind1})), []string{"http://f/a.ppt"})
	eq(t, "both", urls(h.binds(t, t1, M{"roomnum": room1, "from_time": tBind1, "to_time": tBind2})), []string{"http://f/b.mp4", "http://f/a.ppt"})
	p := h.binds(t, t1, M{"roomnum": room1, "index": 1, "size": 1})
	eq(t, "bind paging", p.Total, int64(2))
	eq(t, "bind paging rows", urls(p), []string{"http://f/a.ppt"})
	eq(t, "teacher library", urls(h.binds(t, t1, M{})), []string{"http://f/lib.doc"})
	eq(t, "teacher library roomnum 0", urls(h.binds(t, t1, M{"roomnum": 0})), []string{"http://f/lib.doc"})
	eq(t, "student library", h.binds(t, stok["stu1"], M{}), bindList{BindFiles: []bindFile{}})
	eq(t, "unknown room files", h.binds(t, t1, M{"roomnum": 99999}), bindList{BindFiles: []bindFile{}})
	eq(t, "other app's room files", h.binds(t, t1, M{"roomnum": r3.RoomNum}), bindList{BindFiles: []bindFile{}})

	// Room list filters.
	h.Advance(time.Minute)
	h.Call(AppA, t2, "live", "startcourse", M{"roomnum": room2}).Want(t, 0)
	tStart2 := h.Unix()
	eq(t, "order by start time", roomNums(h.rooms(t, AppA, t1, nil)), []int64{room2, room1})
	eq(t, "roomnum", roomNums(h.rooms(t, AppA, t1, M{"roomnum": room2})), []int64{room2})
	eq(t, "unknown roomnum", h.rooms(t, AppA, t1, M{"roomnum": 99999}), roomList{Rooms: []roomInfo{}})
	eq(t, "other app's roomnum", h.rooms(t, AppA, t1, M{"roomnum": r3.RoomNum}), roomList{Rooms: []roomInfo{}})
	eq(t, "host_uid", roomNums(h.rooms(t, AppA, t1, M{"host_uid": "Teacher2"})), []int64{room2})
	eq(t, "host_uid empty", roomNums(h.rooms(t, AppA, t1, M{"host_uid": ""})), []int64{room2, room1})
	eq(t, "from_time excl", roomNums(h.rooms(t, AppA, t1, M{"from_time": tStart})), []int64{room2})
	eq(t, "from_time", roomNums(h.rooms(t, AppA, t1, M{"from_time": tStart - 1})), []int64{room2, room1})
	eq(t, "to_time incl", roomNums(h.rooms(t, AppA, t1, M{"to_time": tStart})), []int64{room1})
	eq(t, "to_time before all", roomNums(h.rooms(t, AppA, t1, M{"to_time": t0 - 1})), []int64{})
	eq(t, "window", roomNums(h.rooms(t, AppA, t1, M{"from_time": tStart, "to_time": tStart2})), []int64{room2})
	eq(t, "zero bounds", roomNums(h.rooms(t, AppA, t1, M{"from_time": 0, "to_time": 0})), []int64{room2, room1})
	eq(t, "state 1", roomNums(h.rooms(t, AppA, t1, M{"state": 1})), []int64{room2, room1})
	eq(t, "state 0", roomNums(h.rooms(t, AppA, t1, M{"state": 0})), []int64{})
	eq(t, "state 0 app B", roomNums(h.rooms(t, AppB, tb, M{"state": 0})), []int64{r3.RoomNum})
	pg := h.rooms(t, AppA, t1, M{"index": 1, "size": 1})
	eq(t, "paging total", pg.Total, int64(2))
	eq(t, "paging rows", roomNums(pg), []int64{room1})
	eq(t, "size 0", h.rooms(t, AppA, t1, M{"size": 0}), roomList{Total: 2, Rooms: []roomInfo{}})

	// Recording done: stored and announced (IM 1004 with its details).
	uidB64 := base64.StdEncoding.EncodeToString([]byte("teacher1"))
	rec := M{"event_type": 100, "stream_id": "s1", "start_time": tStart + 1, "end_time": tStart + 60,
		"media_start_time": 15, "file_size": 12345, "duration": 59, "video_id": "vid-1",
		"video_url": "http://v/1.mp4", "stream_param": "txSecret=x&groupid=" + r1.GroupID + "&userid=" + uidB64}
	a := h.Post("live", "reccall", rec)
	eq(t, "reccall answer", string(a.Raw), `{"code":0}`)
	c = im.Last(t)
	checkGroupMsg(t, c, room1, 1004, 0, M{"uid": "teacher1", "start_time": tStart + 1, "end_time": tStart + 60,
		"media_start_time": int64(15), "file_size": int64(12345), "duration": int64(59), "video_id": "vid-1", "video_url": "http://v/1.mp4"})
	recSeq := c.Seq
	recs, err := h.Store.Recordings(t.Context(), room1)
	if err != nil || len(recs) != 1 || recs[0].VideoID != "vid-1" || recs[0].Size != 12345 || recs[0].Uin != 10001 {
		t.Fatalf("recordings %+v %v", recs, err)
	}
	// The document's name is accepted too; event types other than 100 store nothing.
	a = h.Post("live", "recendcall", M{"event_type": 1, "stream_id": "s1"})
	eq(t, "recendcall answer", string(a.Raw), `{"code":0}`)
	if recs, _ := h.Store.Recordings(t.Context(), room1); len(recs) != 1 {
		t.Fatalf("event 1 stored a recording: %+v", recs)
	}

	// End: IM 1002, members exit, state 2, the index allowed from now+300.
	h.Advance(time.Minute)
	tEnd := h.Unix()
	h.Call(AppA, stok["stu1"], "live", "exitroom", M{"roomnum": room1}).Want(t, svc.ErrNoPrivilege)
	h.Call(AppA, t1, "live", "exitroom", M{"roomnum": room1}).Want(t, 0)
	c = im.Last(t)
	checkGroupMsg(t, c, room1, 1002, tEnd, M{"uid": "teacher1"})
	endSeq := c.Seq
	h.Call(AppA, t1, "live", "exitroom", M{"roomnum": room1}).Want(t, svc.ErrRoomState)
	h.Call(AppA, stok["stu1"], "live", "reportmemid", M{"roomnum": room1, "operate": 0}).Want(t, svc.ErrRoomState)
	h.Call(AppA, stok["stu1"], "live", "heartbeat", M{"roomnum": room1}).Want(t, 0)
	eq(t, "members after end", h.members(t, t1, room1, 0, 50), memberList{IDList: []member{}})
	bind(t1, room1, 0, 0, "late", "http://f/late").Want(t, svc.ErrRoomState)
	l = h.rooms(t, AppA, t1, M{"roomnum": room1})
	want := roomInfo{HostUID: "teacher1", Title: "Math", RoomNum: room1, State: 2, GroupID: "10001",
		Cover: "http://c/1.png", BeginTime: tStart, EndTime: tEnd, BeginIMSeq: startSeq, EndIMSeq: endSeq}
	eq(t, "ended room", l.Rooms[0], want)
	eq(t, "state 2 filter", roomNums(h.rooms(t, AppA, t1, M{"state": 2})), []int64{room1})

	// makereplayidx: too early, then once.
	mk := M{"appid": AppA, "roomnum": room1}
	h.Post("live", "makereplayidx", mk).Want(t, svc.ErrRoomState)
	h.Post("live", "makereplayidx", M{"appid": AppB, "roomnum": room1}).Want(t, svc.ErrReqData)
	h.Advance(302 * time.Second)
	l = h.rooms(t, AppA, t1, M{"roomnum": room1})
	eq(t, "can trigger", l.Rooms[0].CanTriggerReplayIdx, 1)
	h.Post("live", "makereplayidx", M{"appid": AppB, "roomnum": room1}).Want(t, svc.ErrReqData)
	h.Post("live", "makereplayidx", M{"appid": AppA, "roomnum": room2}).Want(t, svc.ErrRoomState)
	h.Post("live", "makereplayidx", M{"appid": AppA, "roomnum": 99999}).Want(t, svc.ErrRoomNotExist)
	a = h.Post("live", "makereplayidx", mk).Want(t, 0)
	if a.HasData {
		t.Fatalf("makereplayidx has data: %s", a.Raw)
	}
	tTrig := h.Unix()
	rc := replay.Last(t)
	rc.CheckSigned(t, AppA, KeyA, "admin", "ilvb_video_replay", "create_replay_index")
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
	eq(t, "replay GroupId", rq.GroupID, "10001")
	eq(t, "replay seqs", []int64{rq.MsgSeqStart, rq.MsgSeqEnd, rq.MaxMsgSeqVideoEnd}, []int64{startSeq, endSeq, recSeq})
	var accts []string
	for _, u := range rq.UserList {
		accts = append(accts, u.Account)
	}
	eq(t, "replay users, teacher first", accts, []string{"teacher1", "stu1", "stu2", "stu3", "stu4"})
	h.Post("live", "makereplayidx", mk).Want(t, svc.ErrRoomState)
	eq(t, "one replay request", len(replay.Calls()), 1)
	l = h.rooms(t, AppA, t1, M{"roomnum": room1})
	want.TriggerReplayIdxTime = tTrig
	eq(t, "triggered room", l.Rooms[0], want)

	// The index is ready: state 3, url in both fields, history deleted.
	h.Advance(time.Minute)
	tIdx := h.Unix()
	src, _ := json.Marshal(M{"GroupId": "10001"})
	a = h.Post("live", "idxfileendcall", M{"SrcRequest": string(src), "ErrorCode": 0, "ErrorInfo": "",
		"ReplayIndex": M{"FileUrl": "http://idx/10001.json", "CreateTime": tIdx - 5}})
	eq(t, "idxfileendcall answer", string(a.Raw), `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	l = h.rooms(t, AppA, t1, M{"state": 3})
	want.State, want.PlaybackIdxURL, want.ReplayIdxURL, want.ReplayIdxCreatedTime = 3, "http://idx/10001.json", "http://idx/10001.json", tIdx
	eq(t, "playback room", l.Rooms[0], want)
	if hist, err := h.Store.MemberHistory(t.Context(), room1, 10001); err != nil || len(hist) != 0 {
		t.Fatalf("member history after index: %v %v", hist, err)
	}

	// Room 2 ends without IM seqs from a stopped fake: IM failure is 10103 and
	// changes nothing.
	im.SetReply(func(w http.ResponseWriter, c TencentCall) {
		w.Write([]byte(`{"ActionStatus":"FAIL","ErrorCode":10007,"ErrorInfo":"no permission"}`))
	})
	h.Call(AppA, t2, "live", "exitroom", M{"roomnum": room2}).Want(t, svc.ErrSendIM)
	eq(t, "room2 still living", h.rooms(t, AppA, t2, M{"roomnum": room2}).Rooms[0].State, 1)
	im.SetReply(nil)
	h.Call(AppA, t2, "live", "exitroom", M{"roomnum": room2}).Want(t, 0)
	eq(t, "room2 ended", h.rooms(t, AppA, t2, M{"roomnum": room2}).Rooms[0].State, 2)

	// Logout ends the session.
	h.Call(AppA, "", "account", "logout", M{"token": t1}).Want(t, 0)
	h.Call(AppA, t1, "live", "roomlist", M{"index": 0, "size": 1}).Want(t, svc.ErrTokenExpire)
}

// TestConcurrentClass: a class of 30 doing everything at once over HTTP
// while the background loop flushes and reaps (run with -race).
func TestConcurrentClass(t *testing.T) {
	im := NewFakeTencent(t)
	h := NewHarness(t, func(c *svc.Config) {
		c.IMBaseURL = im.URL
		c.FlushInterval = 2
		c.ReaperInterval = 1
	})
	h.RunBackground()
	teacher := h.User(AppA, "teacher", 1)
	var d struct{ RoomNum int64 }
	h.Call(AppA, teacher, "live", "create", M{"title": "busy"}).Want(t, 0).Decode(t, &d)
	room := d.RoomNum
	h.Call(AppA, teacher, "live", "startcourse", M{"roomnum": room}).Want(t, 0)

	const n = 30
	toks := make([]string, n)
	for i := range toks {
		h.Regist(AppA, "s"+strconv.Itoa(i), "p", 0)
	}
	errs := make(chan string, n*64)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := "s" + strconv.Itoa(i)
			var l LoginData
			a := h.Call(AppA, "", "account", "login", M{"id": id, "pwd": "p"})
			if a.Code != 0 || json.Unmarshal(a.Data, &l) != nil {
				errs <- "login " + string(a.Raw)
				return
			}
			toks[i] = l.Token
			calls := []struct {
				cmd string
				f   M
			}{
				{"reportmemid", M{"roomnum": room, "operate": 0}},
				{"heartbeat", M{"roomnum": room}},
				{"roomidlist", M{"roomnum": room, "index": 0, "size": 50}},
				{"heartbeat", M{"roomnum": strconv.FormatInt(room, 10)}},
				{"roomlist", M{"index": 0, "size": 10}},
				{"querybind", M{"roomnum": room, "index": 0, "size": 10}},
				{"heartbeat", M{"roomnum": room}},
			}
			for _, c := range calls {
				if a := h.Call(AppA, l.Token, "live", c.cmd, c.f); a.Code != 0 {
					errs <- c.cmd + " " + string(a.Raw)
				}
			}
		}(i)
	}
	// The teacher works at the same time.
	for i := 0; i < 10; i++ {
		h.Call(AppA, teacher, "live", "heartbeat", M{"roomnum": room}).Want(t, 0)
		h.Call(AppA, teacher, "live", "reportbind", M{"roomnum": room, "operate": 0,
			"bind_file": M{"type": 0, "file_name": "f", "url": "http://f/" + strconv.Itoa(i)}}).Want(t, 0)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	l := h.members(t, teacher, room, 0, 50)
	if l.Total != n+1 || len(l.IDList) != n+1 || l.IDList[0].ID != "teacher" {
		t.Fatalf("members %d %v", l.Total, ids(l))
	}
	if got := len(im.Calls()); got != n+1 {
		t.Fatalf("%d IM messages, want %d", got, n+1)
	}
	if b := h.binds(t, toks[0], M{"roomnum": room}); b.Total != 10 {
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
func TestWithoutTencent(t *testing.T) {
	h := NewHarness(t, nil)
	tok := h.User(AppA, "t", 1)
	st := h.User(AppA, "s", 0)
	var d struct{ RoomNum int64 }
	h.Call(AppA, tok, "live", "create", M{"title": "x"}).Want(t, 0).Decode(t, &d)
	h.Call(AppA, tok, "live", "startcourse", M{"roomnum": d.RoomNum}).Want(t, 0)
	h.Call(AppA, st, "live", "reportmemid", M{"roomnum": d.RoomNum, "operate": 0}).Want(t, 0)
	h.Call(AppA, tok, "live", "exitroom", M{"roomnum": d.RoomNum}).Want(t, 0)
	r := h.rooms(t, AppA, st, nil).Rooms[0]
	if r.State != 2 || r.BeginIMSeq != 0 || r.EndIMSeq != 0 || r.BeginTime == 0 || r.EndTime == 0 {
		t.Fatalf("room %+v", r)
	}
	h.Advance(10 * time.Minute)
	h.Post("live", "makereplayidx", M{"appid": AppA, "roomnum": d.RoomNum}).Want(t, svc.ErrSendIM)
}

// TestIndexScheduler: the background loop requests the replay index of a
// class that ended, once its waiting time passed, without makereplayidx.
func TestIndexScheduler(t *testing.T) {
	replay := NewFakeTencent(t)
	h := NewHarness(t, func(c *svc.Config) {
		c.ReplayIndexURL = replay.URL
		c.ReaperInterval = 1
	})
	tok := h.User(AppA, "t", 1)
	var d struct{ RoomNum int64 }
	h.Call(AppA, tok, "live", "create", M{"title": "x"}).Want(t, 0).Decode(t, &d)
	h.Call(AppA, tok, "live", "startcourse", M{"roomnum": d.RoomNum}).Want(t, 0)
	h.Call(AppA, tok, "live", "exitroom", M{"roomnum": d.RoomNum}).Want(t, 0)
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
	c.CheckSigned(t, AppA, KeyA, "admin", "ilvb_video_replay", "create_replay_index")
	eq(t, "GroupId", c.Body["GroupId"], strconv.FormatInt(d.RoomNum, 10))
	h.Post("live", "makereplayidx", M{"appid": AppA, "roomnum": d.RoomNum}).Want(t, svc.ErrRoomState)
	time.Sleep(1100 * time.Millisecond) // one more scheduler round: no second request
	eq(t, "requests", len(replay.Calls()), 1)
}

// TestRecCallIMFailure: a recording whose IM announcement fails is still
// answered {"code":0}, and (as in the reference) not stored.
func TestRecCallIMFailure(t *testing.T) {
	f := newLiveFixture(t, nil)
	h := f.h
	rec := M{"event_type": 100, "stream_id": "s", "start_time": 1, "end_time": 2, "media_start_time": 3,
		"file_size": 4, "duration": 5, "video_id": "v", "video_url": "http://v",
		"stream_param": "groupid=" + strconv.FormatInt(f.living, 10) + "&userid=" + base64.StdEncoding.EncodeToString([]byte("s1"))}
	f.im.SetReply(func(w http.ResponseWriter, c TencentCall) {
		w.Write([]byte(`{"ActionStatus":"FAIL","ErrorCode":10015,"ErrorInfo":"bad group"}`))
	})
	eq(t, "answer", string(h.Post("live", "reccall", rec).Raw), `{"code":0}`)
	if recs, _ := h.Store.Recordings(t.Context(), f.living); len(recs) != 0 {
		t.Fatalf("stored %+v", recs)
	}
	f.im.SetReply(nil)
	eq(t, "answer", string(h.Post("live", "reccall", rec).Raw), `{"code":0}`)
	recs, _ := h.Store.Recordings(t.Context(), f.living)
	room, _ := h.Store.Room(t.Context(), f.living)
	if len(recs) != 1 || recs[0].Uin != 10003 || room.LastRecSeq != f.im.Last(t).Seq || room.LastRecSeq == 0 {
		t.Fatalf("recordings %+v, last rec seq %d", recs, room.LastRecSeq)
	}
}

// TestDoubleClicks: the same state change sent many times at once
// happens once; the others get 10102 and send no IM message.
func TestDoubleClicks(t *testing.T) {
	im := NewFakeTencent(t)
	h := NewHarness(t, func(c *svc.Config) { c.IMBaseURL = im.URL })
	tok := h.User(AppA, "t", 1)
	var d struct{ RoomNum int64 }
	h.Call(AppA, tok, "live", "create", M{"title": "x"}).Want(t, 0).Decode(t, &d)
	race := func(cmd string) {
		t.Helper()
		var wg sync.WaitGroup
		codes := make(chan int, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes <- h.Call(AppA, tok, "live", cmd, M{"roomnum": d.RoomNum}).Code
			}()
		}
		wg.Wait()
		close(codes)
		n := map[int]int{}
		for c := range codes {
			n[c]++
		}
		if n[0] != 1 || n[svc.ErrRoomState] != 7 {
			t.Fatalf("%s: codes %v", cmd, n)
		}
	}
	race("startcourse")
	eq(t, "IM messages after start", len(im.Calls()), 1)
	race("exitroom")
	eq(t, "IM messages after end", len(im.Calls()), 2)
}

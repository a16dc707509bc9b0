package server_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// TestRestart: everything written before a clean stop is there after a
// restart on the same database file: accounts and tokens, rooms, binds,
// members and their heartbeats, recordings.
func TestRestart(t *testing.T) { tests.EachEngine(t, testRestart) }

func testRestart(t *testing.T) {
	// Members outlive the room timeout (= the grace period after a restart)
	// so that the reaper can show which heartbeats survived.
	h := tests.New(t, func(c *server.Config) { c.RoomTimeout, c.MemberTimeout = time.Minute, 300*time.Second })
	teacher := h.User(tests.AppA, "teacher", 1)
	s1 := h.User(tests.AppA, "s1", 0)
	s2 := h.User(tests.AppA, "s2", 0)
	h.Regist(tests.AppA, "s3", "pw-s3", 0)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "persist", "cover": "c"}).Want(t, 0).Decode(t, &d)
	room := d.RoomNum
	h.Call(tests.AppA, teacher, "live", "reportbind", tests.M{"roomnum": room, "operate": 0,
		"bind_file": tests.M{"type": 1, "file_name": "v.mp4", "url": "http://f/v.mp4"}}).Want(t, 0)
	h.Call(tests.AppA, teacher, "live", "reportbind", tests.M{"operate": 0,
		"bind_file": tests.M{"type": 0, "file_name": "lib", "url": "http://f/lib"}}).Want(t, 0)
	h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": room}).Want(t, 0)
	tStart := h.Unix()
	for _, s := range []string{s1, s2} {
		h.Call(tests.AppA, s, "live", "reportmemid", tests.M{"roomnum": room, "operate": 0}).Want(t, 0)
	}
	// Heartbeats that are still only in memory when the server stops.
	h.Advance(250 * time.Second)
	tBeat := h.Unix()
	for _, tok := range []string{teacher, s1, s2} {
		h.Call(tests.AppA, tok, "live", "heartbeat", tests.M{"roomnum": room}).Want(t, 0)
	}
	if h.Store.Pending() == 0 {
		t.Fatal("heartbeats already written: the test would prove nothing")
	}
	h.Post("live", "reccall", tests.M{"event_type": 100, "stream_id": "s", "start_time": 1, "end_time": 2,
		"media_start_time": 3, "file_size": 4, "duration": 5, "video_id": "vid", "video_url": "http://v",
		"stream_param": "groupid=" + itoa(room) + "&userid=dGVhY2hlcg=="})

	h.Restart()

	// Tokens still work; passwords still check.
	h.Login(tests.AppA, "s3", "pw-s3")
	h.Call(tests.AppA, "", "account", "login", tests.M{"id": "s1", "pwd": "wrong"}).Want(t, svc.CodePassword)
	h.Call(tests.AppA, "", "account", "regist", tests.M{"id": "TEACHER", "pwd": "x", "role": 1}).Want(t, svc.CodeUserExist)
	l := h.Rooms(t, tests.AppA, s1, nil)
	if l.Total != 1 {
		t.Fatalf("rooms %+v", l)
	}
	r := l.Rooms[0]
	if r.RoomNum != room || r.Title != "persist" || r.Cover != "c" || r.State != 1 || r.BeginTime != tStart || r.MemSize != 3 || r.HostUID != "teacher" {
		t.Fatalf("room after restart %+v", r)
	}
	tests.Eq(t, "members", tests.IDs(h.Members(t, s1, room, 0, 50)), []string{"teacher", "s1", "s2"})
	tests.Eq(t, "room files", tests.URLs(h.Binds(t, s2, tests.M{"roomnum": room})), []string{"http://f/v.mp4"})
	tests.Eq(t, "library", tests.URLs(h.Binds(t, teacher, tests.M{})), []string{"http://f/lib"})
	if n := tests.QueryInt(t, h.DBPath, "SELECT COUNT(*) FROM t_video_record WHERE room_id = ? AND video_id = 'vid'", room); n != 1 {
		t.Fatalf("%d recordings after restart", n)
	}
	rm, err := h.Store.Room(context.Background(), room)
	if err != nil || rm.LastUpdate != tBeat {
		t.Fatalf("room heartbeat after restart: %+v %v", rm, err)
	}
	// The members' heartbeats were kept: after the grace period, the
	// students (entered 250 s before their last heartbeat) are still there
	// 100 s later, and leave only 300 s after that heartbeat.
	reap := func() {
		t.Helper()
		if err := h.Svc.Reap(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	h.Advance(100 * time.Second)
	h.Call(tests.AppA, teacher, "live", "heartbeat", tests.M{"roomnum": room}).Want(t, 0)
	reap()
	tests.Eq(t, "members after reap", tests.IDs(h.Members(t, s1, room, 0, 50)), []string{"teacher", "s1", "s2"})
	h.Advance(201 * time.Second)
	h.Advance(time.Duration(h.Svc.ReapMargin()) * time.Second) // for heartbeats not yet written
	h.Call(tests.AppA, teacher, "live", "heartbeat", tests.M{"roomnum": room}).Want(t, 0)
	h.Call(tests.AppA, s2, "live", "heartbeat", tests.M{"roomnum": room}).Want(t, 0)
	reap()
	tests.Eq(t, "members after timeout", tests.IDs(h.Members(t, s1, room, 0, 50)), []string{"teacher", "s2"})
	// The same token keeps working and the numbering continues.
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "next"}).Want(t, 0).Decode(t, &d)
	tests.Eq(t, "next room", d.RoomNum, room+1)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

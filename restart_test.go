package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"sxb-edu/store"
	"sxb-edu/svc"
)

// TestRestart: everything written before a clean stop is there after a
// restart on the same database file: accounts and tokens, rooms, binds,
// members and their heartbeats, recordings.
func TestRestart(t *testing.T) {
	// Members outlive the room timeout (= the grace period after a restart)
	// so that the reaper can show which heartbeats survived.
	h := NewHarness(t, func(c *svc.Config) { c.RoomTimeout, c.MemberTimeout = 60, 300 })
	teacher := h.User(AppA, "teacher", 1)
	s1 := h.User(AppA, "s1", 0)
	s2 := h.User(AppA, "s2", 0)
	h.Regist(AppA, "s3", "pw-s3", 0)
	var d struct{ RoomNum int64 }
	h.Call(AppA, teacher, "live", "create", M{"title": "persist", "cover": "c"}).Want(t, 0).Decode(t, &d)
	room := d.RoomNum
	h.Call(AppA, teacher, "live", "reportbind", M{"roomnum": room, "operate": 0,
		"bind_file": M{"type": 1, "file_name": "v.mp4", "url": "http://f/v.mp4"}}).Want(t, 0)
	h.Call(AppA, teacher, "live", "reportbind", M{"operate": 0,
		"bind_file": M{"type": 0, "file_name": "lib", "url": "http://f/lib"}}).Want(t, 0)
	h.Call(AppA, teacher, "live", "startcourse", M{"roomnum": room}).Want(t, 0)
	tStart := h.Unix()
	for _, s := range []string{s1, s2} {
		h.Call(AppA, s, "live", "reportmemid", M{"roomnum": room, "operate": 0}).Want(t, 0)
	}
	// Heartbeats that are still only in memory when the server stops.
	h.Advance(250 * time.Second)
	tBeat := h.Unix()
	for _, tok := range []string{teacher, s1, s2} {
		h.Call(AppA, tok, "live", "heartbeat", M{"roomnum": room}).Want(t, 0)
	}
	if h.Store.Pending() == 0 {
		t.Fatal("heartbeats already written: the test would prove nothing")
	}
	h.Post("live", "reccall", M{"event_type": 100, "stream_id": "s", "start_time": 1, "end_time": 2,
		"media_start_time": 3, "file_size": 4, "duration": 5, "video_id": "vid", "video_url": "http://v",
		"stream_param": "groupid=" + itoa(room) + "&userid=dGVhY2hlcg=="})

	h.Restart()

	// Tokens still work; passwords still check.
	h.Login(AppA, "s3", "pw-s3")
	h.Call(AppA, "", "account", "login", M{"id": "s1", "pwd": "wrong"}).Want(t, svc.ErrPassword)
	h.Call(AppA, "", "account", "regist", M{"id": "TEACHER", "pwd": "x", "role": 1}).Want(t, svc.ErrUserExist)
	l := h.rooms(t, AppA, s1, nil)
	if l.Total != 1 {
		t.Fatalf("rooms %+v", l)
	}
	r := l.Rooms[0]
	if r.RoomNum != room || r.Title != "persist" || r.Cover != "c" || r.State != 1 || r.BeginTime != tStart || r.MemSize != 3 || r.HostUID != "teacher" {
		t.Fatalf("room after restart %+v", r)
	}
	eq(t, "members", ids(h.members(t, s1, room, 0, 50)), []string{"teacher", "s1", "s2"})
	eq(t, "room files", urls(h.binds(t, s2, M{"roomnum": room})), []string{"http://f/v.mp4"})
	eq(t, "library", urls(h.binds(t, teacher, M{})), []string{"http://f/lib"})
	recs, err := h.Store.Recordings(context.Background(), room)
	if err != nil || len(recs) != 1 || recs[0].VideoID != "vid" {
		t.Fatalf("recordings %+v %v", recs, err)
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
	h.Call(AppA, teacher, "live", "heartbeat", M{"roomnum": room}).Want(t, 0)
	reap()
	eq(t, "members after reap", ids(h.members(t, s1, room, 0, 50)), []string{"teacher", "s1", "s2"})
	h.Advance(201 * time.Second)
	h.Call(AppA, teacher, "live", "heartbeat", M{"roomnum": room}).Want(t, 0)
	h.Call(AppA, s2, "live", "heartbeat", M{"roomnum": room}).Want(t, 0)
	reap()
	eq(t, "members after timeout", ids(h.members(t, s1, room, 0, 50)), []string{"teacher", "s2"})
	// The same token keeps working and the numbering continues.
	h.Call(AppA, teacher, "live", "create", M{"title": "next"}).Want(t, 0).Decode(t, &d)
	eq(t, "next room", d.RoomNum, room+1)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestDemoKeyKept: with no apps configured the demo app's key is made on
// first start and the same key is used after a restart.
func TestDemoKeyKept(t *testing.T) {
	path := t.TempDir() + "/demo.db"
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := demoKey(st)
	if err != nil || len(k1) < 32 {
		t.Fatalf("key %q %v", k1, err)
	}
	if k, _ := demoKey(st); k != k1 {
		t.Fatal("key changed without a restart")
	}
	st.Close()
	st, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if k, _ := demoKey(st); k != k1 {
		t.Fatal("key changed across a restart")
	}
	other, _ := store.Open(t.TempDir() + "/other.db")
	defer other.Close()
	if k, _ := demoKey(other); k == k1 {
		t.Fatal("two databases share a demo key")
	}
}

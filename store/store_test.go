package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var bg = context.Background()

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tempDB(t *testing.T) (*Store, string) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	t.Cleanup(func() { s.Close() })
	return s, path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func account(t *testing.T, s *Store, uid string, appid int64, role int) *Account {
	t.Helper()
	a := &Account{UID: uid, AppID: appid, Role: role, PwdHash: "$2a$04$x"}
	must(t, s.CreateAccount(bg, a, 100))
	return a
}

func TestSchemaAndNumbers(t *testing.T) {
	s, path := tempDB(t)
	var v int
	must(t, s.w.QueryRow("PRAGMA user_version").Scan(&v))
	if v < 1 {
		t.Fatalf("user_version %d", v)
	}
	var mode string
	must(t, s.w.QueryRow("PRAGMA journal_mode").Scan(&mode))
	if mode != "wal" {
		t.Fatalf("journal_mode %s", mode)
	}
	// The reference's table and column names.
	for table, cols := range map[string][]string{
		"t_account":      {"uin", "uid", "appid", "role", "pwd", "token", "user_sig", "register_time", "login_time", "logout_time", "last_request_time"},
		"t_course":       {"room_id", "create_time", "start_time", "start_imseq", "end_time", "end_imseq", "last_rec_imseq", "last_update_time", "can_trigger_replay_idx_time", "trigger_replay_idx_time", "trigger_replay_idx_result", "title", "cover", "host_uin", "state", "im_group_id", "replay_idx_created_time", "replay_idx_created_result", "replay_idx_url"},
		"t_class_member": {"uin", "room_id", "has_exited", "last_heartbeat_time"},
		"t_video_record": {"uin", "room_id", "video_id", "video_url", "start_time", "end_time", "media_start_time", "file_size", "duration"},
		"t_bind_file":    {"uin", "room_id", "bind_time", "type", "file_name", "url"},
	} {
		for _, c := range cols {
			var n int
			must(t, s.r.QueryRow("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?", table, c).Scan(&n))
			if n != 1 {
				t.Errorf("%s.%s missing", table, c)
			}
		}
	}
	a := account(t, s, "alice", 1, 1)
	b := account(t, s, "bob", 1, 0)
	if a.Uin != 10001 || b.Uin != 10002 {
		t.Fatalf("uins %d %d", a.Uin, b.Uin)
	}
	id, err := s.CreateRoom(bg, a, "t", "c", 100)
	must(t, err)
	r, err := s.Room(bg, id)
	must(t, err)
	if id != 10001 || r.GroupID != "10001" || r.AppID != 1 || r.HostUin != a.Uin || r.State != StateCreated || r.CreateTime != 100 {
		t.Fatalf("room %+v", r)
	}
	// Reopening does not run the migrations again.
	must(t, s.Close())
	s2 := open(t, path)
	defer s2.Close()
	if got, err := s2.AccountByUID(bg, "alice"); err != nil || got.Uin != a.Uin {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	id2, err := s2.CreateRoom(bg, a, "t2", "", 200)
	must(t, err)
	if id2 != 10002 {
		t.Fatalf("second room %d", id2)
	}
}

func TestAccounts(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "Alice", 1, 1)
		for _, uid := range []string{"Alice", "alice", "ALICE"} {
			if err := s.CreateAccount(bg, &Account{UID: uid, AppID: 2, PwdHash: "h"}, 1); !errors.Is(err, ErrExists) {
				t.Errorf("%s: %v", uid, err)
			}
		}
		if _, err := s.AccountByUID(bg, "alice"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("case-insensitive lookup: %v", err)
		}
		got, err := s.AccountByUID(bg, "Alice")
		if err != nil || *got != *a {
			t.Fatalf("%+v %v", got, err)
		}
		quote := account(t, s, `o'x"; DROP TABLE t_account; --`, 1, 0)
		if got, err := s.AccountByUID(bg, quote.UID); err != nil || got.Uin != quote.Uin {
			t.Fatalf("%+v %v", got, err)
		}

		// One session per account; the old token stops at once, even cached.
		must(t, s.Login(bg, a, "tok1", "sig", 10))
		se, err := s.SessionByToken(bg, "tok1")
		if err != nil || se.UID != "Alice" || se.LastRequest() != 10 {
			t.Fatalf("%+v %v", se, err)
		}
		must(t, s.Login(bg, a, "tok2", "sig", 20))
		if _, err := s.SessionByToken(bg, "tok1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("replaced token: %v", err)
		}
		se2, err := s.SessionByToken(bg, "tok2")
		if err != nil || se2.Uin != a.Uin {
			t.Fatal(err)
		}
		s.Touch(se2, 30)
		s.Touch(se2, 25) // never goes back
		if se2.LastRequest() != 30 {
			t.Fatalf("last request %d", se2.LastRequest())
		}
		if uid, err := s.Logout(bg, "tok2", 40); uid == "" || err != nil {
			t.Fatalf("logout %q %v", uid, err)
		}
		if _, err := s.Logout(bg, "tok2", 41); !errors.Is(err, ErrNotFound) {
			t.Fatal("repeat logout found the token")
		}
		if _, err := s.SessionByToken(bg, "tok2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("logged-out token: %v", err)
		}
	})
}

// TestConcurrentLoginLogout: the session cache never serves a token that
// was replaced, whatever the interleaving.
func TestConcurrentSessions(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "a", 1, 0)
		var wg sync.WaitGroup
		tokens := []string{"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"}
		for _, tok := range tokens {
			wg.Add(2)
			go func() { defer wg.Done(); must(t, s.Login(bg, a, tok, "s", 1)) }()
			go func() { defer wg.Done(); s.SessionByToken(bg, tok) }()
		}
		wg.Wait()
		live := 0
		for _, tok := range tokens {
			if _, err := s.SessionByToken(bg, tok); err == nil {
				live++
			}
		}
		if live != 1 {
			t.Fatalf("%d live tokens for one account", live)
		}
	})
}

func TestHeartbeatsInMemory(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, path string) {
		a := account(t, s, "t", 1, 1)
		b := account(t, s, "s", 1, 0)
		id, err := s.CreateRoom(bg, a, "r", "", 100)
		must(t, err)
		must(t, s.StartRoom(bg, id, a.Uin, 5, 100))
		must(t, s.Enter(bg, id, Member{Uin: b.Uin, UID: b.UID, Role: b.Role}, 100))
		s.Heartbeat(id, a.Uin, true, 150)
		s.Heartbeat(id, b.Uin, false, 160)
		s.Heartbeat(id, b.Uin, false, 155) // older: ignored
		s.Heartbeat(id, 99999, false, 170) // not a member: adds nobody
		if s.Pending() == 0 {
			t.Fatal("nothing pending")
		}
		if r, _ := s.Room(bg, id); r.LastUpdate != 100 {
			t.Fatalf("heartbeat written at once: %d", r.LastUpdate)
		}
		must(t, s.Flush(bg))
		if s.Pending() != 0 {
			t.Fatal("pending after flush")
		}
		r, _ := s.Room(bg, id)
		var hb int64
		must(t, s.r.QueryRow("SELECT last_heartbeat_time FROM t_class_member WHERE uin = ? AND room_id = ?", b.Uin, id).Scan(&hb))
		if r.LastUpdate != 150 || hb != 160 {
			t.Fatalf("flushed room %d member %d", r.LastUpdate, hb)
		}
		if n, _ := s.PresentCount(bg, id); n != 2 {
			t.Fatalf("present %d", n)
		}
		// An older pending value never overwrites a newer stored one.
		s.Heartbeat(id, b.Uin, false, 120)
		must(t, s.Flush(bg))
		must(t, s.r.QueryRow("SELECT last_heartbeat_time FROM t_class_member WHERE uin = ? AND room_id = ?", b.Uin, id).Scan(&hb))
		if hb != 160 {
			t.Fatalf("heartbeat went back to %d", hb)
		}

		// A clean close flushes heartbeats and token activity.
		must(t, s.Login(bg, b, "tok", "sig", 100))
		se, err := s.SessionByToken(bg, "tok")
		must(t, err)
		s.Touch(se, 500)
		s.Heartbeat(id, b.Uin, false, 600)
		s.Heartbeat(id, a.Uin, true, 610)
		must(t, s.Close())
		s2 := open(t, path)
		t.Cleanup(func() { s2.Close() })
		se, err = s2.SessionByToken(bg, "tok")
		if err != nil || se.LastRequest() != 500 {
			t.Fatalf("token activity after restart: %+v %v", se, err)
		}
		r, _ = s2.Room(bg, id)
		must(t, s2.r.QueryRow("SELECT last_heartbeat_time FROM t_class_member WHERE uin = ? AND room_id = ?", b.Uin, id).Scan(&hb))
		if r.LastUpdate != 610 || hb != 600 {
			t.Fatalf("after restart: room %d member %d", r.LastUpdate, hb)
		}
	})
}

func TestMembersAndReap(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "t", 1, 1)
		st := []*Account{account(t, s, "s1", 1, 0), account(t, s, "s2", 1, 0), account(t, s, "s3", 1, 0)}
		id, _ := s.CreateRoom(bg, a, "r", "", 100)
		must(t, s.StartRoom(bg, id, a.Uin, 7, 100))
		if err := s.StartRoom(bg, id, a.Uin, 7, 100); !errors.Is(err, ErrConflict) {
			t.Fatalf("start twice: %v", err)
		}
		for i, m := range st {
			must(t, s.Enter(bg, id, Member{Uin: m.Uin, UID: m.UID, Role: m.Role}, int64(100+i)))
		}
		must(t, s.Enter(bg, id, Member{Uin: st[0].Uin, UID: st[0].UID, Role: st[0].Role}, 200)) // repeat enter keeps the place
		if ok, _ := s.Leave(bg, id, 424242); ok {
			t.Fatal("exit of a non-member")
		}
		ok, err := s.Leave(bg, id, st[1].Uin)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		total, ms, err := s.Members(bg, id, 0, 10)
		must(t, err)
		if total != 3 || len(ms) != 3 || ms[0].UID != "t" || ms[0].Role != 1 || ms[1].UID != "s1" || ms[2].UID != "s3" {
			t.Fatalf("%d %+v", total, ms)
		}
		total, ms, _ = s.Members(bg, id, 1, 1)
		if total != 3 || len(ms) != 1 || ms[0].UID != "s1" {
			t.Fatalf("page: %d %+v", total, ms)
		}
		hist, _ := s.MemberHistory(bg, id, a.Uin)
		if len(hist) != 4 || hist[0] != "t" || hist[1] != "s1" || hist[2] != "s2" || hist[3] != "s3" {
			t.Fatalf("history %v", hist)
		}

		// Reap at 300: s3 (103) is older than memberBefore 110; s1 (200) is not;
		// the teacher is kept by the member timeout; the room heartbeat (100)
		// is not older than roomBefore 100.
		rooms, n, err := s.Reap(bg, 300, 100, 110, 0, 300)
		must(t, err)
		if len(rooms) != 0 || n != 1 {
			t.Fatalf("reaped %v %d", rooms, n)
		}
		if _, ms, _ := s.Members(bg, id, 0, 10); len(ms) != 2 {
			t.Fatalf("members %+v", ms)
		}
		rooms, _, err = s.Reap(bg, 400, 101, 0, 0, 300)
		must(t, err)
		if len(rooms) != 1 || rooms[0] != id {
			t.Fatalf("rooms %v", rooms)
		}
		r, _ := s.Room(bg, id)
		if r.State != StateEnded || r.EndTime != 400 || r.CanTriggerTime != 700 || r.EndSeq != 0 || r.StartSeq != 7 {
			t.Fatalf("reaped room %+v", r)
		}
		if n, _ := s.PresentCount(bg, id); n != 0 {
			t.Fatalf("present %d", n)
		}
		// The purge deletes member rows whose heartbeat is old.
		_, _, err = s.Reap(bg, 500, 0, 0, 150, 300)
		must(t, err)
		hist, _ = s.MemberHistory(bg, id, a.Uin)
		if len(hist) != 1 || hist[0] != "s1" {
			t.Fatalf("after purge %v", hist)
		}
	})
}

func TestRoomsFilter(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "a", 1, 1)
		b := account(t, s, "b", 1, 1)
		c := account(t, s, "c", 2, 1)
		r1, _ := s.CreateRoom(bg, a, "1", "", 100) // started at 300
		r2, _ := s.CreateRoom(bg, b, "2", "", 200) // never started
		r3, _ := s.CreateRoom(bg, c, "3", "", 250) // other app
		must(t, s.StartRoom(bg, r1, a.Uin, 1, 300))
		list := func(f RoomFilter) []int64 {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 50
			}
			if f.AppID == 0 {
				f.AppID = 1
			}
			_, items, err := s.Rooms(bg, f)
			must(t, err)
			out := []int64{}
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		eqIDs := func(name string, got []int64, want ...int64) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %v, want %v", name, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: %v, want %v", name, got, want)
				}
			}
		}
		eqIDs("all", list(RoomFilter{State: -1}), r1, r2)
		eqIDs("app 2", list(RoomFilter{AppID: 2, State: -1}), r3)
		eqIDs("to 250: r2 by create time, r1 started later", list(RoomFilter{State: -1, To: 250}), r2)
		eqIDs("to 199", list(RoomFilter{State: -1, To: 199}))
		eqIDs("from 200 exclusive", list(RoomFilter{State: -1, From: 200}), r1)
		eqIDs("from 199", list(RoomFilter{State: -1, From: 199}), r1, r2)
		eqIDs("to 300 inclusive", list(RoomFilter{State: -1, To: 300}), r1, r2)
		eqIDs("state 0", list(RoomFilter{State: 0}), r2)
		eqIDs("host", list(RoomFilter{State: -1, HostUin: a.Uin}), r1)
		eqIDs("room", list(RoomFilter{State: -1, RoomID: r2}), r2)
		eqIDs("room of other app", list(RoomFilter{State: -1, RoomID: r3}))
		eqIDs("offset", list(RoomFilter{State: -1, Offset: 1, Limit: 1}), r2)
		total, items, err := s.Rooms(bg, RoomFilter{AppID: 1, State: -1, Offset: 5, Limit: 5})
		if err != nil || total != 2 || len(items) != 0 {
			t.Fatalf("past the end: %d %v %v", total, items, err)
		}
		// memsize counts present members and follows changes.
		_, items, _ = s.Rooms(bg, RoomFilter{AppID: 1, State: -1, RoomID: r1, Limit: 1})
		if items[0].MemSize != 1 || items[0].HostUID != "a" {
			t.Fatalf("%+v", items[0])
		}
		must(t, s.Enter(bg, r1, Member{Uin: b.Uin, UID: b.UID, Role: b.Role}, 310))
		_, items, _ = s.Rooms(bg, RoomFilter{AppID: 1, State: -1, RoomID: r1, Limit: 1})
		if items[0].MemSize != 2 {
			t.Fatalf("memsize after enter %d", items[0].MemSize)
		}
		must(t, s.EndRoom(bg, r1, 9, 400, 300))
		_, items, _ = s.Rooms(bg, RoomFilter{AppID: 1, State: StateEnded, Limit: 5})
		if len(items) != 1 || items[0].MemSize != 0 || items[0].EndSeq != 9 {
			t.Fatalf("after end %+v", items)
		}
	})
}

func TestBinds(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "a", 1, 1)
		b := account(t, s, "b", 1, 1)
		id, _ := s.CreateRoom(bg, a, "r", "", 1)
		must(t, s.Bind(bg, BindFile{Uin: a.Uin, RoomID: id, Time: 10, Type: 0, FileName: "x", URL: "u1"}, 100, 1000))
		must(t, s.Bind(bg, BindFile{Uin: a.Uin, RoomID: id, Time: 20, Type: 1, FileName: "y", URL: "u2"}, 100, 1000))
		must(t, s.Bind(bg, BindFile{Uin: a.Uin, RoomID: 0, Time: 30, FileName: "lib", URL: "u1"}, 100, 1000))
		must(t, s.Bind(bg, BindFile{Uin: b.Uin, RoomID: 0, Time: 30, FileName: "lib", URL: "u1"}, 100, 1000))
		if err := s.Bind(bg, BindFile{Uin: a.Uin, RoomID: id, Time: 40, URL: "u1"}, 100, 1000); !errors.Is(err, ErrExists) {
			t.Fatalf("double bind: %v", err)
		}
		urls := func(f BindFilter) (int64, []string) {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 50
			}
			n, files, err := s.Binds(bg, f)
			must(t, err)
			out := []string{}
			for _, f := range files {
				out = append(out, f.URL)
			}
			return n, out
		}
		if n, u := urls(BindFilter{RoomID: id}); n != 2 || len(u) != 2 || u[0] != "u2" {
			t.Fatalf("room: %d %v", n, u)
		}
		if n, u := urls(BindFilter{RoomID: id, From: 11, To: 20}); n != 1 || u[0] != "u2" {
			t.Fatalf("window: %d %v", n, u)
		}
		if n, u := urls(BindFilter{RoomID: id, To: 10}); n != 1 || u[0] != "u1" {
			t.Fatalf("to: %d %v", n, u)
		}
		if n, _ := urls(BindFilter{Uin: b.Uin}); n != 1 {
			t.Fatalf("library of b: %d", n)
		}
		if ok, _ := s.Unbind(bg, id, b.Uin, "u1"); ok {
			t.Fatal("b unbound a's file")
		}
		if ok, _ := s.Unbind(bg, id, a.Uin, "u1"); !ok {
			t.Fatal("unbind")
		}
		if n, _ := urls(BindFilter{RoomID: id}); n != 1 {
			t.Fatalf("after unbind %d", n)
		}
	})
}

// TestReplayIndexClaim: many racing claims, one winner.
func TestReplayIndexClaim(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "a", 1, 1)
		id, _ := s.CreateRoom(bg, a, "r", "", 1)
		must(t, s.StartRoom(bg, id, a.Uin, 1, 2))
		must(t, s.EndRoom(bg, id, 2, 10, 300))
		if err := s.ClaimReplayIndex(bg, id, 309); !errors.Is(err, ErrConflict) {
			t.Fatalf("claim before time: %v", err)
		}
		if due, _ := s.DueReplayIndex(bg, 310); len(due) != 1 {
			t.Fatalf("due %v", due)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if s.ClaimReplayIndex(bg, id, 310) == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d claims won", wins)
		}
		if due, _ := s.DueReplayIndex(bg, 1000); len(due) != 0 {
			t.Fatalf("due after claim %v", due)
		}
		must(t, s.ReplayIndexReady(bg, id, "http://i", 0, 400))
		r, _ := s.Room(bg, id)
		if r.State != StatePlayback || r.IdxURL != "http://i" || r.TriggerTime != 310 {
			t.Fatalf("%+v", r)
		}
	})
}

// TestCrashDurability: what a process wrote before it died without
// closing the store is there for the next one (WAL).
func TestCrashDurability(t *testing.T) {
	if path := os.Getenv("SXB_CRASH_DB"); path != "" {
		s, err := Open(path, Options{})
		if err != nil {
			os.Exit(3)
		}
		a := &Account{UID: "crash", AppID: 1, PwdHash: "h"}
		if s.CreateAccount(bg, a, 1) != nil {
			os.Exit(4)
		}
		if _, err := s.CreateRoom(bg, a, "r", "", 1); err != nil {
			os.Exit(5)
		}
		os.Exit(0) // no Close: the process just ends
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$")
	cmd.Env = append(os.Environ(), "SXB_CRASH_DB="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v %s", err, out)
	}
	s := open(t, path)
	defer s.Close()
	a, err := s.AccountByUID(bg, "crash")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Room(bg, 10001); err != nil || r.HostUin != a.Uin {
		t.Fatalf("room %+v %v", r, err)
	}
}

// The exact-id lookup of login and the case-insensitive uniqueness each
// use an index, never a scan of the accounts.
func TestAccountLookupsUseIndexes(t *testing.T) {
	s, _ := tempDB(t)
	for q, want := range map[string]string{
		"SELECT uin FROM t_account WHERE uid = ? COLLATE BINARY": "idx_account_uid_exact",
		"SELECT uin FROM t_account WHERE uid = ?":                "sqlite_autoindex_t_account",
	} {
		text := queryPlan(t, s, q, "x")
		if !strings.Contains(text, want) || strings.Contains(text, "SCAN") {
			t.Errorf("%s: plan %q, want %s", q, text, want)
		}
	}
}

// Bindings: at most perPlace in one room or library and perUser in all;
// the url is found through the prefix index, never by a scan.
func TestBindLimitsAndIndex(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "t", 1, 1)
		long := strings.Repeat("u", 100) // longer than the indexed prefix
		for i := 0; i < 3; i++ {
			must(t, s.Bind(bg, BindFile{Uin: a.Uin, RoomID: 7, URL: long + strconv.Itoa(i)}, 3, 5))
		}
		if err := s.Bind(bg, BindFile{Uin: a.Uin, RoomID: 7, URL: "x"}, 3, 5); !errors.Is(err, ErrFull) {
			t.Fatalf("4th binding in one room: %v", err)
		}
		if err := s.Bind(bg, BindFile{Uin: a.Uin, RoomID: 7, URL: long + "0"}, 3, 5); !errors.Is(err, ErrExists) {
			t.Fatalf("repeat binding: %v", err)
		}
		must(t, s.Bind(bg, BindFile{Uin: a.Uin, RoomID: 0, URL: "a"}, 3, 5))
		must(t, s.Bind(bg, BindFile{Uin: a.Uin, RoomID: 8, URL: "b"}, 3, 5))
		if err := s.Bind(bg, BindFile{Uin: a.Uin, RoomID: 9, URL: "c"}, 3, 5); !errors.Is(err, ErrFull) {
			t.Fatalf("6th binding in all: %v", err)
		}
		// Same prefix, other ending: unbinding one leaves the others.
		if ok, err := s.Unbind(bg, 7, a.Uin, long+"1"); !ok || err != nil {
			t.Fatalf("unbind %v %v", ok, err)
		}
		if n, _, _ := s.Binds(bg, BindFilter{RoomID: 7, Uin: a.Uin, Limit: 10}); n != 2 {
			t.Fatalf("%d left", n)
		}
		if s.d.name != "sqlite" {
			return // MySQL's plan: idx_bind_room is a prefix index on url(64) there
		}
		q := "SELECT COUNT(*) FROM t_bind_file WHERE room_id = ? AND uin = ? AND " + urlMatch
		if p := queryPlan(t, s, q, 1, 2, "u", "u"); !strings.Contains(p, "idx_bind_room") || !strings.Contains(p, "substr") && !strings.Contains(p, "<expr>") {
			t.Fatalf("plan %q", p)
		}
	})
}

// The database and its WAL and shared-memory files are the owner's only.
func TestFilesPrivate(t *testing.T) {
	s, path := tempDB(t)
	account(t, s, "u", 1, 0) // a write: the WAL exists
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", p, fi.Mode().Perm())
		}
	}
}

// queryPlan is SQLite's plan of q, its steps joined by "; ".
func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+q, args...)
	must(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		must(t, rows.Scan(&id, &parent, &notused, &detail))
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// With SetBeatEvery, a beat is written once it moved that far from the
// last one written, or once its sender went quiet that long; the newest
// is known here meanwhile, and a clean close writes everything.
func TestBeatsWrittenEvery(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, path string) {
		a := account(t, s, "t", 1, 1)
		b := account(t, s, "s", 1, 0)
		c := account(t, s, "q", 1, 0)
		id, err := s.CreateRoom(bg, a, "r", "", 100)
		must(t, err)
		must(t, s.StartRoom(bg, id, a.Uin, 5, 100))
		for _, m := range []*Account{b, c} {
			must(t, s.Enter(bg, id, Member{Uin: m.Uin, UID: m.UID}, 100))
		}
		s.SetBeatEvery(10)
		stored := func(st *Store, uin int64) int64 {
			t.Helper()
			var hb int64
			must(t, st.r.QueryRow("SELECT last_heartbeat_time FROM t_class_member WHERE uin = ? AND room_id = ?", uin, id).Scan(&hb))
			return hb
		}
		s.Heartbeat(id, c.Uin, false, 103) // then q goes quiet
		// s beats every 3 s; written: the first, then each 12 s (the first
		// beat 10 s or more after the one written).
		want := map[int64]int64{103: 103, 106: 103, 109: 103, 112: 103, 115: 115, 118: 115, 121: 115, 124: 115, 127: 127}
		for now := int64(103); now <= 127; now += 3 {
			s.Heartbeat(id, b.Uin, false, now)
			s.Heartbeat(id, a.Uin, true, now)
			must(t, s.Flush(bg))
			if got := stored(s, b.Uin); got != want[now] {
				t.Fatalf("at %d: stored %d, want %d", now, got, want[now])
			}
			if r, _ := s.Room(bg, id); r.LastUpdate != want[now] {
				t.Fatalf("at %d: the teacher's beat stored %d, want %d", now, r.LastUpdate, want[now])
			}
		}
		// q's only beat was written at once (nothing written before), and
		// stays; a beat held back is shown where members are listed.
		if got := stored(s, c.Uin); got != 103 {
			t.Fatalf("quiet member stored %d", got)
		}
		s.Heartbeat(id, b.Uin, false, 130)
		must(t, s.Flush(bg))
		es, err := s.MemberEntries(bg, id)
		must(t, err)
		for _, e := range es {
			if e.Uin == b.Uin && e.LastHeartbeat != 130 {
				t.Fatalf("listed heartbeat %d, want the newest 130", e.LastHeartbeat)
			}
		}
		// s goes quiet once another beat is 10 s newer: its last beat is written.
		s.Heartbeat(id, a.Uin, true, 140)
		must(t, s.Flush(bg))
		if got := stored(s, b.Uin); got != 130 {
			t.Fatalf("after going quiet: stored %d, want 130", got)
		}
		s.Heartbeat(id, b.Uin, false, 142)
		must(t, s.Close())
		s2 := open(t, path)
		defer s2.Close()
		if got := stored(s2, b.Uin); got != 142 {
			t.Fatalf("a clean close wrote %d, want 142", got)
		}
	})
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testDBSeq atomic.Int64

// testMySQL creates an empty database for a test on the server named by
// SXB_TEST_MYSQL (default mysql://root@127.0.0.1:3306/), dropped at the
// end; it skips the test, saying why, when no server answers (and fails
// it on CI, which always has one).
func testMySQL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SXB_TEST_MYSQL")
	if base == "" {
		base = "mysql://root@127.0.0.1:3306/"
	}
	admin, _, err := DialMySQL(strings.TrimSuffix(base, "/")+"/mysql", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Ping(); err != nil {
		admin.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("no MySQL at %s on CI: %v", Redact(base), err)
		}
		t.Skipf("MySQL case skipped: no server at %s (%v); set SXB_TEST_MYSQL", Redact(base), err)
	}
	name := fmt.Sprintf("sxbs_%d_%d", os.Getpid(), testDBSeq.Add(1))
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	})
	return strings.TrimSuffix(base, "/") + "/" + name
}

// engines runs fn on a new store of each engine: a SQLite file, and a
// MySQL database (see testMySQL). db reopens it.
func engines(t *testing.T, fn func(t *testing.T, s *Store, db string)) {
	for _, e := range []string{"sqlite", "mysql"} {
		t.Run(e, func(t *testing.T) {
			var db string
			if e == "mysql" {
				db = testMySQL(t)
			} else {
				db = t.TempDir() + "/s.db"
			}
			s := open(t, db)
			t.Cleanup(func() { s.Close() })
			fn(t, s, db)
		})
	}
}

// link makes a and b two servers that tell each other of their writes,
// both holding a lease (what server/peers.go does over HTTP).
func link(a, b *Store) {
	a.SetPublisher(func(_ context.Context, c Change) error { b.Forget(bg, c); return nil })
	b.SetPublisher(func(_ context.Context, c Change) error { a.Forget(bg, c); return nil })
	a.UseCachesUntil(time.Now().Add(time.Hour))
	b.UseCachesUntil(time.Now().Add(time.Hour))
}

// On MySQL a server without a lease reads every answer from the
// database; with one, its caches are used, another server's published
// write shows at once, and a lapse of the lease starts them empty.
func TestRoomListCacheMySQL(t *testing.T) {
	db := testMySQL(t)
	s := open(t, db)
	defer s.Close()
	a := &Account{UID: "t", AppID: 1, Role: 1, PwdHash: "$2a$04$x"}
	must(t, s.CreateAccount(bg, a, 1))
	id, err := s.CreateRoom(bg, a, "before", "", 10)
	must(t, err)
	f := RoomFilter{AppID: 1, State: -1, Limit: 10}
	title := func() string {
		_, items, err := s.Rooms(bg, f)
		must(t, err)
		return items[0].Title
	}
	raw := func(title string) { // a writer that tells nobody
		t.Helper()
		if _, err := s.w.Exec("UPDATE t_course SET title = ? WHERE room_id = ?", title, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := title(); got != "before" {
		t.Fatal(got)
	}
	raw("unannounced")
	if got := title(); got != "unannounced" {
		t.Fatalf("without a lease, a list came from a cache: %q", got)
	}
	other := open(t, db)
	defer other.Close()
	link(s, other)
	title()
	raw("hidden")
	if got := title(); got != "unannounced" {
		t.Fatalf("with a lease, the list was not cached: %q", got) // shows the cache is in use
	}
	// Another server's write is seen at once.
	must(t, other.StartRoom(bg, id, a.Uin, 0, 11))
	if _, items, _ := s.Rooms(bg, f); items[0].MemSize != 1 || items[0].State != StateLiving || items[0].Title != "hidden" {
		t.Fatalf("after another server's start: %+v", items[0])
	}
	raw("during the lapse")
	s.StopCaches()
	if got := title(); got != "during the lapse" {
		t.Fatalf("lease lapsed, list from the cache: %q", got)
	}
	raw("missed")
	s.UseCachesUntil(time.Now().Add(time.Hour))
	if got := title(); got != "missed" {
		t.Fatalf("a renewed lease kept entries from before the lapse: %q", got)
	}
}

// A member enters only a living room: the check is in the statement, so an
// end that another server committed first wins.
func TestEnterOnlyLiving(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := &Account{UID: "t", AppID: 1, Role: 1, PwdHash: "$2a$04$x"}
		must(t, s.CreateAccount(bg, a, 1))
		id, err := s.CreateRoom(bg, a, "r", "", 10)
		must(t, err)
		if err := s.Enter(bg, id, Member{Uin: 77}, 11); !errors.Is(err, ErrConflict) {
			t.Fatalf("created room: %v", err)
		}
		must(t, s.StartRoom(bg, id, a.Uin, 0, 12))
		must(t, s.Enter(bg, id, Member{Uin: 77}, 13))
		must(t, s.Enter(bg, id, Member{Uin: 77}, 14)) // again: fine
		must(t, s.EndRoom(bg, id, 0, 15, 300))
		if err := s.Enter(bg, id, Member{Uin: 77}, 16); !errors.Is(err, ErrConflict) {
			t.Fatalf("ended room: %v", err)
		}
		if n, _ := s.PresentCount(bg, id); n != 0 {
			t.Fatalf("%d present in an ended room", n)
		}
		if err := s.Enter(bg, 999999, Member{Uin: 77}, 16); !errors.Is(err, ErrConflict) {
			t.Fatalf("no such room: %v", err)
		}
	})
}

// On MySQL, the lookups every request makes use an index, never a scan of
// the accounts: by token (sessions, their sync and activity) and by uid.
func TestMySQLIndexes(t *testing.T) {
	db := testMySQL(t)
	s := open(t, db)
	defer s.Close()
	for i := 0; i < 50; i++ { // plans of a table with rows, not of an empty one
		must(t, s.CreateAccount(bg, &Account{UID: fmt.Sprint("u", i), AppID: 1, PwdHash: "h"}, 1))
		must(t, s.Login(bg, &Account{Uin: int64(10001 + i)}, fmt.Sprint("tok", i), "sig", 1))
	}
	for q, key := range map[string]string{
		"SELECT uin FROM t_account WHERE token = 'tok7'":                                            "idx_account_token",
		"SELECT uin FROM t_account WHERE " + strings.ReplaceAll(mysqlDialect.exactUID, "?", "'u7'"): "idx_uid",
		"SELECT COUNT(*) FROM t_class_member WHERE room_id = 1 AND has_exited = 0":                  "idx_member_room",
	} {
		var id, selectType, table, typ, possible, k, keyLen, ref, rows, extra sql.NullString
		row := s.r.QueryRow("EXPLAIN " + q)
		cols, _ := s.r.Query("EXPLAIN " + q)
		names, _ := cols.Columns()
		cols.Close()
		if len(names) != 10 {
			t.Skipf("EXPLAIN has %d columns here", len(names))
		}
		must(t, row.Scan(&id, &selectType, &table, &typ, &possible, &k, &keyLen, &ref, &rows, &extra))
		if k.String != key {
			t.Errorf("%s: uses key %q (%s), want %s", q, k.String, typ.String, key)
		}
	}
}

// Two servers writing behind on one database never move a time backwards:
// the older heartbeat or token activity, written later, changes nothing.
func TestWriteBehindNeverBackwards(t *testing.T) {
	db := testMySQL(t)
	a, b := open(t, db), open(t, db)
	defer a.Close()
	defer b.Close()
	host := &Account{UID: "t", AppID: 1, Role: 1, PwdHash: "h"}
	must(t, a.CreateAccount(bg, host, 1))
	must(t, a.Login(bg, host, "tok", "sig", 1))
	id, err := a.CreateRoom(bg, host, "r", "", 1)
	must(t, err)
	must(t, a.StartRoom(bg, id, host.Uin, 0, 2))
	sa, err := a.SessionByToken(bg, "tok")
	must(t, err)
	sb, err := b.SessionByToken(bg, "tok")
	must(t, err)
	a.Heartbeat(id, host.Uin, true, 500)
	a.Touch(sa, 500)
	must(t, a.flush(bg, 0))
	b.Heartbeat(id, host.Uin, true, 400) // older, flushed after
	b.Touch(sb, 400)
	must(t, b.flush(bg, 0))
	var member, room, token int64
	must(t, a.r.QueryRow("SELECT last_heartbeat_time FROM t_class_member WHERE room_id = ? AND uin = ?", id, host.Uin).Scan(&member))
	must(t, a.r.QueryRow("SELECT last_update_time FROM t_course WHERE room_id = ?", id).Scan(&room))
	must(t, a.r.QueryRow("SELECT last_request_time FROM t_account WHERE uin = ?", host.Uin).Scan(&token))
	if member != 500 || room != 500 || token != 500 {
		t.Fatalf("member %d, room %d, token %d after an older write: want 500", member, room, token)
	}
}

// The same file bound at once through two servers is bound once.
func TestConcurrentBindsMySQL(t *testing.T) {
	db := testMySQL(t)
	a, b := open(t, db), open(t, db)
	defer a.Close()
	defer b.Close()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			errs[i] = s.Bind(bg, BindFile{Uin: 7, RoomID: 9, URL: "http://same"}, 100, 1000)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrExists) {
			t.Fatal(err)
		}
	}
	if n, _, _ := a.Binds(bg, BindFilter{RoomID: 9, Uin: 7, Limit: 10}); ok != 1 || n != 1 {
		t.Fatalf("%d binds succeeded, %d stored", ok, n)
	}
}

// Member lists come from memory: this server's enters, leaves and
// removals show at once (in entry order, a re-entry keeping its place);
// on MySQL so do another server's, and its starts, ends and logins.
func TestMemberCache(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, db string) {
		var acc []*Account
		for _, uid := range []string{"t", "s1", "s2", "s3"} {
			a := &Account{UID: uid, AppID: 1, Role: 0, PwdHash: "$2a$04$x"}
			must(t, s.CreateAccount(bg, a, 1))
			acc = append(acc, a)
		}
		id, err := s.CreateRoom(bg, acc[0], "r", "", 10)
		must(t, err)
		list := func(st *Store) string { t.Helper(); return memberList(t, st, id) }
		if got := list(s); got != "0 []" {
			t.Fatal(got)
		}
		must(t, s.StartRoom(bg, id, acc[0].Uin, 0, 11))
		for _, a := range acc[1:] {
			must(t, s.Enter(bg, id, Member{Uin: a.Uin, UID: a.UID}, 12))
		}
		if got := list(s); got != "4 [t s1 s2 s3]" {
			t.Fatal(got)
		}
		_, err = s.Leave(bg, id, acc[1].Uin)
		must(t, err)
		if got := list(s); got != "3 [t s2 s3]" {
			t.Fatal(got)
		}
		must(t, s.Enter(bg, id, Member{Uin: acc[1].Uin, UID: "s1"}, 13)) // back, in its first place
		if got := list(s); got != "4 [t s1 s2 s3]" {
			t.Fatal(got)
		}
		must(t, s.RemoveMember(bg, id, acc[2].Uin, 14))
		if got := list(s); got != "3 [t s1 s3]" {
			t.Fatal(got)
		}
		if r, _ := s.Removed(bg, id, acc[2].Uin); !r {
			t.Fatal("removal not seen")
		}
		if r, _ := s.Removed(bg, id, acc[3].Uin); r {
			t.Fatal("s3 seen removed")
		}
		// A fresh server reads the same from the database.
		other := open(t, db)
		defer other.Close()
		if got := list(other); got != "3 [t s1 s3]" {
			t.Fatalf("from the database: %s", got)
		}
		if r, _ := other.Removed(bg, id, acc[2].Uin); !r {
			t.Fatal("removal not stored")
		}
		if s.d.name != "mysql" {
			return
		}
		// Two servers that tell each other: every write shows at once.
		link(s, other)
		list(s)
		must(t, other.Enter(bg, id, Member{Uin: acc[2].Uin, UID: "s2"}, 15)) // (the store does not refuse it)
		if got := list(s); got != "4 [t s1 s2 s3]" {
			t.Fatalf("another server's enter: %s", got)
		}
		_, err = other.Leave(bg, id, acc[3].Uin)
		must(t, err)
		if got := list(s); got != "3 [t s1 s2]" {
			t.Fatalf("another server's leave: %s", got)
		}
		must(t, other.RemoveMember(bg, id, acc[1].Uin, 16))
		if r, _ := s.Removed(bg, id, acc[1].Uin); !r {
			t.Fatal("another server's removal not seen")
		}
		id2, err := s.CreateRoom(bg, acc[0], "r2", "", 20)
		must(t, err)
		if n, _ := s.PresentCount(bg, id2); n != 0 {
			t.Fatal(n)
		}
		must(t, other.StartRoom(bg, id2, acc[0].Uin, 0, 21))
		if n, _ := s.PresentCount(bg, id2); n != 1 {
			t.Fatalf("a class started by another server: %d present", n)
		}
		must(t, other.EndRoom(bg, id2, 0, 22, 300))
		if r, _ := s.RoomForEnter(bg, id2); r.State != StateEnded {
			t.Fatalf("a class ended by another server: state %d", r.State)
		}
		// New members entering through either server take their place
		// in entry order on both, as a fresh read has it.
		id3, err := s.CreateRoom(bg, acc[0], "r3", "", 40)
		must(t, err)
		must(t, s.StartRoom(bg, id3, acc[0].Uin, 0, 41))
		list3 := func(st *Store) string { t.Helper(); return memberList(t, st, id3) }
		list3(s)
		list3(other)
		for i, a := range acc[1:] {
			by := []*Store{other, s}[i%2]
			must(t, by.Enter(bg, id3, Member{Uin: a.Uin, UID: a.UID}, 42))
		}
		fresh := open(t, db)
		defer fresh.Close()
		want := list3(fresh)
		if want != "4 [t s1 s2 s3]" || list3(s) != want || list3(other) != want {
			t.Fatalf("entries through two servers: %s and %s, the database %s", list3(s), list3(other), want)
		}
		// Leaves through either server, and a re-entry, show on both.
		_, err = s.Leave(bg, id3, acc[2].Uin)
		must(t, err)
		_, err = other.Leave(bg, id3, acc[1].Uin)
		must(t, err)
		if got := list3(s) + " | " + list3(other); got != "2 [t s3] | 2 [t s3]" {
			t.Fatalf("after two leaves: %s", got)
		}
		must(t, s.Enter(bg, id3, Member{Uin: acc[1].Uin, UID: "s1"}, 43))
		if got := list3(s) + " | " + list3(other) + " | " + list3(fresh); got != "3 [t s1 s3] | 3 [t s1 s3] | 3 [t s1 s3]" {
			t.Fatalf("after a re-entry: %s", got)
		}

		// Sessions: a logout or a new login on one server ends the token on the other.
		must(t, s.Login(bg, acc[3], "tok1", "sig", 30))
		if se, err := other.SessionByToken(bg, "tok1"); err != nil || se.Uin != acc[3].Uin {
			t.Fatal(se, err)
		}
		must(t, s.Login(bg, acc[3], "tok2", "sig", 31))
		if _, err := other.SessionByToken(bg, "tok1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a replaced token still works on another server: %v", err)
		}
		other.SessionByToken(bg, "tok2")
		_, err = s.Logout(bg, "tok2", 32)
		must(t, err)
		if _, err := other.SessionByToken(bg, "tok2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a token logged out elsewhere still works: %v", err)
		}
	})
}

// Room lists stay cached through writes they do not show: enters,
// leaves and GO课堂 rooms (their member counts come from the member cache).
func TestUnlistedWritesKeepRoomLists(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := &Account{UID: "t", AppID: 1, Role: 1, PwdHash: "$2a$04$x"}
		must(t, s.CreateAccount(bg, a, 1))
		id, err := s.CreateRoom(bg, a, "r", "", 10)
		must(t, err)
		must(t, s.StartRoom(bg, id, a.Uin, 0, 11))
		v := s.lists.local.Load()
		must(t, s.Enter(bg, id, Member{Uin: 77, UID: "s"}, 12))
		_, err = s.Leave(bg, id, 77)
		must(t, err)
		must(t, s.InGoClassRoom(bg, 1, "zego", &GoClassNew{Room: GoClassRoom{CreatedMS: 1}}, func(tx *GoClassTx) error {
			return tx.PutMember(bg, &GoClassMember{UID: 5, Role: 1, HeartbeatMS: 1})
		}))
		must(t, s.GoClassScheduleEmpty(bg, 99))
		if got := s.lists.local.Load(); got != v {
			t.Fatalf("room-list version moved %d times", got-v)
		}
		must(t, s.EndRoom(bg, id, 0, 13, 300)) // a room change does move it
		if s.lists.local.Load() == v {
			t.Fatal("ending a room kept the cached lists")
		}
	})
}

// memberList is st's member list of room as "count [uids in order]".
func memberList(t *testing.T, st *Store, room int64) string {
	t.Helper()
	n, ms, err := st.Members(bg, room, 0, 10)
	must(t, err)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.UID)
	}
	return fmt.Sprintf("%d %v", n, ids)
}

// Many rooms changing state at once: each holder of a room lock also
// writes; the locks must not take the connections those writes need
// (they did: 32 holders took the whole pool and waited on each other
// until their deadlines).
func TestManyRoomLocksMySQL(t *testing.T) {
	db := testMySQL(t)
	s := open(t, db)
	defer s.Close()
	ctx, cancel := context.WithTimeout(bg, 8*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Go(func() {
			unlock, err := s.LockRoom(ctx, int64(1000+i))
			if err != nil {
				errs[i] = err
				return
			}
			defer unlock()
			time.Sleep(100 * time.Millisecond) // the others take their locks meanwhile
			_, errs[i] = s.AddSetting(ctx, fmt.Sprintf("k%d", i), "v")
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("room %d: %v", i, err)
		}
	}
}

// The reaper scans the members to find the silent ones; a member row
// another transaction holds (a flush, an enter, a leave) must not stop
// it, nor must it lock the rows it passes over.
func TestReapPassesLockedRowsMySQL(t *testing.T) {
	db := testMySQL(t)
	s := open(t, db)
	defer s.Close()
	a := &Account{UID: "t", AppID: 1, Role: 1, PwdHash: "$2a$04$x"}
	must(t, s.CreateAccount(bg, a, 1))
	id, err := s.CreateRoom(bg, a, "r", "", 10)
	must(t, err)
	must(t, s.StartRoom(bg, id, a.Uin, 0, 1000))
	must(t, s.Enter(bg, id, Member{Uin: 77}, 1000)) // beating
	must(t, s.Enter(bg, id, Member{Uin: 78}, 100))  // silent
	raw, _, err := DialMySQL(db, false)
	must(t, err)
	defer raw.Close()
	busy, err := raw.Begin()
	must(t, err)
	defer busy.Rollback()
	if _, err := busy.Exec("UPDATE t_class_member SET last_heartbeat_time = 1001 WHERE uin = 77 AND room_id = ?", id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	// now 1000: members silent since before 500 go.
	if _, n, err := s.Reap(ctx, 1000, 0, 500, 0, 300); err != nil || n != 1 {
		t.Fatalf("reap beside a locked member row: %d exited, %v", n, err)
	}
	// And while the reaper's transaction would run, the row it passed
	// over stays free: the busy transaction commits.
	must(t, busy.Commit())
}

// A write to one room leaves a load of another room's members in flight
// to be kept (a single generation for all rooms discarded every load
// during a storm of enters); a write to the room itself does not.
func TestMemberLoadsKeptBesideOtherRooms(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		const x, y = 101, 102 // different slots
		gen := s.roomGen(x)
		s.entered(y, Member{Uin: 5, UID: "u5"}, 1)
		s.left(y, 5)
		if s.roomGen(x) != gen {
			t.Fatal("another room's writes discard this room's load")
		}
		s.entered(x, Member{Uin: 6, UID: "u6"}, 1)
		if s.roomGen(x) == gen {
			t.Fatal("this room's write keeps a load that may be stale")
		}
		gen = s.roomGen(x)
		s.membersChanged()
		if s.roomGen(x) == gen {
			t.Fatal("a change of every room keeps a load that may be stale")
		}
	})
}

// A room without a schedule is read as such once: the enter's and the
// class events' schedule reads come from the room's cached state until a
// change to the room forgets it; scheduled rooms are read every time.
func TestUnscheduledRoomsReadOnce(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, db string) {
		s.UseCachesUntil(time.Now().Add(time.Hour)) // MySQL: a server holding its lease
		host := &Account{UID: "t", AppID: 1, PwdHash: "$2a$04$x"}
		must(t, s.CreateAccount(bg, host, 1))
		plain, err := s.CreateRoom(bg, host, "plain", "", 10)
		must(t, err)
		sched, err := s.CreateLCICRoom(bg, host, &LCICRoom{AppID: 1, StartTime: 100, EndTime: 200, Created: 10, Name: "s", TeacherID: "t"})
		must(t, err)
		opens := func(id int64) int64 {
			t.Helper()
			at, err := s.LCICOpens(bg, id)
			must(t, err)
			return at
		}
		if _, err := s.LCICOpens(bg, plain); err != nil { // before its state is cached: read, nothing kept
			t.Fatal(err)
		}
		if _, err := s.RoomForEnter(bg, plain); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RoomForEnter(bg, sched); err != nil {
			t.Fatal(err)
		}
		if at := opens(plain); at != 0 {
			t.Fatalf("plain room opens at %d", at)
		}
		// A schedule row written behind the store's back is not read again...
		_, err = s.w.ExecContext(bg, "INSERT INTO t_lcic_room (room_id, app_id, start_time, end_time, created, name, teacher_id, group_id, assistants, extra) "+
			"VALUES (?, 1, 300, 400, 10, 'plain', 't', '', '[]', '{}')", plain)
		must(t, err)
		if at := opens(plain); at != 0 {
			t.Fatalf("unscheduled room read again: opens at %d", at)
		}
		if _, err := s.LCICRoom(bg, plain); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unscheduled room read again: %v", err)
		}
		// ... until a change to the room forgets its state.
		r, err := s.LCICRoom(bg, sched)
		must(t, err)
		r.RoomID, r.StartTime = plain, 500
		must(t, s.ModifyLCICRoom(bg, r, nil))
		if at := opens(plain); at != 500 {
			t.Fatalf("after the change: opens at %d, want 500", at)
		}
		if _, err := s.RoomForEnter(bg, plain); err != nil {
			t.Fatal(err)
		}
		if at := opens(plain); at != 500 {
			t.Fatalf("a scheduled room's state cached: opens at %d, want 500", at)
		}
		// A scheduled room is read every time.
		if at := opens(sched); at != 100 {
			t.Fatalf("scheduled room opens at %d", at)
		}
		_, err = s.w.ExecContext(bg, "UPDATE t_lcic_room SET start_time = 150 WHERE room_id = ?", sched)
		must(t, err)
		if at := opens(sched); at != 150 {
			t.Fatalf("scheduled room opens at %d, want 150", at)
		}
	})
}

// Token activity is written once every touchEvery seconds of it, every
// token that moved since at once; a final flush writes all of it; a
// replaced token's activity never reaches the account.
func TestTokenActivityWrittenEachMinute(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, db string) {
		var ses []*Session
		for i, uid := range []string{"a", "b"} {
			a := &Account{UID: uid, AppID: 1, PwdHash: "$2a$04$x"}
			must(t, s.CreateAccount(bg, a, 1))
			tok := fmt.Sprintf("tok-%d", i)
			must(t, s.Login(bg, a, tok, "sig", 900))
			se, err := s.SessionByToken(bg, tok)
			must(t, err)
			ses = append(ses, se)
		}
		written := func() [2]int64 {
			t.Helper()
			var out [2]int64
			for i, se := range ses {
				must(t, s.r.QueryRow("SELECT last_request_time FROM t_account WHERE uin = ?", se.Uin).Scan(&out[i]))
			}
			return out
		}
		s.Touch(ses[0], 1000)
		must(t, s.flush(bg, touchEvery))
		if got := written(); got != [2]int64{1000, 900} {
			t.Fatalf("first flush: %v", got)
		}
		s.Touch(ses[0], 1030)
		s.Touch(ses[1], 1040)
		must(t, s.flush(bg, touchEvery))
		if got := written(); got != [2]int64{1000, 900} {
			t.Fatalf("within the minute: %v written", got)
		}
		s.Touch(ses[1], 1000+touchEvery)
		must(t, s.flush(bg, touchEvery))
		if got := written(); got != [2]int64{1030, 1000 + touchEvery} {
			t.Fatalf("after the minute: %v", got)
		}
		s.Touch(ses[0], 1070)
		must(t, s.flush(bg, 0))
		if got := written(); got != [2]int64{1070, 1000 + touchEvery} {
			t.Fatalf("final flush: %v", got)
		}
		a := ses[0].Account
		must(t, s.Login(bg, &a, "tok-new", "sig", 1100))
		s.Touch(ses[0], 2000) // the replaced token, still held by a request
		must(t, s.flush(bg, 0))
		if got := written(); got[0] != 1100 {
			t.Fatalf("a replaced token's activity written: %d", got[0])
		}
	})
}

// A flush of more rows than one statement takes writes every row, each
// with its own time: member beats and token activity, tokens out of
// account order across the chunk boundary.
func TestFlushWritesEveryChunk(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, db string) {
		n := s.d.flushChunk + 3
		host := &Account{UID: "host", AppID: 1, PwdHash: "$2a$04$x"}
		must(t, s.CreateAccount(bg, host, 1))
		room, err := s.CreateRoom(bg, host, "r", "", 10)
		must(t, err)
		var acc, mem strings.Builder
		for i := range n {
			if i > 0 {
				acc.WriteString(",")
				mem.WriteString(",")
			}
			fmt.Fprintf(&acc, "(%d, 'u%d', 1, 0, 'x', 'tok-%d', '', 1, 1, 1)", 100000+i, i, i)
			fmt.Fprintf(&mem, "(%d, %d, 0, 1)", 100000+i, room)
		}
		_, err = s.w.ExecContext(bg, "INSERT INTO t_account (uin, uid, appid, role, pwd, token, user_sig, register_time, login_time, last_request_time) VALUES "+acc.String())
		must(t, err)
		_, err = s.w.ExecContext(bg, "INSERT INTO t_class_member (uin, room_id, has_exited, last_heartbeat_time) VALUES "+mem.String())
		must(t, err)
		for i := n - 1; i >= 0; i-- { // sessions first seen against account order
			se, err := s.SessionByToken(bg, fmt.Sprintf("tok-%d", i))
			must(t, err)
			s.Touch(se, int64(1000+i))
			must(t, s.Heartbeat(room, se.Uin, false, int64(2000+i)))
		}
		must(t, s.flush(bg, 0))
		rows, err := s.r.QueryContext(bg, `SELECT a.uin, a.last_request_time, m.last_heartbeat_time
			FROM t_account a JOIN t_class_member m ON m.uin = a.uin AND m.room_id = ? WHERE a.uin >= 100000`, room)
		must(t, err)
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var uin, last, beat int64
			must(t, rows.Scan(&uin, &last, &beat))
			if i := uin - 100000; last != 1000+i || beat != 2000+i {
				t.Fatalf("uin %d: activity %d, beat %d; want %d, %d", uin, last, beat, 1000+i, 2000+i)
			}
			seen++
		}
		must(t, rows.Err())
		if seen != n {
			t.Fatalf("%d rows, want %d", seen, n)
		}
	})
}

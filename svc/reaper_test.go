package svc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/store"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

const testApp = 1400000001

// rig drives a service's handlers directly (no HTTP) over the test
// environment's server, with the environment's clock.
type rig struct {
	t   *testing.T
	h   *tests.Env
	s   *svc.Service
	obs sync.Map // event -> total
}

func newRig(t *testing.T, edit func(*server.Config)) *rig {
	r := &rig{t: t}
	r.h = tests.New(t, func(c *server.Config) {
		c.Apps = []svc.App{{SDKAppID: testApp, Key: "k3y"}}
		if edit != nil {
			edit(c)
		}
	})
	r.hook()
	// Past the start-up grace period unless a test restarts.
	r.h.Advance(r.h.Cfg.RoomTimeout)
	return r
}

// hook counts the reaper's actions of the current service.
func (r *rig) hook() {
	r.s = r.h.Svc
	prev := r.s.Observe
	r.s.Observe = func(ev string, n int) {
		v, _ := r.obs.LoadOrStore(ev, new(atomic.Int64))
		v.(*atomic.Int64).Add(int64(n))
		if prev != nil {
			prev(ev, n)
		}
	}
}

// restart stops the server cleanly and starts a new one on the same file;
// its grace period starts now.
func (r *rig) restart() {
	r.h.Restart()
	r.hook()
}

func (r *rig) advance(sec int64) { r.h.Advance(time.Duration(sec) * time.Second) }

// margin is the extra time the reaper gives on a shared database (another
// server's heartbeats wait up to a flush interval to be written).
func (r *rig) margin() int64 { return r.s.ReapMargin() }

func (r *rig) nowUnix() int64 { return r.h.Unix() }

func (r *rig) observed(ev string) int64 {
	v, ok := r.obs.Load(ev)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func (r *rig) req(u *store.Session, b svc.Body) *svc.Req {
	return &svc.Req{Body: b, AppID: testApp, TimeStamp: r.nowUnix(), User: u}
}

// user registers and logs in, returning the authenticated session.
func (r *rig) user(id string, role int) *store.Session {
	r.t.Helper()
	ctx := context.Background()
	if _, err := r.s.Regist(ctx, r.req(nil, svc.Body{"id": id, "pwd": "p", "role": json.Number(itoa(int64(role)))})); err != nil {
		r.t.Fatal(err)
	}
	d, err := r.s.Login(ctx, r.req(nil, svc.Body{"id": id, "pwd": "p"}))
	if err != nil {
		r.t.Fatal(err)
	}
	return r.auth(d.(svc.LoginData).Token)
}

func (r *rig) auth(token string) *store.Session {
	r.t.Helper()
	se, err := r.s.Authenticate(context.Background(), svc.Body{"token": token}, testApp)
	if err != nil {
		r.t.Fatal(err)
	}
	return se
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func num(n int64) json.Number { return json.Number(itoa(n)) }

// hasMember reports whether uin has a member row in room (read from the file).
func (r *rig) hasMember(room, uin int64) bool {
	return tests.QueryInt(r.t, r.h.DBPath, "SELECT COUNT(*) FROM t_class_member WHERE room_id = ? AND uin = ?", room, uin) > 0
}

// do runs a handler and fails the test on an error.
func (r *rig) do(h func(*svc.Service, context.Context, *svc.Req) (any, error), u *store.Session, b svc.Body) any {
	r.t.Helper()
	out, err := h(r.s, context.Background(), r.req(u, b))
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// class makes a living room of teacher with students entered.
func (r *rig) class(teacher *store.Session, students ...*store.Session) int64 {
	r.t.Helper()
	id := r.do((*svc.Service).Create, teacher, svc.Body{"title": "c"}).(svc.RoomData).RoomNum
	r.do((*svc.Service).StartCourse, teacher, svc.Body{"roomnum": num(id)})
	for _, s := range students {
		r.do((*svc.Service).ReportMemID, s, svc.Body{"roomnum": num(id), "operate": json.Number("0")})
	}
	return id
}

func (r *rig) beat(u *store.Session, room int64) {
	r.t.Helper()
	r.do((*svc.Service).Heartbeat, u, svc.Body{"roomnum": num(room)})
}

func (r *rig) reap() {
	r.t.Helper()
	if err := r.s.Reap(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) room(id int64) *store.Room {
	r.t.Helper()
	room, err := r.s.Store.Room(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return room
}

func (r *rig) present(id int64) []string {
	r.t.Helper()
	_, ms, err := r.s.Store.Members(context.Background(), id, 0, 50)
	if err != nil {
		r.t.Fatal(err)
	}
	out := []string{}
	for _, m := range ms {
		out = append(out, m.UID)
	}
	return out
}

func TestReapSilentTeacher(t *testing.T) { tests.EachEngine(t, testReapSilentTeacher) }

func testReapSilentTeacher(t *testing.T) {
	r := newRig(t, nil)
	teacher, s1 := r.user("t", 1), r.user("s1", 0)
	id := r.class(teacher, s1)
	// The student keeps beating; the teacher is silent.
	for i := 0; i < 5; i++ {
		r.advance(60)
		r.beat(s1, id)
		r.reap()
	}
	if st := r.room(id).State; st != store.StateLiving {
		t.Fatalf("reaped at 300 s: state %d", st)
	}
	r.advance(1 + r.margin()) // 301 s since the teacher's last sign of life
	r.beat(s1, id)
	r.reap()
	room := r.room(id)
	now := r.nowUnix()
	if room.State != store.StateEnded || room.EndTime != now || room.CanTriggerTime != now+300 || room.TriggerTime != 0 {
		t.Fatalf("reaped room %+v (now %d)", room, now)
	}
	if p := r.present(id); len(p) != 0 {
		t.Fatalf("members still present: %v", p)
	}
	if r.observed("room_ended") != 1 {
		t.Fatalf("observed %d rooms ended", r.observed("room_ended"))
	}
	// Reaping again changes nothing.
	r.advance(1000)
	r.reap()
	if room2 := r.room(id); room2.EndTime != now || room2.State != store.StateEnded {
		t.Fatalf("reaped twice: %+v", room2)
	}
}

func TestReapSilentStudent(t *testing.T) { tests.EachEngine(t, testReapSilentStudent) }

func testReapSilentStudent(t *testing.T) {
	r := newRig(t, nil)
	teacher, s1, s2 := r.user("t", 1), r.user("s1", 0), r.user("s2", 0)
	id := r.class(teacher, s1, s2)
	for i := 0; i < 12; i++ { // two minutes of 10 s beats from t and s2
		r.advance(10)
		r.beat(teacher, id)
		r.beat(s2, id)
		r.reap()
	}
	if p := r.present(id); len(p) != 3 {
		t.Fatalf("reaped at 120 s: %v", p)
	}
	r.advance(1 + r.margin())
	r.beat(teacher, id)
	r.beat(s2, id)
	r.reap()
	if p := r.present(id); len(p) != 2 || p[0] != "t" || p[1] != "s2" {
		t.Fatalf("present after s1 went silent: %v", p)
	}
	if st := r.room(id).State; st != store.StateLiving {
		t.Fatalf("state %d", st)
	}
	if r.observed("member_exited") != 1 {
		t.Fatalf("observed %d members exited", r.observed("member_exited"))
	}
	// The teacher is never marked exited by the member timeout, only with
	// the room: present until room_timeout of silence.
	r.advance(200)
	r.beat(s2, id)
	r.reap()
	if p := r.present(id); len(p) != 2 {
		t.Fatalf("teacher silent 200 s: %v", p)
	}
	// s1 comes back.
	r.do((*svc.Service).ReportMemID, s1, svc.Body{"roomnum": num(id), "operate": json.Number("0")})
	if p := r.present(id); len(p) != 3 {
		t.Fatalf("re-entered: %v", p)
	}
}

func TestHeartbeatingClassLeftAlone(t *testing.T) {
	tests.EachEngine(t, testHeartbeatingClassLeftAlone)
}

func testHeartbeatingClassLeftAlone(t *testing.T) {
	r := newRig(t, nil)
	teacher := r.user("t", 1)
	students := []*store.Session{r.user("s1", 0), r.user("s2", 0), r.user("s3", 0)}
	id := r.class(teacher, students...)
	// 30 minutes of 3 s heartbeats, reaping every 10 s; heartbeats stay in
	// memory between reaps (the reaper must see them).
	for sec := 1; sec <= 1800; sec++ {
		r.advance(1)
		if sec%3 == 0 {
			r.beat(teacher, id)
			for _, s := range students {
				r.beat(s, id)
			}
		}
		if sec%10 == 0 {
			if r.s.Store.Pending() == 0 {
				t.Fatal("heartbeats were written, not kept in memory")
			}
			r.reap()
		}
	}
	if st := r.room(id).State; st != store.StateLiving {
		t.Fatalf("state %d", st)
	}
	if p := r.present(id); len(p) != 4 {
		t.Fatalf("present %v", p)
	}
	if r.observed("room_ended") != 0 || r.observed("member_exited") != 0 {
		t.Fatal("reaper acted on a live class")
	}
	// String roomnum heartbeats count too (int or string).
	r.advance(100)
	r.do((*svc.Service).Heartbeat, students[0], svc.Body{"roomnum": itoa(id)})
	r.beat(teacher, id)
	r.advance(100)
	r.reap()
	if p := r.present(id); len(p) != 2 || p[1] != "s1" {
		t.Fatalf("present %v", p)
	}
}

func TestReapGraceAfterRestart(t *testing.T) { tests.EachEngine(t, testReapGraceAfterRestart) }

func testReapGraceAfterRestart(t *testing.T) {
	r := newRig(t, nil)
	teacher, s1 := r.user("t", 1), r.user("s1", 0)
	id := r.class(teacher, s1)
	r.beat(teacher, id)
	r.beat(s1, id)
	// Down for an hour: nobody could beat.
	r.advance(3600)
	r.restart()
	r.reap()
	r.advance(int64(r.h.Cfg.RoomTimeout/time.Second) - 1)
	r.reap()
	if st := r.room(id).State; st != store.StateLiving {
		t.Fatalf("reaped in the grace period: state %d", st)
	}
	if p := r.present(id); len(p) != 2 {
		t.Fatalf("members reaped in the grace period: %v", p)
	}
	// Clients that came back during the grace period are kept.
	teacher, _ = r.auth(teacher.Token), r.auth(s1.Token)
	r.beat(teacher, id)
	r.advance(1)
	r.reap()
	if st := r.room(id).State; st != store.StateLiving {
		t.Fatalf("state %d", st)
	}
	if p := r.present(id); len(p) != 1 || p[0] != "t" {
		t.Fatalf("silent student kept after the grace period: %v", p)
	}
}

func TestReapPurgesOldMembers(t *testing.T) { tests.EachEngine(t, testReapPurgesOldMembers) }

func testReapPurgesOldMembers(t *testing.T) {
	r := newRig(t, nil)
	teacher, s1 := r.user("t", 1), r.user("s1", 0)
	id := r.class(teacher, s1)
	r.do((*svc.Service).ExitRoom, teacher, svc.Body{"roomnum": num(id)})
	r.advance(59 * 24 * 3600)
	r.reap()
	if !r.hasMember(id, s1.Uin) {
		t.Fatal("member row purged before 60 days")
	}
	r.advance(2 * 24 * 3600)
	r.reap()
	if r.hasMember(id, s1.Uin) {
		t.Fatal("member row kept after 60 days")
	}
}

// TestScheduledReplayIndex: the in-process scheduler requests the index of
// every ended room once its waiting time passed, once.
func TestScheduledReplayIndex(t *testing.T) { tests.EachEngine(t, testScheduledReplayIndex) }

func testScheduledReplayIndex(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b map[string]any
		json.NewDecoder(req.Body).Decode(&b)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	}))
	defer srv.Close()
	r := newRig(t, func(c *server.Config) { c.ReplayIndexURL = srv.URL })
	teacher, s1 := r.user("t", 1), r.user("s1", 0)
	ended := r.class(teacher, s1)
	r.do((*svc.Service).ExitRoom, teacher, svc.Body{"roomnum": num(ended)})
	reaped := r.class(teacher)
	r.advance(int64(r.h.Cfg.RoomTimeout/time.Second) + 1 + r.margin())
	r.reap()
	if r.room(reaped).State != store.StateEnded {
		t.Fatal("not reaped")
	}
	ctx := context.Background()
	if err := r.s.RequestDueIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := len(bodies)
	mu.Unlock()
	if n != 1 || bodies[0]["GroupId"] != itoa(ended) {
		t.Fatalf("requests %v", bodies)
	}
	r.advance(300)
	for i := 0; i < 3; i++ {
		if err := r.s.RequestDueIndexes(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[1]["GroupId"] != itoa(reaped) {
		t.Fatalf("requests %v", bodies)
	}
	users, _ := bodies[0]["UserList"].([]any)
	if len(users) != 2 || users[0].(map[string]any)["Account"] != "t" {
		t.Fatalf("UserList %v", bodies[0]["UserList"])
	}
	for _, id := range []int64{ended, reaped} {
		if room := r.room(id); room.TriggerTime == 0 || room.State != store.StateEnded {
			t.Fatalf("room %+v", room)
		}
	}
}

// TestRunFlushes: the background loop writes heartbeats behind, and
// flushes what is left when it stops.
func TestRunFlushes(t *testing.T) { tests.EachEngine(t, testRunFlushes) }

func testRunFlushes(t *testing.T) {
	run := func(r *rig) (stop func()) {
		r.h.RunBackground()
		return r.h.Stop
	}
	r := newRig(t, func(c *server.Config) { c.FlushInterval = 5 * time.Millisecond })
	teacher := r.user("t", 1)
	id := r.class(teacher)
	stop := run(r)
	r.advance(50)
	r.beat(teacher, id)
	deadline := time.Now().Add(5 * time.Second)
	for r.room(id).LastUpdate != r.nowUnix() {
		if time.Now().After(deadline) {
			t.Fatal("heartbeat never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()

	r2 := newRig(t, func(c *server.Config) { c.FlushInterval = time.Hour })
	teacher = r2.user("t", 1)
	id = r2.class(teacher)
	stop = run(r2)
	r2.advance(50)
	r2.beat(teacher, id)
	if r2.room(id).LastUpdate == r2.nowUnix() {
		t.Fatal("heartbeat written at once")
	}
	stop()
	if got := tests.QueryInt(t, r2.h.DBPath, "SELECT last_update_time FROM t_course WHERE room_id = ?", id); got != r2.nowUnix() || r2.s.Store.Pending() != 0 {
		t.Fatalf("last heartbeat lost on stop: %d, pending %d", got, r2.s.Store.Pending())
	}
}

func TestReapBesideLaggingWrites(t *testing.T) { tests.EachEngine(t, testReapBesideLaggingWrites) }

// A written heartbeat may lag behind the newest by a few seconds (the
// flush writes one beat in four): nobody is reaped before their timeout
// because of it.
func testReapBesideLaggingWrites(t *testing.T) {
	r := newRig(t, nil)
	teacher, s1 := r.user("t", 1), r.user("s1", 0)
	id := r.class(teacher, s1)
	r.h.Store.SetBeatEvery(10) // what Run sets for the default timeouts
	for range 8 {
		r.advance(3)
		r.beat(teacher, id)
		r.beat(s1, id)
		if err := r.h.Store.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if r.h.Store.Pending() == 0 {
		t.Fatal("every beat was written: the test needs the last ones held back")
	}
	r.advance(int64(r.h.Cfg.MemberTimeout/time.Second) - 1) // everyone silent since
	r.reap()
	if p := r.present(id); len(p) != 2 {
		t.Fatalf("reaped within the timeout: %v present", p)
	}
	r.advance(2 + r.margin()) // timeout + margin + 1 since the last beat
	r.reap()
	if p := r.present(id); len(p) != 1 || p[0] != "t" { // a teacher goes with the class
		t.Fatalf("silent past the timeout and its margin: %v present", p)
	}
}

package svc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

const benchApp = 1400000000

func benchService(b *testing.B) *svc.Service {
	b.Helper()
	h := tests.NewWith(b, tests.Options{LogTo: io.Discard, Edit: func(cfg *server.Config) {
		cfg.Apps = []svc.App{{SDKAppID: benchApp, Key: "bench-key", Admin: "admin"}}
	}})
	return h.Svc
}

func body(kv ...any) svc.Body {
	b := svc.Body{"appid": json.Number(fmt.Sprint(benchApp)), "timeStamp": json.Number("1700000000")}
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			b[kv[i].(string)] = v
		default:
			b[kv[i].(string)] = json.Number(fmt.Sprint(v))
		}
	}
	return b
}

func call(b *testing.B, s *svc.Service, fn func(*svc.Service, context.Context, *svc.Req) (any, error), token string, bd svc.Body) any {
	b.Helper()
	ctx := context.Background()
	r := &svc.Req{Body: bd, AppID: benchApp, Addr: "127.0.0.1"}
	if token != "" {
		bd["token"] = token
		se, err := s.Authenticate(ctx, bd, benchApp)
		if err != nil {
			b.Fatal(err)
		}
		r.User = se
	}
	out, err := fn(s, ctx, r)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func login(b *testing.B, s *svc.Service, id string, role int) string {
	call(b, s, (*svc.Service).Regist, "", body("id", id, "pwd", "pw", "role", role))
	return call(b, s, (*svc.Service).Login, "", body("id", id, "pwd", "pw")).(svc.LoginData).Token
}

// class opens a room with n students present; it returns the room and
// the students' tokens.
func class(b *testing.B, s *svc.Service, n int) (int64, []string) {
	t := login(b, s, "teacher", 1)
	room := call(b, s, (*svc.Service).Create, t, body("title", "bench")).(svc.RoomData).RoomNum
	call(b, s, (*svc.Service).StartCourse, t, body("roomnum", room))
	toks := make([]string, n)
	for i := range toks {
		toks[i] = login(b, s, fmt.Sprintf("s%05d", i), 0)
		call(b, s, (*svc.Service).ReportMemID, toks[i], body("roomnum", room, "operate", 0))
	}
	return room, toks
}

// BenchmarkHeartbeat is the token check and the heartbeat of a student
// (no HTTP; see dispatch's BenchmarkHeartbeat for the whole stack).
func BenchmarkHeartbeat(b *testing.B) {
	s := benchService(b)
	room, toks := class(b, s, 64)
	bodies := make([]svc.Body, len(toks))
	for i, t := range toks {
		bodies[i] = body("roomnum", room, "token", t)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		bd := bodies[i%len(bodies)]
		i++
		se, err := s.Authenticate(ctx, bd, benchApp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Heartbeat(ctx, &svc.Req{Body: bd, AppID: benchApp, User: se}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFlush writes one second of a 10,000-student school's
// heartbeats (3,400 students and their tokens) to the database.
func BenchmarkFlush(b *testing.B) {
	s := benchService(b)
	room, toks := class(b, s, 3400)
	bodies := make([]svc.Body, len(toks))
	for i, t := range toks {
		bodies[i] = body("roomnum", room, "token", t)
	}
	ctx := context.Background()
	now := int64(1800000000)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		now++
		for _, bd := range bodies {
			se, err := s.Authenticate(ctx, bd, benchApp)
			if err != nil {
				b.Fatal(err)
			}
			s.Store.Touch(se, now)
			s.Store.Heartbeat(room, se.Uin, false, now)
		}
		b.StartTimer()
		if err := s.Store.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnterExit is a student entering and leaving a living room
// (reportmemid 0 then 1): two writes.
func BenchmarkEnterExit(b *testing.B) {
	s := benchService(b)
	room, toks := class(b, s, 64)
	enter := make([]svc.Body, len(toks))
	exit := make([]svc.Body, len(toks))
	for i, t := range toks {
		enter[i] = body("roomnum", room, "operate", 0, "token", t)
		exit[i] = body("roomnum", room, "operate", 1, "token", t)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for _, bd := range []svc.Body{enter[i%len(toks)], exit[i%len(toks)]} {
			se, err := s.Authenticate(ctx, bd, benchApp)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.ReportMemID(ctx, &svc.Req{Body: bd, AppID: benchApp, User: se}); err != nil {
				b.Fatal(err)
			}
		}
		i++
	}
}

// BenchmarkEnterAndList is the top of the hour, per student: enter a
// living room (reportmemid 0), then list its members (roomidlist) and
// the rooms (roomlist), while the class's member list keeps changing.
// Member lists and room lists come from memory (store's member cache).
func BenchmarkEnterAndList(b *testing.B) {
	s := benchService(b)
	room, toks := class(b, s, 64)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t := toks[i%len(toks)]
		for _, step := range []struct {
			fn func(*svc.Service, context.Context, *svc.Req) (any, error)
			bd svc.Body
		}{
			{(*svc.Service).ReportMemID, body("roomnum", room, "operate", 1, "token", t)},
			{(*svc.Service).ReportMemID, body("roomnum", room, "operate", 0, "token", t)},
			{(*svc.Service).RoomIDList, body("roomnum", room, "index", 0, "size", 20, "token", t)},
			{(*svc.Service).RoomList, body("index", 0, "size", 20, "token", t)},
		} {
			se, err := s.Authenticate(ctx, step.bd, benchApp)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := step.fn(s, ctx, &svc.Req{Body: step.bd, AppID: benchApp, User: se}); err != nil {
				b.Fatal(err)
			}
		}
		i++
	}
}

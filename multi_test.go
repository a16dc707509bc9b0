package main_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"

	"sxb-edu/svc"
	"sxb-edu/tests"
)

// Three real servers on one MariaDB database walk a class with requests
// spread over them; concurrent state changes happen once with one IM
// message; a logout anywhere holds everywhere at once; a SIGKILL of one
// mid-class loses no acknowledged write (the others fence it out).
func TestSeveralInstances(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	bin := tests.Build(t)
	im := tests.NewFakeTencent(t)
	cfg := tests.ConfigFile(t, tests.M{"im_base_url": im.URL, "flush_interval_ms": 200})
	var ps []*tests.Proc
	for i := 0; i < 3; i++ {
		ps = append(ps, tests.Run(t, bin, db, cfg))
	}
	for _, p := range ps {
		tests.WaitCaching(t, p)
	}
	at := func(i int) *tests.Proc { return ps[i%len(ps)] }
	messages := func(typ int) int {
		n := 0
		for _, c := range im.Calls() {
			if strings.Contains(string(c.Raw), fmt.Sprintf(`\"type\":%d`, typ)) {
				n++
			}
		}
		return n
	}

	at(0).MustCall("regist", tests.M{"id": "teacher", "pwd": "pw", "role": 1})
	teacher := at(1).Login("teacher", "pw")
	var rd struct{ RoomNum int64 }
	json.Unmarshal(at(2).MustCall("create", tests.M{"token": teacher, "title": "spread"}), &rd)
	room := rd.RoomNum

	// everywhere sends cmd from every server at once.
	everywhere := func(cmd string) []int {
		var wg sync.WaitGroup
		codes := make([]int, len(ps))
		for i := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = at(i).Call(cmd, tests.M{"token": teacher, "roomnum": room})
			}()
		}
		wg.Wait()
		return codes
	}
	// Start from every server at once: once, one 1001.
	codes := everywhere("startcourse")
	ok := 0
	for _, c := range codes {
		if c == 0 {
			ok++
		} else if c != svc.CodeRoomState {
			t.Fatalf("concurrent starts answered %v", codes)
		}
	}
	if ok != 1 || messages(1001) != 1 {
		t.Fatalf("concurrent starts: %d succeeded, %d start messages", ok, messages(1001))
	}

	// Students register, log in and enter through different servers.
	var students []string
	for i := 0; i < 9; i++ {
		id := fmt.Sprintf("s%d", i)
		at(i).MustCall("regist", tests.M{"id": id, "pwd": "pw", "role": 0})
		tok := at(i+1).Login(id, "pw")
		at(i+2).MustCall("reportmemid", tests.M{"token": tok, "roomnum": room, "operate": 0})
		students = append(students, tok)
	}
	at(0).MustCall("reportbind", tests.M{"token": teacher, "roomnum": room, "operate": 0,
		"bind_file": tests.M{"type": 0, "file_name": "f", "url": "http://f/1"}})
	at(1).MustCall("reportmemid", tests.M{"token": students[0], "roomnum": room, "operate": 1})
	for i, tok := range append([]string{teacher}, students...) {
		at(i).MustCall("heartbeat", tests.M{"token": tok, "roomnum": room})
	}
	// sameClass checks that every server lists the class's members and files.
	sameClass := func(members, files int64) {
		t.Helper()
		for i := range ps {
			var ml struct{ Total int64 }
			json.Unmarshal(at(i).MustCall("roomidlist", tests.M{"token": students[1], "roomnum": room, "index": 0, "size": 50}), &ml)
			var bl struct{ Total int64 }
			json.Unmarshal(at(i).MustCall("querybind", tests.M{"token": students[2], "roomnum": room, "index": 0, "size": 50}), &bl)
			var rl struct{ Rooms []struct{ MemSize int64 } }
			json.Unmarshal(at(i).MustCall("roomlist", tests.M{"token": students[1], "index": 0, "size": 10}), &rl)
			if ml.Total != members || bl.Total != files || len(rl.Rooms) != 1 || rl.Rooms[0].MemSize != members {
				t.Fatalf("server %d of %d: %d members, %d files, room list %+v", i, len(ps), ml.Total, bl.Total, rl)
			}
		}
	}
	sameClass(9, 1)

	// A logout, or a new login, on one server holds on every server at once.
	refusedEverywhere := func(what string, from int, tok string) {
		t.Helper()
		for i := range ps {
			if code, _, _ := at(i).Call("heartbeat", tests.M{"token": tok, "roomnum": room}); code != svc.CodeTokenExpire {
				t.Fatalf("server %d takes a token ended by a %s on server %d: %d", i, what, from, code)
			}
		}
	}
	at(0).MustCall("logout", tests.M{"token": students[8]})
	refusedEverywhere("logout", 0, students[8])
	old := students[7]
	students[7] = at(1).Login("s7", "pw")
	refusedEverywhere("new login", 1, old)

	// SIGKILL one server mid-class: the others carry on, nothing
	// acknowledged is lost.
	killed := ps[2]
	killed.MustCall("reportmemid", tests.M{"token": students[0], "roomnum": room, "operate": 0})
	killed.MustCall("reportbind", tests.M{"token": teacher, "roomnum": room, "operate": 0,
		"bind_file": tests.M{"type": 1, "file_name": "g", "url": "http://f/2"}})
	if err := killed.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-killed.Exited
	ps = ps[:2]
	sameClass(10, 2)
	// End from both survivors at once: once, one 1002.
	codes = everywhere("exitroom")
	if (codes[0] == 0) == (codes[1] == 0) || messages(1002) != 1 {
		t.Fatalf("concurrent ends answered %v, %d end messages", codes, messages(1002))
	}
}

package svc_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"sxb-edu/svc"
	"sxb-edu/tests"
)

// With two apps, a user of one app cannot touch the classes of the other,
// and an account logs in to its own app only.
func TestTenantIsolation(t *testing.T) { tests.EachEngine(t, testTenantIsolation) }

func testTenantIsolation(t *testing.T) {
	h := tests.New(t, nil)
	teacher := h.User(tests.AppA, "ta", 1)
	student := h.User(tests.AppA, "sa", 0)
	other := h.User(tests.AppB, "sb", 0)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "a"}).Want(t, 0).Decode(t, &d)
	h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
	h.Call(tests.AppA, student, "live", "reportmemid", tests.M{"roomnum": d.RoomNum, "operate": 0}).Want(t, 0)
	before := tests.Digest(t, h.DBPath)
	for _, c := range []struct {
		cmd    string
		fields tests.M
	}{
		{"reportmemid", tests.M{"roomnum": d.RoomNum, "operate": 0}},
		{"reportmemid", tests.M{"roomnum": d.RoomNum, "operate": 1}},
		{"heartbeat", tests.M{"roomnum": d.RoomNum}},
		{"heartbeat", tests.M{"roomnum": "10001"}},
		{"roomidlist", tests.M{"roomnum": d.RoomNum, "index": 0, "size": 10}},
	} {
		h.Call(tests.AppB, other, "live", c.cmd, c.fields).WantInfo(t, svc.CodeRoomNotExist, "get room info failed")
	}
	h.Store.Flush(t.Context())
	if tests.Digest(t, h.DBPath) != before {
		t.Fatal("another app's user changed the class")
	}
	tests.Eq(t, "members", tests.IDs(h.Members(t, student, d.RoomNum, 0, 10)), []string{"ta", "sa"})

	// A's account cannot log in to B; its session in A goes on.
	h.Call(tests.AppB, "", "account", "login", tests.M{"id": "sa", "pwd": "pw-sa"}).
		WantInfo(t, svc.CodeReqData, "appid is diff from appid of the user.")
	h.Call(tests.AppA, student, "live", "heartbeat", tests.M{"roomnum": d.RoomNum}).Want(t, 0)
}

// A slow IM service holds up only the room waiting for it: enters into one
// class wait for one round trip together, and another class starts
// meanwhile. Bounds are generous; serialised, the enters alone take 8 s.
func TestSlowIMHoldsOnlyItsRoom(t *testing.T) {
	const delay = 400 * time.Millisecond
	f := tests.NewClassroom(t, nil)
	h := f.H
	var students []string
	for i := 0; i < 20; i++ {
		students = append(students, h.User(tests.AppA, "crowd"+string(rune('a'+i)), 0))
	}
	f.IM.SetReply(func(w http.ResponseWriter, c tests.TencentCall) {
		time.Sleep(delay)
		w.Write([]byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgSeq":7}`))
	})
	start := time.Now()
	var wg sync.WaitGroup
	for _, tok := range students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Call(tests.AppA, tok, "live", "reportmemid", tests.M{"roomnum": f.Living, "operate": 0}).Want(t, 0)
		}()
	}
	startOther := make(chan time.Duration, 1)
	go func() {
		t0 := time.Now()
		h.Call(tests.AppA, f.T1, "live", "startcourse", tests.M{"roomnum": f.Created}).Want(t, 0)
		startOther <- time.Since(t0)
	}()
	wg.Wait()
	if d := time.Since(start); d > 10*delay {
		t.Fatalf("20 enters into one class took %v with IM answering in %v", d, delay)
	}
	if d := <-startOther; d > 5*delay {
		t.Fatalf("a start in another class took %v", d)
	}
	if n := h.Members(t, f.T1, f.Living, 0, 50).Total; n != 22 {
		t.Fatalf("%d present", n)
	}
	// Every enter sent its own message.
	enters := 0
	for _, c := range f.IM.Calls() {
		if strings.Contains(string(c.Raw), `\"type\":1003`) {
			enters++
		}
	}
	if enters != 21 { // s1 entered in the fixture
		t.Fatalf("%d enter messages", enters)
	}
}

package goclass_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"sxb-edu/goclass"
	"sxb-edu/server"
	"sxb-edu/tests"
)

type M = tests.M

func newEnv(t *testing.T, edit func(*goclass.Config)) (*tests.Env, *tests.FakeZego) {
	t.Helper()
	z := tests.NewFakeZego(t)
	h := tests.New(t, func(c *server.Config) {
		c.GoClass = tests.ZegoConfig(z)
		if edit != nil {
			edit(c.GoClass)
		}
	})
	return h, z
}

func login(h *tests.Env, room string, typ int, uid int64, nick string, role int) tests.GoClassAnswer {
	h.T.Helper()
	return h.GoClass("login_room", M{"room_id": room, "room_type": typ, "uid": uid, "nick_name": nick, "role": role})
}

func req(room string, typ int, uid int64, more ...any) M {
	m := M{"room_id": room, "room_type": typ, "uid": uid}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i].(string)] = more[i+1]
	}
	return m
}

// wantMsgs checks the notifications sent, in order: cmd, recipients and
// the data's fields (those given; a field given as nil must be absent).
func wantMsgs(t *testing.T, z *tests.FakeZego, want ...msg) {
	t.Helper()
	got := z.Msgs()
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("got cmd %d to %v: %s", g.Cmd, g.To, g.Raw)
		}
		t.Fatalf("want %d notifications, got %d", len(want), len(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Cmd != w.cmd || !reflect.DeepEqual(g.To, w.to) || g.Room != w.room {
			t.Fatalf("notification %d: want cmd %d in %s to %v, got cmd %d in %s to %v: %s", i, w.cmd, w.room, w.to, g.Cmd, g.Room, g.To, g.Raw)
		}
		for k, v := range w.data {
			gv, ok := g.Data[k]
			if v == nil {
				if ok {
					t.Fatalf("notification %d (cmd %d): %q should be absent: %s", i, g.Cmd, k, g.Raw)
				}
				continue
			}
			if !ok || fmt.Sprint(gv) != fmt.Sprint(v) {
				t.Fatalf("notification %d (cmd %d): %q want %v, got %v: %s", i, g.Cmd, k, v, gv, g.Raw)
			}
		}
	}
}

type msg struct {
	cmd  int
	room string
	to   []string
	data map[string]any
}

func TestSmallClass(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, z := newEnv(t, nil)
		const room = "math-101"

		// The teacher logs in from the web: the room is made, and the
		// answer carries the room's rules and an app_token.
		a := h.GoClass("login_room", M{"room_id": room, "room_type": 1, "uid": 100, "nick_name": "Teacher", "role": 1,
			"common_data": M{"platform": 32}}).Want(t, 0)
		var lg map[string]any
		a.Decode(t, &lg)
		if a.Message != "succeed" || a.Ret["timestamp"] != float64(0) || a.Ret["seq"] != float64(0) {
			t.Fatalf("ret: %s", a.Raw)
		}
		for k, v := range map[string]any{"max_join_live_num": 3, "room_id": room, "default_camera_state": 2,
			"default_mic_state": 2, "allow_turn_on_camera": 2, "allow_turn_on_mic": 2, "uid": 100,
			"nick_name": "Teacher", "role": 1, "camera": 1, "mic": 1, "can_share": 2} {
			if fmt.Sprint(lg[k]) != fmt.Sprint(v) {
				t.Fatalf("login %q: want %v, got %v (%s)", k, v, lg[k], a.Raw)
			}
		}
		if _, ok := lg["sharing_uid"]; ok {
			t.Fatalf("sharing_uid should be absent: %s", a.Raw)
		}
		if _, ok := lg["join_live_time"]; ok {
			t.Fatalf("join_live_time should be absent: %s", a.Raw)
		}
		if lg["login_time"] != float64(h.Now().UnixMilli()) {
			t.Fatalf("login_time %v, want %d", lg["login_time"], h.Now().UnixMilli())
		}
		checkAppToken(t, lg["app_token"], 100, h.Now().Unix()+3*3600)
		wantMsgs(t, z, msg{103, room, []string{"100"}, map[string]any{"seq": 1, "type": 1, "delta": 1, "uid": 100, "nick_name": "Teacher", "role": 1, "camera": 1, "mic": 1, "can_share": 2}})

		// Two students; an Android login gets no app_token.
		a = login(h, room, 1, 201, "Ann", 2).Want(t, 0)
		lg = nil
		a.Decode(t, &lg)
		if _, ok := lg["app_token"]; ok || lg["can_share"] != float64(1) {
			t.Fatalf("student login: %s", a.Raw)
		}
		login(h, room, 1, 202, "Bob", 2).Want(t, 0)
		wantMsgs(t, z,
			msg{103, room, []string{"100", "201"}, map[string]any{"seq": 2, "type": 2, "delta": 1, "uid": 201}},
			msg{103, room, []string{"100", "201", "202"}, map[string]any{"seq": 3, "type": 2, "delta": 1, "uid": 202}})

		var list struct {
			Users []map[string]any `json:"attendee_list"`
			Seq   int64            `json:"seq"`
			Room  string           `json:"room_id"`
		}
		h.GoClass("get_attendee_list", req(room, 1, 201)).Want(t, 0).Decode(t, &list)
		if len(list.Users) != 3 || list.Seq != 3 || list.Room != room || list.Users[0]["uid"] != float64(100) || list.Users[2]["nick_name"] != "Bob" {
			t.Fatalf("attendee list: %+v", list)
		}

		// Ann turns her camera on: she joins the co-streaming list.
		h.GoClass("set_user_info", req(room, 1, 201, "target_uid", 201, "camera", 2)).Want(t, 0)
		wantMsgs(t, z,
			msg{104, room, []string{"100", "201", "202"}, map[string]any{"seq": 1, "type": 2, "delta": 1, "uid": 201, "camera": 2, "mic": 1, "join_live_time": nil}},
			msg{102, room, []string{"100", "201", "202"}, map[string]any{"type": 2, "operator_uid": 201, "operator_name": "Ann"}})
		var jl struct {
			Users []map[string]any `json:"join_live_list"`
			Seq   int64            `json:"seq"`
		}
		h.GoClass("get_join_live_list", req(room, 1, 100)).Want(t, 0).Decode(t, &jl)
		if len(jl.Users) != 1 || jl.Seq != 1 || jl.Users[0]["uid"] != float64(201) || jl.Users[0]["join_live_time"] != float64(h.Now().UnixMilli()) {
			t.Fatalf("join-live list: %+v", jl)
		}
		// The teacher turns Bob's mic on and lets him share; a heartbeat
		// shows the lists' versions.
		h.GoClass("set_user_info", req(room, 1, 100, "target_uid", 202, "mic", 2, "can_share", 2)).Want(t, 0)
		wantMsgs(t, z,
			msg{104, room, []string{"100", "201", "202"}, map[string]any{"seq": 2, "type": 2, "delta": 1, "uid": 202}},
			msg{102, room, []string{"100", "201", "202"}, map[string]any{"type": 3, "operator_uid": 100, "operator_name": "Teacher"}},
			msg{102, room, []string{"100", "201", "202"}, map[string]any{"type": 4, "operator_uid": 100}})
		var hb map[string]any
		h.GoClass("heartbeat", req(room, 1, 202)).Want(t, 0).Decode(t, &hb)
		if hb["interval"] != float64(30) || hb["attendee_list_seq"] != float64(3) || hb["join_live_list_seq"] != float64(2) {
			t.Fatalf("heartbeat: %v", hb)
		}
		// The co-streaming cap keeps the teacher's seat: 3 seats, two taken.
		login(h, room, 1, 203, "Cat", 2).Want(t, 0)
		h.GoClass("set_user_info", req(room, 1, 203, "target_uid", 203, "camera", 2)).Want(t, goclass.CodeJoinLiveFull)
		// The people cap: 4.
		login(h, room, 1, 204, "Dan", 2).Want(t, goclass.CodePeopleFull)
		z.Msgs()

		// Bob shares; Ann cannot; the teacher stops Bob's share.
		h.GoClass("start_share", req(room, 1, 202)).Want(t, 0)
		h.GoClass("start_share", req(room, 1, 201)).Want(t, goclass.CodeNoPermission)
		h.GoClass("start_share", req(room, 1, 100)).Want(t, goclass.CodeSharing)
		a = login(h, room, 1, 201, "Ann", 2).Want(t, 0) // a repeated login shows the sharer
		lg = nil
		a.Decode(t, &lg)
		if lg["sharing_uid"] != float64(202) || lg["camera"] != float64(2) {
			t.Fatalf("relogin: %s", a.Raw)
		}
		h.GoClass("stop_share", req(room, 1, 100, "target_uid", 202)).Want(t, 0)
		all := []string{"100", "201", "202", "203"}
		wantMsgs(t, z,
			msg{106, room, all, map[string]any{"sharing_uid": 202, "sharing_name": "Bob"}},
			msg{102, room, all, map[string]any{"type": 1, "operator_uid": nil}},
			msg{107, room, all, map[string]any{"operator_uid": 100, "operator_name": "Teacher", "target_uid": 202, "target_name": "Bob"}})

		// Chat goes through /cgi/im/chat.
		h.GoClass("send_message", req(room, 1, 201, "message", "hello <b>")).Want(t, 0)
		calls := z.Calls()
		if len(calls) != 1 || calls[0].Path != "/cgi/im/chat" || calls[0].Body["msg_content"] != "hello <b>" ||
			calls[0].Body["src_user_account"] != "201" || calls[0].Body["src_nickname"] != "Ann" || calls[0].Body["room_id"] != room {
			t.Fatalf("chat: %+v", calls)
		}
		z.Fail("/cgi/im/chat", 52000)
		a = h.GoClass("send_message", req(room, 1, 201, "message", "again")).Want(t, goclass.CodeSendMessage)
		z.Fail("/cgi/im/chat", 0)

		// Ann leaves: the lists shrink.
		h.GoClass("leave_room", req(room, 1, 201)).Want(t, 0)
		rest := []string{"100", "202", "203"}
		wantMsgs(t, z,
			msg{103, room, rest, map[string]any{"seq": 5, "type": 4, "delta": -1, "uid": 201}},
			msg{104, room, rest, map[string]any{"seq": 3, "type": 4, "delta": -1, "uid": 201}})
		h.GoClass("get_attendee_list", req(room, 1, 201)).Want(t, goclass.CodeNeedLogin)

		// The teacher ends the class: everyone is told, ZEGO clears the room.
		h.GoClass("end_teaching", req(room, 1, 202)).Want(t, goclass.CodeNoPermission)
		h.GoClass("end_teaching", req(room, 1, 100)).Want(t, 0)
		calls = z.Calls()
		if len(calls) != 2 || calls[0].Path != "/cgi/sendmsg" || calls[1].Path != "/cgi/clearroom" || calls[1].Body["room_id"] != room {
			t.Fatalf("end: %+v", calls)
		}
		if c := calls[0].Body["msg_content"]; c != `{"cmd":105,"data":{"operator_uid":100,"operator_name":"Teacher"}}` {
			t.Fatalf("end notification %v", c)
		}
		h.GoClass("heartbeat", req(room, 1, 202)).Want(t, goclass.CodeNeedLogin)
		h.GoClass("get_attendee_list", req(room, 1, 100)).Want(t, goclass.CodeNoRoom)
		// A new class in the same room starts from scratch.
		login(h, room, 1, 202, "Bob", 2).Want(t, 0)
		wantMsgs(t, z, msg{103, room, []string{"202"}, map[string]any{"seq": 1, "can_share": 1}})
	})
}

func checkAppToken(t *testing.T, v any, uid int64, expired int64) {
	t.Helper()
	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("app_token %v: %v", v, err)
	}
	var tok map[string]any
	json.Unmarshal(b, &tok)
	u := strconv.FormatInt(uid, 10)
	sum := md5.Sum([]byte(fmt.Sprintf("%d%s%s%s%d", tests.ZegoSmallApp, "0123456789abcdef0123456789abcdef", u, u, expired)))
	if tok["ver"] != float64(1) || tok["nonce"] != u || tok["expired"] != float64(expired) || tok["hash"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("app_token %s", b)
	}
}

func TestLargeClass(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, z := newEnv(t, nil)
		// "abc" as a large class and "2-abc" as a small one are two rooms
		// (the reference stored both under one key).
		login(h, "abc", 2, 1, "T", 1).Want(t, 0)
		login(h, "2-abc", 1, 9, "S", 1).Want(t, 0)
		a := login(h, "abc", 2, 2, "S1", 2).Want(t, 0)
		var lg map[string]any
		a.Decode(t, &lg)
		if lg["max_join_live_num"] != float64(2) || lg["default_camera_state"] != float64(1) || lg["allow_turn_on_mic"] != float64(1) {
			t.Fatalf("large login: %s", a.Raw)
		}
		calls := z.Calls()
		for _, c := range calls {
			if c.Path == "/cgi/sendmsg" && c.Body["room_id"] == "abc" && c.AppID != tests.ZegoLargeApp {
				t.Fatalf("large class notified through app %d", c.AppID)
			}
		}
		// Large classes: students set nothing, the teacher only their own.
		h.GoClass("set_user_info", req("abc", 2, 2, "target_uid", 2, "camera", 2)).Want(t, goclass.CodeNoPermission)
		h.GoClass("set_user_info", req("abc", 2, 1, "target_uid", 2, "camera", 2)).Want(t, goclass.CodeNoPermission)
		h.GoClass("set_user_info", req("abc", 2, 1, "target_uid", 1, "camera", 2, "mic", 2)).Want(t, 0)
		wantMsgs(t, z,
			msg{104, "abc", []string{"1", "2"}, map[string]any{"type": 1, "delta": 1}},
			msg{102, "abc", []string{"1", "2"}, map[string]any{"type": 2}},
			msg{102, "abc", []string{"1", "2"}, map[string]any{"type": 3}})
		// The small room was untouched.
		var list struct {
			Users []map[string]any `json:"attendee_list"`
		}
		h.GoClass("get_attendee_list", req("2-abc", 1, 9)).Want(t, 0).Decode(t, &list)
		if len(list.Users) != 1 || list.Users[0]["uid"] != float64(9) {
			t.Fatalf("2-abc: %+v", list)
		}
		h.GoClass("get_attendee_list", req("abc", 2, 9)).Want(t, goclass.CodeNeedLogin)
		h.GoClass("end_teaching", req("abc", 2, 1)).Want(t, 0)
		h.GoClass("heartbeat", req("2-abc", 1, 9)).Want(t, 0)
	})
}

// TestErrors walks every error code of every command.
func TestErrors(t *testing.T) {
	h, z := newEnv(t, func(c *goclass.Config) { c.Small.MaxPeople = 3; c.Small.MaxJoinLive = 2 })
	login(h, "r", 1, 1, "T", 1).Want(t, 0)
	login(h, "r", 1, 2, "S", 2).Want(t, 0)
	login(h, "full", 1, 5, "S5", 2).Want(t, 0)
	login(h, "full", 1, 6, "S6", 2).Want(t, 0) // 3 people, one seat kept for the teacher
	z.Calls()
	cases := []struct {
		name string
		cmd  string
		body any
		code int
		msg  string
	}{
		{"empty body", "heartbeat", []byte{}, 4, "c.reqBuf == 0"},
		{"not json", "heartbeat", []byte("uid=1"), 4, "invalid character 'u' looking for beginning of value"},
		{"array", "heartbeat", []byte("[]"), 4, "json: cannot unmarshal array into Go value of type protocol.BaseRequest"},
		{"uid string", "heartbeat", []byte(`{"uid":"1"}`), 4, "json: cannot unmarshal string into Go struct field BaseRequest.uid of type int64"},
		{"room_type overflow", "login_room", []byte(`{"uid":1,"room_id":"r","role":1,"room_type":300}`), 4,
			"unmarshal to request failed, url:/edu_room/login_room err:json: cannot unmarshal number 300 into Go struct field LoginRoomReq.room_type of type int8"},
		{"login no uid", "login_room", M{"room_id": "r", "role": 1}, 4, "invalid parameter"},
		{"login no room", "login_room", M{"uid": 1, "role": 1}, 4, "invalid parameter"},
		{"login bad role", "login_room", M{"uid": 1, "room_id": "r", "role": 3}, 4, "invalid parameter"},
		{"login bad type", "login_room", M{"uid": 1, "room_id": "r", "role": 1, "room_type": 3}, 4, "invalid parameter"},
		{"login long room", "login_room", M{"uid": 1, "room_id": string(make([]byte, 129)), "role": 1}, 4, "invalid parameter"},
		{"second teacher", "login_room", M{"uid": 3, "room_id": "r", "role": 1}, 10001, "Teacher Already In Room"},
		{"full", "login_room", M{"uid": 7, "room_id": "full", "role": 2}, 10002, "people num overflow"},
		{"list no room", "get_attendee_list", req("none", 1, 1), 10006, "room not exist"},
		{"list not in", "get_join_live_list", req("r", 1, 9), 10005, "need login first"},
		{"list bad uid", "get_attendee_list", req("r", 1, 0), 4, "invalid parameter"},
		{"info no target", "get_user_info", req("r", 1, 1), 4, "invalid parameter"},
		{"info not in", "get_user_info", req("r", 1, 1, "target_uid", 9), 10004, "user not in room"},
		{"info no room", "get_user_info", req("none", 1, 1, "target_uid", 1), 10004, "user not in room"},
		{"set bad state", "set_user_info", req("r", 1, 1, "target_uid", 2, "camera", 3), 4, "invalid parameter"},
		{"set not in", "set_user_info", req("r", 1, 9, "target_uid", 9, "camera", 2), 10005, "need login first"},
		{"set other", "set_user_info", req("r", 1, 2, "target_uid", 1, "camera", 2), 10003, "no permission"},
		{"set self share", "set_user_info", req("r", 1, 2, "target_uid", 2, "can_share", 2), 10003, "no permission"},
		{"set target gone", "set_user_info", req("r", 1, 1, "target_uid", 9, "camera", 2), 10004, "user not in room"},
		{"heartbeat not in", "heartbeat", req("r", 1, 9), 10005, "need login first"},
		{"heartbeat no room", "heartbeat", req("none", 1, 9), 10005, "need login first"},
		{"leave no room", "leave_room", req("none", 1, 1), 10006, "room not exist"},
		{"leave not in", "leave_room", req("r", 1, 9), 10005, "need login first"},
		{"end no room", "end_teaching", req("none", 1, 1), 10006, "room not exist"},
		{"end student", "end_teaching", req("r", 1, 2), 10003, "user not teacher"},
		{"share not in", "start_share", req("r", 1, 9), 10005, "need login first"},
		{"share no right", "start_share", req("r", 1, 2), 10003, "no permission"},
		{"stop no room", "stop_share", req("none", 1, 1, "target_uid", 1), 10006, "room not exist"},
		{"stop not sharing", "stop_share", req("r", 1, 1, "target_uid", 2), 10009, "user not sharing"},
		{"stop no target", "stop_share", req("r", 1, 1), 4, "invalid parameter"},
		{"message empty", "send_message", req("r", 1, 1), 4, "invalid parameter"},
		{"message not in", "send_message", req("r", 1, 9, "message", "x"), 10005, "need login first"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := h.GoClass(c.cmd, c.body).Want(t, c.code)
			if a.Message != c.msg || a.HasData {
				t.Fatalf("want message %q and no data, got %s", c.msg, a.Raw)
			}
			if ts, _ := a.Ret["timestamp"].(float64); int64(ts) != h.Now().UnixMilli() {
				t.Fatalf("error timestamp %v", a.Ret["timestamp"])
			}
		})
	}
	// Errors changed nothing and told no one.
	if c := z.Calls(); len(c) != 0 {
		t.Fatalf("errors made calls: %+v", c)
	}
	// Sharing in use and the co-streaming cap.
	h.GoClass("start_share", req("r", 1, 1)).Want(t, 0)
	h.GoClass("set_user_info", req("r", 1, 1, "target_uid", 2, "can_share", 2)).Want(t, 0)
	a := h.GoClass("start_share", req("r", 1, 2)).Want(t, goclass.CodeSharing)
	if a.Message != "sharing" {
		t.Fatal(a.Message)
	}
	h.GoClass("stop_share", req("r", 1, 2, "target_uid", 1)).Want(t, goclass.CodeNoPermission)
	h.GoClass("set_user_info", req("r", 1, 2, "target_uid", 2, "camera", 2)).Want(t, 0) // 2 seats, 1 kept
	login(h, "r", 1, 3, "S3", 2).Want(t, 0)
	a = h.GoClass("set_user_info", req("r", 1, 3, "target_uid", 3, "mic", 2)).Want(t, goclass.CodeJoinLiveFull)
	if a.Message != "join live num overflow" {
		t.Fatal(a.Message)
	}
	// Nothing to change answers at once, even for a stranger.
	h.GoClass("set_user_info", req("nowhere", 1, 9, "target_uid", 9)).Want(t, 0)
}

func TestCapsHoldUnderConcurrency(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, _ := newEnv(t, func(c *goclass.Config) { c.Small.MaxPeople = 6; c.Small.MaxJoinLive = 3 })
		const n = 24
		codes := make(chan int, n)
		for i := range n {
			go func() { codes <- login(h, "rush", 1, int64(1000+i), "s", 2).Code }()
		}
		got := map[int]int{}
		for range n {
			got[<-codes]++
		}
		// 6 seats, one kept for the teacher.
		if got[0] != 5 || got[goclass.CodePeopleFull] != n-5 {
			t.Fatalf("people cap: %v", got)
		}
		var list struct {
			Users []map[string]any `json:"attendee_list"`
		}
		var in []int64
		for i := range n {
			if a := h.GoClass("get_attendee_list", req("rush", 1, int64(1000+i))); a.Code == 0 {
				a.Decode(t, &list)
				in = append(in, int64(1000+i))
			}
		}
		if len(list.Users) != 5 || len(in) != 5 {
			t.Fatalf("members: %d, %v", len(list.Users), in)
		}
		// 3 co-streaming seats, one kept for the teacher: 2 of 5 cameras.
		for _, u := range in {
			go func() { codes <- h.GoClass("set_user_info", req("rush", 1, u, "target_uid", u, "camera", 2)).Code }()
		}
		got = map[int]int{}
		for range in {
			got[<-codes]++
		}
		if got[0] != 2 || got[goclass.CodeJoinLiveFull] != 3 {
			t.Fatalf("join-live cap: %v", got)
		}
		// The teacher's seat: the teacher gets in and on.
		login(h, "rush", 1, 1, "T", 1).Want(t, 0)
		h.GoClass("set_user_info", req("rush", 1, 1, "target_uid", 1, "camera", 2)).Want(t, 0)
	})
}

func TestPresence(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, z := newEnv(t, nil) // heartbeat 30 s: silent for 62 s is gone; empty rooms last 60 s
		ctx := context.Background()
		for _, room := range []string{"a-b:c", "plain"} {
			login(h, room, 2, 1, "T", 1).Want(t, 0)
			login(h, room, 2, 2, "S", 2).Want(t, 0)
		}
		h.GoClass("set_user_info", req("a-b:c", 2, 1, "target_uid", 1, "camera", 2)).Want(t, 0)
		h.GoClass("start_share", req("a-b:c", 2, 1)).Want(t, 0)
		z.Calls()
		h.Advance(40 * time.Second)
		h.GoClass("heartbeat", req("a-b:c", 2, 2)).Want(t, 0)
		h.GoClass("heartbeat", req("plain", 2, 1)).Want(t, 0)
		h.GoClass("heartbeat", req("plain", 2, 2)).Want(t, 0)
		h.Advance(22 * time.Second) // the teacher of a-b:c: 62 s, not yet gone
		h.App.GoClass.Reap(ctx)
		if c := z.Calls(); len(c) != 0 {
			t.Fatalf("reaped early: %+v", c)
		}
		// The state survives a restart.
		h.Restart()
		h.Advance(time.Second)
		h.App.GoClass.Reap(ctx)
		// The teacher is removed: the lists shrink and the share ends.
		wantMsgs(t, z,
			msg{103, "a-b:c", []string{"2"}, map[string]any{"type": 3, "delta": -1, "uid": 1}},
			msg{104, "a-b:c", []string{"2"}, map[string]any{"type": 3, "delta": -1, "uid": 1}},
			msg{107, "a-b:c", []string{"2"}, map[string]any{"target_uid": 1, "operator_uid": 1}})
		var lg map[string]any
		a := login(h, "a-b:c", 2, 3, "T2", 1).Want(t, 0) // the seat is free
		a.Decode(t, &lg)
		if _, ok := lg["sharing_uid"]; ok {
			t.Fatalf("share still on: %s", a.Raw)
		}
		h.GoClass("leave_room", req("a-b:c", 2, 3)).Want(t, 0)
		h.GoClass("leave_room", req("a-b:c", 2, 2)).Want(t, 0)
		z.Calls()
		// Empty: destroyed after destroy_buffer, with ZEGO told.
		h.Advance(59 * time.Second)
		h.App.GoClass.Reap(ctx) // also removes the silent members of "plain"
		for _, c := range z.Calls() {
			if c.Path == "/cgi/clearroom" {
				t.Fatalf("destroyed early: %+v", c)
			}
		}
		h.Advance(2 * time.Second)
		h.App.GoClass.Reap(ctx)
		cleared := map[string]bool{}
		for _, c := range z.Calls() {
			if c.Path == "/cgi/clearroom" {
				cleared[fmt.Sprint(c.Body["room_id"])] = true
			}
		}
		if !cleared["a-b:c"] || cleared["plain"] {
			t.Fatalf("cleared %v", cleared)
		}
		h.GoClass("get_attendee_list", req("a-b:c", 2, 1)).Want(t, goclass.CodeNoRoom)
		// "plain" emptied by the reaper 2 s ago goes 60 s later.
		h.Advance(60 * time.Second)
		h.App.GoClass.Reap(ctx)
		if c := z.Calls(); len(c) != 1 || c[0].Path != "/cgi/clearroom" || c[0].Body["room_id"] != "plain" {
			t.Fatalf("plain: %+v", c)
		}
	})
}

// A teacher who came back as a student gives up the seat, and leaving
// keeps it free (the reference kept it taken until the room went).
func TestTeacherSeatFreed(t *testing.T) {
	h, z := newEnv(t, nil)
	login(h, "r", 1, 1, "T", 1).Want(t, 0)
	login(h, "r", 1, 2, "S", 2).Want(t, 0)
	login(h, "r", 1, 3, "T3", 1).Want(t, goclass.CodeTeacherIn)
	login(h, "r", 1, 1, "T", 2).Want(t, 0)
	wantMsgs(t, z, msg{103, "r", []string{"1"}, nil}, msg{103, "r", []string{"1", "2"}, nil},
		msg{102, "r", []string{"1", "2"}, map[string]any{"type": 1, "operator_name": nil}})
	h.GoClass("end_teaching", req("r", 1, 1)).Want(t, goclass.CodeNoPermission)
	h.GoClass("leave_room", req("r", 1, 1)).Want(t, 0)
	login(h, "r", 1, 3, "T3", 1).Want(t, 0)
	h.GoClass("end_teaching", req("r", 1, 3)).Want(t, 0)
	z.Calls()
}

// A repeated request (the same bytes to the same command) gets the first
// answer and runs once; the key is the whole request, so another user's
// or another room's request that reuses a device id and seq runs.
func TestReplayedRequest(t *testing.T) {
	h, z := newEnv(t, nil)
	body := M{"room_id": "r", "uid": 1, "nick_name": "T", "role": 1, "common_data": M{"device_id": "dev", "seq": 7}}
	first := h.GoClass("login_room", body).Want(t, 0)
	z.Calls()
	h.Advance(time.Second)
	again := h.GoClass("login_room", body).Want(t, 0)
	if string(again.Raw) != string(first.Raw) {
		t.Fatalf("replay: %s vs %s", again.Raw, first.Raw)
	}
	if c := z.Calls(); len(c) != 0 {
		t.Fatalf("the repeat ran again: %+v", c)
	}
	// Another user primed with the victim's device id and seq: the
	// victim's own login runs and is answered for the victim.
	victim := M{"room_id": "r", "uid": 2, "nick_name": "V", "role": 2, "common_data": M{"device_id": "dev", "seq": 7}}
	var got struct {
		UID  int64  `json:"uid"`
		Nick string `json:"nick_name"`
	}
	h.GoClass("login_room", victim).Want(t, 0).Decode(t, &got)
	if got.UID != 2 || got.Nick != "V" {
		t.Fatalf("victim answered with another's login: %+v", got)
	}
	if len(z.Msgs()) != 1 {
		t.Fatal("the victim's login did not run")
	}
	// A changed body with the same seq is another request.
	body["nick_name"] = "changed"
	if h.GoClass("login_room", body).Want(t, 0).Decode(t, &got); got.Nick != "changed" {
		t.Fatalf("changed request answered from the cache: %+v", got)
	}
	z.Calls()
	// Another seq runs.
	body["common_data"] = M{"device_id": "dev", "seq": 8}
	h.GoClass("login_room", body).Want(t, 0)
	if len(z.Msgs()) != 1 {
		t.Fatal("seq 8 did not run")
	}
	// After a minute the answer is forgotten.
	h.Advance(61 * time.Second)
	body["common_data"] = M{"device_id": "dev", "seq": 8}
	h.GoClass("login_room", body).Want(t, 0)
	if len(z.Msgs()) != 1 {
		t.Fatal("seq 8 replayed after a minute")
	}
	// A device id past the bound is refused and nothing runs.
	long := M{"room_id": "r", "uid": 3, "nick_name": "L", "role": 2,
		"common_data": M{"device_id": strings.Repeat("d", 129), "seq": 1}}
	if a := h.GoClass("login_room", long).Want(t, goclass.CodeInvalid); !strings.Contains(a.Message, "device_id") {
		t.Fatalf("long device id: %s", a.Raw)
	}
	if c := z.Calls(); len(c) != 0 {
		t.Fatalf("a refused request ran: %+v", c)
	}
}

// Two servers on one MySQL database: the caps hold across them, and a
// silent member is removed (and announced) once.
func TestSeveralServers(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	z := tests.NewFakeZego(t)
	edit := func(c *server.Config) { c.GoClass = tests.ZegoConfig(z); c.GoClass.Small.MaxPeople = 8 }
	a := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	b := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	const n = 20
	codes := make(chan int, n)
	for i := range n {
		h := a
		if i%2 == 1 {
			h = b
		}
		go func() { codes <- login(h, "shared", 1, int64(100+i), "s", 2).Code }()
	}
	got := map[int]int{}
	for range n {
		got[<-codes]++
	}
	if got[0] != 7 || got[goclass.CodePeopleFull] != n-7 {
		t.Fatalf("people cap across servers: %v", got)
	}
	z.Calls()
	// Everyone falls silent; both servers reap at once.
	a.Advance(63 * time.Second)
	b.Advance(63 * time.Second)
	done := make(chan bool)
	go func() { a.App.GoClass.Reap(context.Background()); done <- true }()
	b.App.GoClass.Reap(context.Background())
	<-done
	leaves := 0
	for _, m := range z.Msgs() {
		if m.Cmd == 103 {
			leaves++
		}
	}
	if leaves != 6 { // the last one out tells no one
		t.Fatalf("%d leave notifications for 7 silent members", leaves)
	}
	a.GoClass("heartbeat", req("shared", 1, 100)).Want(t, goclass.CodeNeedLogin)
}

// Anyone can make a room by logging in to it: new rooms are limited per
// client address and in all; logins to rooms that exist are not.
func TestRoomCreationLimits(t *testing.T) {
	z := tests.NewFakeZego(t)
	h := tests.New(t, func(c *server.Config) {
		c.GoClass = tests.ZegoConfig(z)
		c.GoClass.RoomsPerMinute, c.GoClass.MaxRooms = 3, 5
		c.TrustedProxies = []string{"127.0.0.1", "::1"}
	})
	from := func(addr, room string, uid int64) tests.GoClassAnswer {
		b, _ := json.Marshal(M{"room_id": room, "uid": uid, "nick_name": "n", "role": 2})
		req, _ := http.NewRequest("POST", h.HTTP.URL+"/edu_room/login_room", bytes.NewReader(b))
		req.Header.Set("X-Real-IP", addr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return tests.ParseGoClass(t, resp, raw)
	}
	for i := range 3 {
		from("203.0.113.1", fmt.Sprint("a", i), 1).Want(t, 0)
	}
	if a := from("203.0.113.1", "a3", 1).Want(t, goclass.CodeTooMany); !strings.Contains(a.Message, "retry in") {
		t.Fatalf("rate limit: %s", a.Raw)
	}
	from("203.0.113.1", "a0", 2).Want(t, 0) // a room that exists
	from("203.0.113.2", "b0", 1).Want(t, 0)
	from("203.0.113.2", "b1", 1).Want(t, 0)
	// Five rooms now: the cap.
	if a := from("203.0.113.3", "c0", 1).Want(t, goclass.CodeTooMany); !strings.Contains(a.Message, "at most 5") {
		t.Fatalf("cap: %s", a.Raw)
	}
	// A minute on, the first address may make rooms again; the cap holds.
	h.Advance(61 * time.Second)
	if a := from("203.0.113.1", "a9", 1).Want(t, goclass.CodeTooMany); !strings.Contains(a.Message, "at most 5") {
		t.Fatalf("after a minute: %s", a.Raw)
	}
	if n := tests.QueryInt(t, h.DBPath, "SELECT COUNT(*) FROM t_edu_room"); n != 5 {
		t.Fatalf("%d rooms, the cap is 5", n)
	}
}

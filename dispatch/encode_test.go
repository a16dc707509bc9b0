package dispatch

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"sxb-edu/svc"
)

// The room list's own encoder writes exactly what encoding/json writes.
func TestAppendRoomListAsEncodingJSON(t *testing.T) {
	full := svc.RoomInfo{HostUID: "teacher", Title: "数学 第1课", RoomNum: 10001, State: 2, GroupID: "10001",
		Cover: "http://c/x.png?a=1&b=<2>", MemSize: 51, BeginTime: 1700000000, EndTime: -1, BeginIMSeq: math.MaxInt64,
		EndIMSeq: math.MinInt64, PlaybackIdxURL: "https://v/idx.m3u8", CanTriggerReplayIdx: 1, TriggerReplayIdxTime: 3,
		TriggerReplayIdxResult: -4, ReplayIdxCreatedTime: 5, ReplayIdxCreatedResult: 6, ReplayIdxURL: `q"uote\back`}
	for name, l := range map[string]svc.RoomList{
		"nil rooms":   {Total: 0},
		"no rooms":    {Total: 3, Rooms: []svc.RoomInfo{}},
		"zero room":   {Total: 1, Rooms: []svc.RoomInfo{{}}},
		"full":        {Total: 2, Rooms: []svc.RoomInfo{full, {Title: "plain"}}},
		"controls":    {Rooms: []svc.RoomInfo{{Title: "a\x00b\x01\b\f\n\r\t\x1f\x7f"}}},
		"bad utf-8":   {Rooms: []svc.RoomInfo{{Title: "a\xffb\xc3"}}},
		"separators":  {Rooms: []svc.RoomInfo{{Title: "a\u2028b\u2029c"}}},
		"html":        {Rooms: []svc.RoomInfo{{HostUID: "<script>&amp;</script>"}}},
		"emoji, wide": {Rooms: []svc.RoomInfo{{Cover: "😀 ｗｉｄｅ"}}},
	} {
		want, err := json.Marshal(Envelope{Data: l})
		if err != nil {
			t.Fatal(err)
		}
		if got := envelope(svc.CodeOK, "", l); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func FuzzAppendRoomList(f *testing.F) {
	for _, s := range []string{"", "abc", "<>&", "\"\\", "\x00\x1f\x7f", "\xff", "\u2028", "中文"} {
		f.Add(s, int64(7))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		l := svc.RoomList{Total: n, Rooms: []svc.RoomInfo{{HostUID: s, Title: s, Cover: s, GroupID: s, RoomNum: n, MemSize: -n}}}
		want, _ := json.Marshal(Envelope{Data: l})
		if got := envelope(svc.CodeOK, "", l); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}

// The member list's own encoder writes exactly what encoding/json writes.
func TestAppendMemberListAsEncodingJSON(t *testing.T) {
	for name, l := range map[string]svc.MemberList{
		"nil list":  {Total: 0},
		"no member": {Total: 4, IDList: []svc.MemberRow{}},
		"zero":      {Total: 1, IDList: []svc.MemberRow{{}}},
		"class":     {Total: math.MaxInt64, IDList: []svc.MemberRow{{ID: "teacher", Role: 1}, {ID: "student7", Role: 0}, {ID: "x", Role: -3}}},
		"escapes":   {IDList: []svc.MemberRow{{ID: "a\"b\\c<d>&\x00\x7f\xff\u2028名"}}},
	} {
		want, err := json.Marshal(Envelope{Data: l})
		if err != nil {
			t.Fatal(err)
		}
		if got := envelope(svc.CodeOK, "", l); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func FuzzAppendMemberList(f *testing.F) {
	for _, s := range []string{"", "student1", "<>&", "\"\\", "\x00\x1f\x7f", "\xff", "\u2028", "中文"} {
		f.Add(s, int64(50), 1)
	}
	f.Fuzz(func(t *testing.T, s string, n int64, role int) {
		l := svc.MemberList{Total: n, IDList: []svc.MemberRow{{ID: s, Role: role}, {ID: s + s, Role: -role}}}
		want, _ := json.Marshal(Envelope{Data: l})
		if got := envelope(svc.CodeOK, "", l); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}

// An answer without data is written by hand too (every heartbeat).
func TestEnvelopeWithoutData(t *testing.T) {
	for _, c := range []struct {
		code int
		info string
	}{
		{0, ""}, {10001, "Invalid request."}, {-1, "a\"b\\c"}, {90000, "<&>"},
		{10004, "\x00\x1f\x7f"}, {1, "\xff\xc3"}, {2, "a\u2028b"}, {3, "中文 😀"},
	} {
		want, _ := json.Marshal(Envelope{ErrorCode: c.code, ErrorInfo: c.info})
		if got := envelope(c.code, c.info, nil); !bytes.Equal(got, want) {
			t.Errorf("%d %q:\n got %s\nwant %s", c.code, c.info, got, want)
		}
	}
}

func FuzzEnvelopeWithoutData(f *testing.F) {
	f.Add(0, "")
	f.Add(-7, "<\xff\u2029")
	f.Fuzz(func(t *testing.T, code int, info string) {
		want, _ := json.Marshal(Envelope{ErrorCode: code, ErrorInfo: info})
		if got := envelope(code, info, nil); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}

// Each byte that encoding/json escapes, alone in an otherwise plain
// string, is escaped as it escapes it (a string with two of them would
// hide a table that missed one).
func TestAppendStringAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain-id_7.x", `a"b`, `a\b`, "a<b", "a>b", "a&b", "a\x00b", "a\x1fb", "a\x7fb",
		"a\xffb", "aéb", "a\u2028b", "a b~"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

package tests

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	"sxb-edu/server"
)

// The protocol's answers as the clients read them, and checks of them.

// RoomInfo is a room of roomlist, every field docs/protocol.md names.
type RoomInfo struct {
	HostUID                string `json:"host_uid"`
	Title                  string `json:"title"`
	RoomNum                int64  `json:"roomnum"`
	State                  int    `json:"state"`
	GroupID                string `json:"groupid"`
	Cover                  string `json:"cover"`
	MemSize                int64  `json:"memsize"`
	BeginTime              int64  `json:"begin_time"`
	EndTime                int64  `json:"end_time"`
	BeginIMSeq             int64  `json:"begin_imseq"`
	EndIMSeq               int64  `json:"end_imseq"`
	PlaybackIdxURL         string `json:"playback_idx_url"`
	CanTriggerReplayIdx    int    `json:"can_trigger_replay_idx"`
	TriggerReplayIdxTime   int64  `json:"trigger_replay_idx_time"`
	TriggerReplayIdxResult int64  `json:"trigger_replay_idx_result"`
	ReplayIdxCreatedTime   int64  `json:"replay_idx_created_time"`
	ReplayIdxCreatedResult int64  `json:"replay_idx_created_result"`
	ReplayIdxURL           string `json:"replay_idx_url"`
}

var RoomFields = []string{"host_uid", "title", "roomnum", "state", "groupid", "cover", "memsize",
	"begin_time", "end_time", "begin_imseq", "end_imseq", "playback_idx_url", "can_trigger_replay_idx",
	"trigger_replay_idx_time", "trigger_replay_idx_result", "replay_idx_created_time",
	"replay_idx_created_result", "replay_idx_url"}

type RoomList struct {
	Total int64      `json:"total"`
	Rooms []RoomInfo `json:"rooms"`
}

type Member struct {
	ID   string `json:"id"`
	Role int    `json:"role"`
}

type MemberList struct {
	Total  int64    `json:"total"`
	IDList []Member `json:"idlist"`
}

type BindFile struct {
	Type     int64  `json:"type"`
	BindTime int64  `json:"bind_time"`
	FileName string `json:"file_name"`
	URL      string `json:"url"`
}

type BindList struct {
	Total     int64      `json:"total"`
	BindFiles []BindFile `json:"bind_files"`
}

func (h *Env) Rooms(t testing.TB, appid int64, tok string, f M) RoomList {
	t.Helper()
	if f == nil {
		f = M{}
	}
	if _, ok := f["index"]; !ok {
		f["index"] = 0
	}
	if _, ok := f["size"]; !ok {
		f["size"] = 50
	}
	a := h.Call(appid, tok, "live", "roomlist", f).Want(t, 0)
	var l RoomList
	a.Decode(t, &l)
	// Every room carries every field, with the JSON type the clients read.
	var raw struct {
		Rooms []map[string]any `json:"rooms"`
	}
	a.Decode(t, &raw)
	for _, r := range raw.Rooms {
		for _, k := range RoomFields {
			if _, ok := r[k]; !ok {
				t.Fatalf("room lacks %s: %s", k, a.Data)
			}
		}
		if _, ok := r["groupid"].(string); !ok {
			t.Fatalf("groupid not a string: %s", a.Data)
		}
		if _, ok := r["roomnum"].(float64); !ok {
			t.Fatalf("roomnum not a number: %s", a.Data)
		}
	}
	return l
}

func (h *Env) Members(t testing.TB, tok string, room any, index, size int) MemberList {
	t.Helper()
	var l MemberList
	h.Call(AppA, tok, "live", "roomidlist", M{"roomnum": room, "index": index, "size": size}).Want(t, 0).Decode(t, &l)
	return l
}

func (h *Env) Binds(t testing.TB, tok string, f M) BindList {
	t.Helper()
	if _, ok := f["index"]; !ok {
		f["index"] = 0
	}
	if _, ok := f["size"]; !ok {
		f["size"] = 50
	}
	var l BindList
	h.Call(AppA, tok, "live", "querybind", f).Want(t, 0).Decode(t, &l)
	return l
}

func RoomNums(l RoomList) []int64 {
	out := []int64{}
	for _, r := range l.Rooms {
		out = append(out, r.RoomNum)
	}
	return out
}

func IDs(l MemberList) []string {
	out := []string{}
	for _, m := range l.IDList {
		out = append(out, m.ID)
	}
	return out
}

func URLs(l BindList) []string {
	out := []string{}
	for _, b := range l.BindFiles {
		out = append(out, b.URL)
	}
	return out
}

func Eq(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// Num reads a JSON number of a decoded IM Data object.
func Num(t testing.TB, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an int", v)
	}
	return i
}

// CheckGroupMsg checks one send_group_msg call: signed as AppA's admin, to
// the room's group, a custom element with Data {type, seq, timestamp, value}.
func CheckGroupMsg(t testing.TB, c TencentCall, room int64, typ int64, ts int64, value M) {
	t.Helper()
	c.CheckSigned(t, AppA, KeyA, "admin", "group_open_http_svc", "send_group_msg")
	Eq(t, "GroupId", c.Body["GroupId"], strconv.FormatInt(room, 10))
	Eq(t, "From_Account", c.Body["From_Account"], "admin")
	if r, ok := c.Body["Random"].(float64); !ok || r < 0 || r > 4294967295 || r != float64(int64(r)) {
		t.Fatalf("Random %v is not a uint32", c.Body["Random"])
	}
	d := c.GroupData(t)
	Eq(t, "Data.type", Num(t, d["type"]), typ)
	if s := Num(t, d["seq"]); s <= 0 {
		t.Fatalf("Data.seq %d", s)
	}
	if ts != 0 {
		Eq(t, "Data.timestamp", Num(t, d["timestamp"]), ts)
	}
	got, _ := d["value"].(map[string]any)
	for k, want := range value {
		switch w := want.(type) {
		case string:
			Eq(t, "value."+k, got[k], w)
		case int64:
			Eq(t, "value."+k, Num(t, got[k]), w)
		}
	}
	if len(got) != len(value) {
		t.Fatalf("value %v, want keys of %v", got, value)
	}
}

// Classroom is app A with two teachers, two students and rooms in each
// state, for the commands' error tables.
type Classroom struct {
	H                      *Env
	IM                     *FakeTencent
	T1, T2, S1, S2         string // tokens
	Created, Living, Ended int64
	Empty                  int64 // living, everyone left
}

// NewClassroom starts a server with IM going to a fake and makes the
// classroom: t1 holds every room, s1 is in Living.
func NewClassroom(t testing.TB, edit func(*server.Config)) *Classroom {
	t.Helper()
	im := NewFakeTencent(t)
	h := New(t, func(c *server.Config) {
		c.IMBaseURL = im.URL
		if edit != nil {
			edit(c)
		}
	})
	f := &Classroom{H: h, IM: im}
	f.T1, f.T2 = h.User(AppA, "t1", 1), h.User(AppA, "t2", 1)
	f.S1, f.S2 = h.User(AppA, "s1", 0), h.User(AppA, "s2", 0)
	mk := func(start, end bool) int64 {
		var d struct{ RoomNum int64 }
		h.Call(AppA, f.T1, "live", "create", M{"title": "r"}).Want(t, 0).Decode(t, &d)
		if start {
			h.Call(AppA, f.T1, "live", "startcourse", M{"roomnum": d.RoomNum}).Want(t, 0)
		}
		if end {
			h.Call(AppA, f.T1, "live", "exitroom", M{"roomnum": d.RoomNum}).Want(t, 0)
		}
		return d.RoomNum
	}
	f.Created, f.Living, f.Ended, f.Empty = mk(false, false), mk(true, false), mk(true, true), mk(true, false)
	h.Call(AppA, f.S1, "live", "reportmemid", M{"roomnum": f.Living, "operate": 0}).Want(t, 0)
	h.Call(AppA, f.T1, "live", "reportmemid", M{"roomnum": f.Empty, "operate": 1}).Want(t, 0)
	return f
}

// Body is a Token command's body for tok with extra fields.
func (f *Classroom) Body(tok string, extra M) M {
	b := M{"appid": AppA, "timeStamp": f.H.Unix(), "token": tok}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

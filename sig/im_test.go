package sig

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

const (
	testAppID = 1400000001
	testKey   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
)

var testApp = IMApp{SDKAppID: testAppID, Key: testKey, Admin: "root"}

// fake is an IM REST service that records what it was sent.
type fake struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []seen
	reply string
	code  int
}

type seen struct {
	method, path, ctype string
	query               url.Values
	body                []byte
}

func newFake(t *testing.T, reply string) *fake {
	f := &fake{reply: reply, code: http.StatusOK}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.URL.Query(), b})
		reply, code := f.reply, f.code
		f.mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, reply)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) last(t *testing.T) seen {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// checkSigned checks the query of docs/protocol.md §8 and returns the usersig.
func checkSigned(t *testing.T, s seen, path string) string {
	t.Helper()
	if s.method != http.MethodPost || s.path != path || s.ctype != "application/json" {
		t.Fatalf("request %s %s (%s), want POST %s", s.method, s.path, s.ctype, path)
	}
	q := s.query
	if q.Get("sdkappid") != strconv.Itoa(testAppID) || q.Get("identifier") != "root" || q.Get("contenttype") != "json" {
		t.Fatalf("query %v", q)
	}
	if _, err := strconv.ParseUint(q.Get("random"), 10, 32); err != nil {
		t.Fatalf("random %q: %v", q.Get("random"), err)
	}
	if len(q) != 5 {
		t.Fatalf("query has extra parameters: %v", q)
	}
	if err := VerifyUserSig(testAppID, testKey, "root", q.Get("usersig"), time.Now()); err != nil {
		t.Fatalf("usersig: %v", err)
	}
	return q.Get("usersig")
}

func TestSendGroupMsg(t *testing.T) {
	t.Parallel()
	f := newFake(t, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgTime":1500000000,"MsgSeq":7}`)
	c := &IM{Base: f.URL + "/", Client: f.Client()}
	msg := GroupMsg{Type: 1001, Seq: 12345, Timestamp: 1500000001, Value: map[string]string{"uid": "t1"}}
	seq, err := c.SendGroupMsg(context.Background(), testApp, "10001", msg)
	if err != nil || seq != 7 {
		t.Fatalf("seq %d err %v", seq, err)
	}
	s := f.last(t)
	sig1 := checkSigned(t, s, "/v4/group_open_http_svc/send_group_msg")
	var body struct {
		GroupID     string `json:"GroupId"`
		FromAccount string `json:"From_Account"`
		Random      *uint32
		MsgBody     []struct {
			MsgType    string
			MsgContent struct{ Data string }
		}
	}
	if err := json.Unmarshal(s.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.GroupID != "10001" || body.FromAccount != "root" || body.Random == nil || len(body.MsgBody) != 1 ||
		body.MsgBody[0].MsgType != "TIMCustomElem" {
		t.Fatalf("body %s", s.body)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(body.MsgBody[0].MsgContent.Data), &data); err != nil {
		t.Fatalf("Data %q: %v", body.MsgBody[0].MsgContent.Data, err)
	}
	want := map[string]any{"type": 1001.0, "seq": 12345.0, "timestamp": 1500000001.0, "value": map[string]any{"uid": "t1"}}
	if !jsonEqual(data, want) {
		t.Fatalf("Data %v, want %v", data, want)
	}
	// The admin userSig is reused, the random is not.
	if _, err := c.SendGroupMsg(context.Background(), testApp, "10001", msg); err != nil {
		t.Fatal(err)
	}
	s2 := f.last(t)
	if checkSigned(t, s2, "/v4/group_open_http_svc/send_group_msg") != sig1 {
		t.Error("admin userSig made again")
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestSendGroupMsgDisabled(t *testing.T) {
	t.Parallel()
	for _, c := range []*IM{nil, {}, {Base: ""}} {
		seq, err := c.SendGroupMsg(context.Background(), testApp, "1", GroupMsg{Type: 1001})
		if seq != 0 || err != nil {
			t.Fatalf("disabled: %d %v", seq, err)
		}
	}
	var c IM
	if err := c.Call(context.Background(), "", testApp, "a", "b", nil, nil); !errors.Is(err, ErrIMDisabled) {
		t.Fatalf("Call without base: %v", err)
	}
}

func TestIMFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, reply string
		status      int
		svcCode     int64
	}{
		{"error code", `{"ActionStatus":"FAIL","ErrorCode":10010,"ErrorInfo":"group dismissed"}`, 200, 10010},
		{"error code, HTTP 500", `{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"sig expired"}`, 500, 70001},
		{"not JSON", `<html>502</html>`, 502, 0},
		{"empty", ``, 200, 0},
		{"JSON list", `[1]`, 200, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.reply)
			f.code = tc.status
			c := &IM{Base: f.URL, Client: f.Client()}
			seq, err := c.SendGroupMsg(context.Background(), testApp, "10001", GroupMsg{Type: 1002})
			if err == nil || seq != 0 {
				t.Fatalf("seq %d err %v", seq, err)
			}
			var se *ServiceError
			if tc.svcCode != 0 {
				if !errors.As(err, &se) || se.Code != tc.svcCode {
					t.Fatalf("err %v, want service error %d", err, tc.svcCode)
				}
			} else if errors.As(err, &se) {
				t.Fatalf("err %v is a service error", err)
			}
			if _, err := c.CreateReplayIndex(context.Background(), f.URL, testApp, ReplayIndexReq{GroupID: "1"}); err == nil {
				t.Fatal("replay index: no error")
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		const base = "http://127.0.0.1:1" // nothing listens on port 1
		c := &IM{Base: base, Client: &http.Client{Timeout: time.Second}}
		if _, err := c.SendGroupMsg(context.Background(), testApp, "1", GroupMsg{}); err == nil {
			t.Fatal("no error")
		}
		if _, err := c.CreateReplayIndex(context.Background(), base, testApp, ReplayIndexReq{}); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("slow", func(t *testing.T) {
		block := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
		defer srv.Close()
		defer close(block)
		c := &IM{Base: srv.URL, Client: &http.Client{Timeout: 100 * time.Millisecond}}
		// The server never answers: only the client's timeout can end the
		// call, and the error says it was a timeout.
		_, err := c.SendGroupMsg(context.Background(), testApp, "1", GroupMsg{})
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("a server that never answers: %v, want a timeout", err)
		}
	})
}

func TestCreateReplayIndex(t *testing.T) {
	t.Parallel()
	f := newFake(t, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	c := &IM{Base: "http://unused.invalid", Client: f.Client()}
	req := ReplayIndexReq{GroupID: "10001", MsgSeqStart: 3, MsgSeqEnd: 9, MaxMsgSeqVideoEnd: 8,
		UserList: []ReplayUser{{"teacher"}, {"s1"}}}
	idx, err := c.CreateReplayIndex(context.Background(), f.URL, testApp, req)
	if err != nil || idx == nil || *idx != (ReplayIndex{}) {
		t.Fatalf("idx %v err %v", idx, err)
	}
	s := f.last(t)
	checkSigned(t, s, "/v4/ilvb_video_replay/create_replay_index")
	want := `{"GroupId":"10001","MsgSeqStart":3,"MsgSeqEnd":9,"MaxMsgSeqVideoEnd":8,"UserList":[{"Account":"teacher"},{"Account":"s1"}]}`
	if string(s.body) != want {
		t.Fatalf("body %s\nwant %s", s.body, want)
	}
	// No members: an empty list, not null.
	if _, err := c.CreateReplayIndex(context.Background(), f.URL, testApp, ReplayIndexReq{GroupID: "2"}); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(f.last(t).body, &body); err != nil {
		t.Fatal(err)
	}
	if l, ok := body["UserList"].([]any); !ok || len(l) != 0 {
		t.Fatalf("UserList %v", body["UserList"])
	}
	// An index that already exists comes back.
	f.mu.Lock()
	f.reply = `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ReplayIndex":{"FileUrl":"http://idx/1","CreateTime":1500000000}}`
	f.mu.Unlock()
	idx, err = c.CreateReplayIndex(context.Background(), f.URL, testApp, req)
	if err != nil || *idx != (ReplayIndex{FileURL: "http://idx/1", CreateTime: 1500000000}) {
		t.Fatalf("idx %v err %v", idx, err)
	}
	if f.count() != 3 {
		t.Fatalf("%d requests", f.count())
	}
	// A cancelled context fails without waiting.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.CreateReplayIndex(ctx, f.URL, testApp, req); err == nil {
		t.Fatal("cancelled: no error")
	}
}

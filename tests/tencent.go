package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sxb-edu/sig"
)

// FakeTencent is an httptest fake of the IM REST API and of the replay-index
// service (they share the wire format). It records every call; Reply, when
// set, answers a call instead of the default success. The default success
// for send_group_msg carries MsgSeq values 1, 2, 3... in call order.
type FakeTencent struct {
	*httptest.Server
	mu    sync.Mutex
	calls []TencentCall
	seq   int64
	// Reply, when set, writes the answer to a call.
	Reply func(w http.ResponseWriter, c TencentCall)
}

// TencentCall is one request the fake received.
type TencentCall struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Raw    []byte
	Body   map[string]any // nil when the body is not a JSON object
	Seq    int64          // the MsgSeq the default reply gave
}

// NewFakeTencent starts a fake service, closed at the end of the test.
func NewFakeTencent(t testing.TB) *FakeTencent {
	f := &FakeTencent{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *FakeTencent) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	c := TencentCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Raw: raw}
	_ = json.Unmarshal(raw, &c.Body)
	f.mu.Lock()
	if f.Reply == nil && strings.HasSuffix(c.Path, "/send_group_msg") {
		f.seq++
		c.Seq = f.seq
	}
	f.calls = append(f.calls, c)
	reply := f.Reply
	f.mu.Unlock()
	if reply != nil {
		reply(w, c)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if c.Seq != 0 {
		_ = json.NewEncoder(w).Encode(M{"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "MsgSeq": c.Seq, "MsgTime": time.Now().Unix()})
		return
	}
	_ = json.NewEncoder(w).Encode(M{"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
}

// SetReply replaces the reply function (nil: default success).
func (f *FakeTencent) SetReply(fn func(w http.ResponseWriter, c TencentCall)) {
	f.mu.Lock()
	f.Reply = fn
	f.mu.Unlock()
}

// Calls returns the calls received so far.
func (f *FakeTencent) Calls() []TencentCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]TencentCall(nil), f.calls...)
}

// Last returns the newest call (failing when there is none).
func (f *FakeTencent) Last(t testing.TB) TencentCall {
	t.Helper()
	c := f.Calls()
	if len(c) == 0 {
		t.Fatal("fake service received no call")
	}
	return c[len(c)-1]
}

// GroupData decodes the custom Data JSON of a send_group_msg body.
func (c TencentCall) GroupData(t testing.TB) map[string]any {
	t.Helper()
	body, ok := c.Body["MsgBody"].([]any)
	if !ok || len(body) != 1 {
		t.Fatalf("MsgBody: %s", c.Raw)
	}
	el, _ := body[0].(map[string]any)
	if el["MsgType"] != "TIMCustomElem" {
		t.Fatalf("MsgType: %s", c.Raw)
	}
	content, _ := el["MsgContent"].(map[string]any)
	data, ok := content["Data"].(string)
	if !ok {
		t.Fatalf("MsgContent.Data is not a string: %s", c.Raw)
	}
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("Data %q: %v", data, err)
	}
	return out
}

// CheckSigned fails unless the call carries the IM REST query of docs/protocol.md
// (IM messages) for app (sdkappid, identifier, a userSig valid for the admin, random,
// contenttype=json) on path /v4/service/command.
func (c TencentCall) CheckSigned(t testing.TB, sdkappid int64, key, admin, service, command string) {
	t.Helper()
	if c.Method != http.MethodPost {
		t.Errorf("method %s, want POST", c.Method)
	}
	if want := "/v4/" + service + "/" + command; c.Path != want {
		t.Errorf("path %s, want %s", c.Path, want)
	}
	q := c.Query
	if q.Get("sdkappid") != strconv.FormatInt(sdkappid, 10) || q.Get("identifier") != admin || q.Get("contenttype") != "json" {
		t.Errorf("query %v", q)
	}
	if r := q.Get("random"); r == "" || strings.Trim(r, "0123456789") != "" || len(r) > 10 {
		t.Errorf("random %q is not a uint32", r)
	}
	if err := sig.VerifyUserSig(sdkappid, key, admin, q.Get("usersig"), time.Now()); err != nil {
		t.Errorf("usersig does not verify for %s: %v", admin, err)
	}
}

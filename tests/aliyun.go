package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"sxb-edu/aui"
)

// The Alibaba Cloud keys and apps of the AUI test configuration.
const (
	AliyunKeyID     = "LTAI-test-id"
	AliyunKeySecret = "test-secret/with+odd=chars"
	AliyunIMApp     = "im-app-1"
)

// FakeAliyun is Alibaba Cloud's OpenAPI (RPC style) for the live
// service's IM calls: it verifies every request's signature and common
// parameters, fails the test on anything the reference would not send,
// and records the calls.
type FakeAliyun struct {
	T   testing.TB
	URL string

	mu     sync.Mutex
	calls  []AliyunCall
	nonces map[string]bool
	groups int
	// Stats answers GetGroupStatistics; Muted names muted users.
	Stats map[string]int64
	Muted map[string][]string
	// Fail makes an action answer this HTTP status with an error.
	Fail map[string]int
	// Now is the clock the request times are checked against (the
	// server's, when a test moves it).
	Now func() time.Time
}

// AliyunCall is one call the server made.
type AliyunCall struct {
	Action string
	Params map[string]string // without the common parameters
}

// The parameters each action must carry, beside the common ones.
var aliyunActions = map[string][]string{
	"CreateMessageGroup":       {"AppId", "CreatorId"},
	"GetMessageToken":          {"AppId", "DeviceId", "DeviceType", "UserId"},
	"GetGroupStatistics":       {"AppId", "GroupId"},
	"ListMessageGroupUserById": {"AppId", "GroupId", "UserIdList"},
	"CreateLiveMessageGroup":   {"AppId", "GroupId", "CreatorId"},
	"SendMessageToGroup":       {"AppId", "GroupId", "Type", "Data", "OperatorUserId", "SkipAudit"},
	"SendLiveMessageGroup":     {"AppId", "GroupId", "SenderId", "Body", "MsgType"},
}

// newIMActions are the newer IM's: their AppId is that IM's app.
var newIMActions = map[string]bool{"CreateLiveMessageGroup": true, "SendLiveMessageGroup": true}

var aliyunCommon = []string{"Format", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion",
	"SignatureNonce", "Timestamp", "Action", "RegionId", "Signature"}

// NewFakeAliyun starts a fake OpenAPI.
func NewFakeAliyun(t testing.TB) *FakeAliyun {
	f := &FakeAliyun{T: t, nonces: map[string]bool{}, Stats: map[string]int64{}, Muted: map[string][]string{}, Fail: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *FakeAliyun) refuse(w http.ResponseWriter, status int, code, msg string) {
	f.T.Errorf("fake OpenAPI: %s: %s", code, msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"RequestId": "req-bad", "Code": code, "Message": msg})
}

func (f *FakeAliyun) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.URL.Path != "/" {
		f.refuse(w, 400, "InvalidRequest", fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
		return
	}
	p := map[string]string{}
	for k, v := range r.Form {
		if len(v) != 1 {
			f.refuse(w, 400, "InvalidParameter", k+" given twice")
			return
		}
		p[k] = v[0]
	}
	for _, k := range aliyunCommon {
		if p[k] == "" {
			f.refuse(w, 400, "MissingParameter", k)
			return
		}
	}
	switch {
	case p["AccessKeyId"] != AliyunKeyID:
		f.refuse(w, 404, "InvalidAccessKeyId.NotFound", p["AccessKeyId"])
		return
	case p["Format"] != "JSON" || p["Version"] != "2016-11-01" || p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0":
		f.refuse(w, 400, "InvalidParameter", fmt.Sprint(p))
		return
	case aui.Sign(http.MethodPost, p, AliyunKeySecret) != p["Signature"]:
		f.refuse(w, 400, "SignatureDoesNotMatch", aui.StringToSign(http.MethodPost, p))
		return
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p["Timestamp"])
	if err != nil || f.now().Sub(ts).Abs() > 15*time.Minute {
		f.refuse(w, 400, "InvalidTimeStamp.Expired", p["Timestamp"])
		return
	}
	action := p["Action"]
	need, ok := aliyunActions[action]
	if !ok {
		f.refuse(w, 404, "InvalidAction.NotFound", action)
		return
	}
	call := AliyunCall{Action: action, Params: map[string]string{}}
	for k, v := range p {
		if !contains(aliyunCommon, k) {
			call.Params[k] = v
		}
	}
	for _, k := range need {
		if call.Params[k] == "" {
			f.refuse(w, 400, "MissingParameter", action+" without "+k)
			return
		}
	}
	if len(call.Params) != len(need) {
		f.refuse(w, 400, "InvalidParameter", fmt.Sprintf("%s with %v", action, call.Params))
		return
	}
	if call.Params["AppId"] != AliyunIMApp && !newIMActions[action] {
		f.refuse(w, 400, "InvalidAppId", call.Params["AppId"])
		return
	}
	f.mu.Lock()
	if f.nonces[p["SignatureNonce"]] {
		f.mu.Unlock()
		f.refuse(w, 400, "SignatureNonceUsed", p["SignatureNonce"])
		return
	}
	f.nonces[p["SignatureNonce"]] = true
	f.calls = append(f.calls, call)
	status := f.Fail[action]
	f.groups++
	n := f.groups
	stats := f.Stats
	muted := f.Muted[call.Params["UserIdList"]]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"RequestId": "req-fail", "Code": "Throttling", "Message": "fake failure"})
		return
	}
	var result any
	switch action {
	case "CreateMessageGroup":
		result = M{"GroupId": fmt.Sprintf("grp-%d", n)}
	case "GetMessageToken":
		result = M{"AccessToken": "im-token-" + call.Params["UserId"] + "-" + call.Params["DeviceId"], "RefreshToken": "refresh"}
	case "GetGroupStatistics":
		result = M{"LikeCount": stats["like"], "OnlineCount": stats["online"], "PV": stats["pv"], "UV": stats["uv"]}
	case "ListMessageGroupUserById":
		result = M{"UserList": []M{{"IsMute": len(muted) > 0, "MuteBy": muted}}}
	case "CreateLiveMessageGroup":
		json.NewEncoder(w).Encode(M{"RequestId": "req-1", "GroupId": call.Params["GroupId"]})
		return
	case "SendMessageToGroup":
		result = M{"MessageId": fmt.Sprintf("msg-%d", n)}
	case "SendLiveMessageGroup":
		json.NewEncoder(w).Encode(M{"RequestId": "req-1", "MessageId": fmt.Sprintf("msg-%d", n)})
		return
	}
	json.NewEncoder(w).Encode(M{"RequestId": "req-1", "Result": result})
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Calls are the calls made so far.
func (f *FakeAliyun) Calls() []AliyunCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]AliyunCall(nil), f.calls...)
}

// Of are the calls of action made so far.
func (f *FakeAliyun) Of(action string) []AliyunCall {
	var out []AliyunCall
	for _, c := range f.Calls() {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// Count is how many calls of action were made.
func (f *FakeAliyun) Count(action string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

// Endpoint is the fake as the aui_live configuration names it.
func (f *FakeAliyun) Endpoint() string {
	u, _ := url.Parse(f.URL)
	return "http://" + u.Host
}

func (f *FakeAliyun) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

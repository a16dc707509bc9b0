package tests

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"sxb-edu/goclass"
)

// The ZEGO apps of the test configuration.
const (
	ZegoSmallApp    = 1234567890
	ZegoLargeApp    = 1023456789
	ZegoSmallSecret = "SmallSecret0123456789abcdefABCDEF"
	ZegoLargeSecret = "LargeSecret0123456789abcdefABCDEF"
	ZegoSign        = "0x01,0x23,0x45,0x67,0x89,0xab,0xcd,0xef,0x01,0x23,0x45,0x67,0x89,0xab,0xcd,0xef,0xff,0xee"
)

// FakeZego is ZEGO's server API: it hands out access tokens for a
// correctly signed /cgi/token and records every other call, failing the
// test on a call that is not what the reference sends.
type FakeZego struct {
	T   testing.TB
	URL string // the endpoint, with {app_id}

	mu     sync.Mutex
	calls  []ZegoCall
	tokens map[string]int64 // access token -> app id
	fail   map[string]int   // path -> code to answer
}

// ZegoCall is one call the server made.
type ZegoCall struct {
	AppID int64
	Path  string // /cgi/sendmsg, /cgi/clearroom, /cgi/im/chat, /cgi/token
	Body  map[string]any
	Raw   []byte
}

// ZegoMsg is a room notification: /cgi/sendmsg's msg_content.
type ZegoMsg struct {
	Room string
	To   []string
	Cmd  int
	Data map[string]any
	Raw  string // msg_content as sent
}

// NewFakeZego starts a fake server API.
func NewFakeZego(t testing.TB) *FakeZego {
	f := &FakeZego{T: t, tokens: map[string]int64{}, fail: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/zego/{app_id}"
	return f
}

var zegoSecrets = map[int64]string{ZegoSmallApp: ZegoSmallSecret, ZegoLargeApp: ZegoLargeSecret}

func (f *FakeZego) answer(w http.ResponseWriter, code int, data any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": "fake " + strconv.Itoa(code), "data": data})
}

func (f *FakeZego) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/zego/")
	app, path, _ := strings.Cut(rest, "/")
	appID, err := strconv.ParseInt(app, 10, 64)
	if !ok || err != nil || zegoSecrets[appID] == "" {
		f.T.Errorf("zego: call to %s: no app id in the path", r.URL.Path)
		http.NotFound(w, r)
		return
	}
	path = "/" + path
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if r.Method != http.MethodPost || json.Unmarshal(raw, &body) != nil {
		f.T.Errorf("zego: %s %s with body %s", r.Method, path, raw)
		f.answer(w, 1, nil)
		return
	}
	num := func(k string) int64 { v, _ := body[k].(float64); return int64(v) }
	if num("version") != 1 || num("seq") != appID {
		f.T.Errorf("zego: %s: version/seq wrong in %s", path, raw)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if path == "/cgi/token" {
		if num("app_id") != appID || num("biz_type") != 1 {
			f.T.Errorf("zego: /cgi/token: app_id/biz_type wrong in %s", raw)
		}
		tb, _ := base64.StdEncoding.DecodeString(fmt.Sprint(body["token"]))
		var tok struct {
			Ver     int    `json:"ver"`
			Hash    string `json:"hash"`
			Nonce   string `json:"nonce"`
			Expired int64  `json:"expired"`
		}
		json.Unmarshal(tb, &tok)
		sum := md5.Sum([]byte(fmt.Sprintf("%d%s%s%d", appID, strings.ToLower(zegoSecrets[appID]), tok.Nonce, tok.Expired)))
		if tok.Ver != 1 || len(tok.Nonce) != 16 || tok.Hash != hex.EncodeToString(sum[:]) {
			f.T.Errorf("zego: /cgi/token: bad signature in %s", tb)
			f.answer(w, 50001, nil)
			return
		}
		access := fmt.Sprintf("access-%d-%d", appID, len(f.tokens))
		f.tokens[access] = appID
		f.calls = append(f.calls, ZegoCall{appID, path, body, raw})
		f.answer(w, 0, map[string]any{"access_token": access, "expires_in": 7200})
		return
	}
	if f.tokens[fmt.Sprint(body["access_token"])] != appID {
		f.T.Errorf("zego: %s without a valid access token: %s", path, raw)
	}
	switch path {
	case "/cgi/sendmsg":
		if body["src_user_account"] != "system" || body["room_id"] == "" || body["msg_content"] == nil {
			f.T.Errorf("zego: sendmsg: %s", raw)
		}
	case "/cgi/clearroom":
	case "/cgi/im/chat":
		if num("msg_category") != 2 || num("msg_type") != 1 || num("msg_priority") != 3 {
			f.T.Errorf("zego: im/chat: %s", raw)
		}
	default:
		f.T.Errorf("zego: unknown path %s", path)
	}
	f.calls = append(f.calls, ZegoCall{appID, path, body, raw})
	f.answer(w, f.fail[path], nil)
}

// Fail makes path answer code (0: succeed again).
func (f *FakeZego) Fail(path string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[path] = code
}

// Calls returns the calls so far and forgets them.
func (f *FakeZego) Calls() []ZegoCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// Msgs returns the room notifications so far (forgetting every call).
func (f *FakeZego) Msgs() []ZegoMsg {
	var out []ZegoMsg
	for _, c := range f.Calls() {
		if c.Path != "/cgi/sendmsg" {
			continue
		}
		m := ZegoMsg{Room: fmt.Sprint(c.Body["room_id"]), Raw: fmt.Sprint(c.Body["msg_content"])}
		if d, ok := c.Body["dst_user_account"].([]any); ok {
			for _, u := range d {
				m.To = append(m.To, u.(string))
			}
		}
		var content struct {
			Cmd  int            `json:"cmd"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(m.Raw), &content); err != nil {
			f.T.Errorf("zego: msg_content %q: %v", m.Raw, err)
		}
		m.Cmd, m.Data = content.Cmd, content.Data
		out = append(out, m)
	}
	return out
}

// ZegoConfig is a "zego" section against f: small classes of 4 people
// with 3 co-streaming seats, large ones of 6 with 2.
func ZegoConfig(f *FakeZego) *goclass.Config {
	return &goclass.Config{Endpoint: f.URL, HeartbeatInterval: 30, DestroyBuffer: 60,
		Small: goclass.Class{AppID: ZegoSmallApp, AppSecret: ZegoSmallSecret, AppSign: ZegoSign,
			MaxPeople: 4, MaxJoinLive: 3, DefaultCamera: 2, DefaultMic: 2, AllowCamera: 2, AllowMic: 2},
		Large: goclass.Class{AppID: ZegoLargeApp, AppSecret: ZegoLargeSecret, AppSign: ZegoSign,
			MaxPeople: 6, MaxJoinLive: 2, DefaultCamera: 1, DefaultMic: 1, AllowCamera: 1, AllowMic: 1},
	}
}

// GoClassAnswer is one answer of the GO课堂 API.
type GoClassAnswer struct {
	Status  int
	Header  http.Header
	Raw     []byte
	Code    int
	Message string
	Ret     map[string]any
	Data    json.RawMessage
	HasData bool
}

// GoClass posts body (JSON-encoded unless []byte) to /edu_room/cmd.
func (h *Env) GoClass(cmd string, body any) GoClassAnswer {
	h.T.Helper()
	b, ok := body.([]byte)
	if !ok {
		b, _ = json.Marshal(body)
	}
	resp, err := http.Post(h.HTTP.URL+"/edu_room/"+cmd, "application/json", bytes.NewReader(b))
	if err != nil {
		h.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return ParseGoClass(h.T, resp, raw)
}

// ParseGoClass reads an answer of the GO课堂 API.
func ParseGoClass(t testing.TB, resp *http.Response, raw []byte) GoClassAnswer {
	t.Helper()
	a := GoClassAnswer{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	var top map[string]json.RawMessage
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &top) != nil {
		return a
	}
	json.Unmarshal(top["ret"], &a.Ret)
	c, _ := a.Ret["code"].(float64)
	a.Code = int(c)
	a.Message, _ = a.Ret["message"].(string)
	a.Data, a.HasData = top["data"]
	return a
}

// Want fails the test unless the answer is HTTP 200 with ret.code code.
func (a GoClassAnswer) Want(t testing.TB, code int) GoClassAnswer {
	t.Helper()
	if a.Status != http.StatusOK || a.Code != code || a.Ret == nil {
		t.Fatalf("want code %d, got HTTP %d %s", code, a.Status, a.Raw)
	}
	return a
}

// Decode unmarshals data into v.
func (a GoClassAnswer) Decode(t testing.TB, v any) {
	t.Helper()
	if !a.HasData {
		t.Fatalf("answer has no data: %s", a.Raw)
	}
	if err := json.Unmarshal(a.Data, v); err != nil {
		t.Fatalf("data %s: %v", a.Data, err)
	}
}

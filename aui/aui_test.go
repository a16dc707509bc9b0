package aui_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sxb-edu/aui"
)

// The signature example of Alibaba Cloud's RPC signing documentation.
func TestSignPublishedExample(t *testing.T) {
	p := map[string]string{"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
		"SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
	want := "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1" +
		"%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0" +
		"%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
	if got := aui.StringToSign("GET", p); got != want {
		t.Fatalf("string to sign\n%s\nwant\n%s", got, want)
	}
	if got := aui.Sign("GET", p, "testsecret"); got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" {
		t.Fatalf("signature %s", got)
	}
	// Only A-Z a-z 0-9 - _ . ~ stay as they are (a space is %20, * is %2A).
	if got := aui.StringToSign("POST", map[string]string{"K": "a b*~"}); got != "POST&%2F&K%3Da%2520b%252A~" {
		t.Fatalf("encoding: %s", got)
	}
}

func TestClientCall(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = map[string]string{}
		for k, v := range r.Form {
			got[k] = v[0]
		}
		if aui.Sign(r.Method, got, "sk") != got["Signature"] {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"Code": "SignatureDoesNotMatch", "Message": "no", "RequestId": "r1"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"RequestId": "r2", "Result": map[string]string{"GroupId": "g1"}})
	}))
	defer srv.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &aui.Client{Cfg: aui.OpenAPI{Endpoint: srv.URL, AccessKeyID: "ak", AccessKeySecret: "sk", Region: "cn-shanghai"},
		Now: func() time.Time { return now }}
	var out struct{ Result struct{ GroupId string } }
	if err := c.Call(context.Background(), "CreateMessageGroup", map[string]string{"AppId": "app", "CreatorId": "u", "Empty": ""}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Result.GroupId != "g1" || got["Action"] != "CreateMessageGroup" || got["Version"] != "2016-11-01" ||
		got["RegionId"] != "cn-shanghai" || got["Timestamp"] != "2026-01-02T03:04:05Z" || got["AccessKeyId"] != "ak" ||
		got["Format"] != "JSON" || got["AppId"] != "app" || got["SignatureNonce"] == "" {
		t.Fatalf("sent %v, got %+v", got, out)
	}
	if _, ok := got["Empty"]; ok {
		t.Fatal("an empty parameter was sent")
	}
	c.Cfg.AccessKeySecret = "wrong"
	var e *aui.Error
	if err := c.Call(context.Background(), "CreateMessageGroup", nil, &out); !errors.As(err, &e) || e.Code != "SignatureDoesNotMatch" || e.Status != 400 || e.RequestID != "r1" {
		t.Fatalf("error answer: %v", err)
	}
}

func TestStreamURLs(t *testing.T) {
	s := aui.Stream{PushDomain: "push.x", PushAuthKey: "pk", PullDomain: "pull.x", PullAuthKey: "qk", Scheme: "https", AuthExpires: 100}
	md := func(v string) string { return fmt.Sprintf("%x", md5.Sum([]byte(v))) }
	if got := aui.AuthKey("/live/s1", "qk", 1100); got != "1100-0-0-"+md("/live/s1-1100-0-0-qk") {
		t.Fatalf("auth key %s", got)
	}
	p := s.PullURLs("live", "s1", 1000)
	if p.HLS != "https://pull.x/live/s1.m3u8?auth_key=1100-0-0-"+md("/live/s1.m3u8-1100-0-0-qk") ||
		p.FLV != "https://pull.x/live/s1.flv?auth_key=1100-0-0-"+md("/live/s1.flv-1100-0-0-qk") ||
		p.RTMP != "rtmp://pull.x/live/s1?auth_key=1100-0-0-"+md("/live/s1-1100-0-0-qk") ||
		p.RTS != "artc://pull.x/live/s1?auth_key=1100-0-0-"+md("/live/s1-1100-0-0-qk") {
		t.Fatalf("pull %+v", p)
	}
	if u := s.PushURLs("live", "s1", 1000); u.SRT != "srt://push.x/live/s1?auth_key=1100-0-0-"+md("/live/s1-1100-0-0-pk") {
		t.Fatalf("push %+v", u)
	}
	m := aui.Mic{AppID: "a", AppKey: "k"}
	if got, want := m.RTCToken("ch", "u", 99), fmt.Sprintf("%x", sha256.Sum256([]byte("akchu99"))); got != want {
		t.Fatalf("rtc token %s, want %s", got, want)
	}
	if got := m.RTCURL("play", "ch", "u", 99); got != "artc://live.aliyun.com/play/ch?sdkAppId=a&userId=u&timestamp=99&token="+m.RTCToken("ch", "u", 99) {
		t.Fatalf("rtc url %s", got)
	}
	if m.MixStream("ch", "anc") != "a_ch_anc_camera" {
		t.Fatal(m.MixStream("ch", "anc"))
	}
}

func TestTokens(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tk := &aui.Tokens{Keys: [][]byte{[]byte("mine"), []byte("theirs")}, Now: func() time.Time { return now }}
	s, err := tk.Sign(jwt.MapClaims{"id": "a", "exp": now.Unix() + 10})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tk.Parse(s); err != nil || c["id"] != "a" {
		t.Fatalf("own token: %v %v", c, err)
	}
	theirs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"id": "b", "exp": now.Unix() + 10}).SignedString([]byte("theirs"))
	if c, err := tk.Parse(theirs); err != nil || c["id"] != "b" {
		t.Fatalf("second key's token: %v %v", c, err)
	}
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"id": "c", "exp": now.Unix() - 1}).SignedString([]byte("mine"))
	if c, err := tk.Parse(expired); !errors.Is(err, aui.ErrExpired) || c["id"] != "c" {
		t.Fatalf("expired: %v %v", c, err)
	}
	other, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"id": "d"}).SignedString([]byte("nobody's"))
	if _, err := tk.Parse(other); !errors.Is(err, aui.ErrSignature) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := tk.Parse("a.b"); err == nil || err.Error() != "token contains an invalid number of segments" {
		t.Fatalf("malformed: %v", err)
	}
	if _, err := tk.Parse("x.y.z"); err == nil || err.Error() != "illegal base64 data at input byte 0" {
		t.Fatalf("bad base64: %v", err)
	}
}

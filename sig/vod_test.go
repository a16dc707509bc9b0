package sig

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// Vectors computed outside Go from docs/protocol.md §10 (vod get_sign).
func TestVODSignKnownAnswers(t *testing.T) {
	t.Parallel()
	params := map[string]string{"Action": "DescribeVodInfo", "Nonce": "11886", "Region": "gz",
		"Timestamp": "1465185768", "fileIds_0": "abc", "SecretId": "AKIDtest"}
	text := VODSignText("GET", "vod.api.qcloud.com", "/v2/index.php", params)
	const wantText = "GETvod.api.qcloud.com/v2/index.php?Action=DescribeVodInfo&Nonce=11886&Region=gz&SecretId=AKIDtest&Timestamp=1465185768&fileIds.0=abc"
	if text != wantText {
		t.Fatalf("text\n got %s\nwant %s", text, wantText)
	}
	if got := VODSign(text, "secretkey", HmacSHA1); got != "C1IokovXHUn0I3ngg+0wyVkETZw=" {
		t.Errorf("HmacSHA1 sign %s", got)
	}
	if got := VODSign(text, "secretkey", HmacSHA256); got != "6pQ4aRU8Q+U7n7tbzWCvE040TD8APudqvtjlKNkG11U=" {
		t.Errorf("HmacSHA256 sign %s", got)
	}
}

func TestVODSignTextOrder(t *testing.T) {
	t.Parallel()
	// PHP ksort: integer-like keys numerically, strings bytewise ("B" < "a"),
	// "_" becomes "." after sorting, values verbatim.
	got := VODSignText("POST", "h", "/p", map[string]string{"10": "x", "9": "y", "a_b": "1 2&", "B": ""})
	if want := "POSTh/p?9=y&10=x&B=&a.b=1 2&"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := VODSignText("GET", "h", "/", nil); got != "GETh/?" {
		t.Fatalf("empty params: %s", got)
	}
}

func TestVODClientSign(t *testing.T) {
	t.Parallel()
	got := VODClientSign("AKIDtest", "secretkey", 1700000000, 1700172800, 99)
	if want := "ncrh8djeskD2NVEAieDLGs6QZ7JzZWNyZXRJZD1BS0lEdGVzdCZjdXJyZW50VGltZVN0YW1wPTE3MDAwMDAwMDAmZXhwaXJlVGltZT0xNzAwMTcyODAwJnJhbmRvbT05OQ=="; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// A secret id needing escapes is URL-encoded in the text.
	raw, _ := base64.StdEncoding.DecodeString(VODClientSign("a b&c", "k", 1, 2, 3))
	text := string(raw[sha1.Size:])
	if text != "secretId=a+b%26c&currentTimeStamp=1&expireTime=2&random=3" {
		t.Fatalf("text %q", text)
	}
	m := hmac.New(sha1.New, []byte("k"))
	m.Write([]byte(text))
	if !hmac.Equal(raw[:sha1.Size], m.Sum(nil)) {
		t.Fatal("HMAC does not verify")
	}
}

// checkTC3 verifies a TC3-HMAC-SHA256 request signature (Tencent Cloud API
// v3) made with secretID/secretKey for service, from what arrived.
func checkTC3(r *http.Request, body []byte, secretID, secretKey, service string) error {
	auth := r.Header.Get("Authorization")
	const algo = "TC3-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return fmt.Errorf("authorization %q", auth)
	}
	parts := map[string]string{}
	for _, p := range strings.Split(strings.TrimPrefix(auth, algo), ", ") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	ts := r.Header.Get("X-TC-Timestamp")
	var sec int64
	if _, err := fmt.Sscan(ts, &sec); err != nil {
		return fmt.Errorf("X-TC-Timestamp %q", ts)
	}
	date := time.Unix(sec, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	if parts["Credential"] != secretID+"/"+scope || parts["SignedHeaders"] != "content-type;host" {
		return fmt.Errorf("credential/signed headers in %q", auth)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	hm := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	canonical := r.Method + "\n/\n" + r.URL.RawQuery + "\ncontent-type:" + r.Header.Get("Content-Type") +
		"\nhost:" + r.Host + "\n\ncontent-type;host\n" + sum(string(body))
	toSign := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + sum(canonical)
	k := hm(hm(hm([]byte("TC3"+secretKey), date), service), "tc3_request")
	if want := hex.EncodeToString(hm(k, toSign)); parts["Signature"] != want {
		return fmt.Errorf("signature %s, want %s", parts["Signature"], want)
	}
	return nil
}

// fakeVOD answers DescribeMediaInfos with one media per known file id.
type fakeVOD struct {
	mu     sync.Mutex
	bodies []map[string]any
}

func (f *fakeVOD) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	reply := func(v any) { w.Header().Set("Content-Type", "application/json"); _ = json.NewEncoder(w).Encode(v) }
	errReply := func(code, msg string) {
		reply(map[string]any{"Response": map[string]any{"Error": map[string]any{"Code": code, "Message": msg}, "RequestId": "req-err"}})
	}
	if err := checkTC3(r, body, "AKIDtest", "secretkey", "vod"); err != nil {
		errReply("AuthFailure.SignatureFailure", err.Error())
		return
	}
	if r.Header.Get("X-TC-Action") != "DescribeMediaInfos" || r.Header.Get("X-TC-Version") != "2018-07-17" {
		errReply("InvalidAction", r.Header.Get("X-TC-Action"))
		return
	}
	var req struct {
		FileIds []string
		Filters []string
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	f.mu.Lock()
	f.bodies = append(f.bodies, m)
	f.mu.Unlock()
	if err := json.Unmarshal(body, &req); err != nil || len(req.FileIds) == 0 {
		errReply("MissingParameter", "FileIds")
		return
	}
	set := []any{}
	for _, id := range req.FileIds {
		set = append(set, map[string]any{"FileId": id, "BasicInfo": map[string]any{"Name": "video " + id}})
	}
	reply(map[string]any{"Response": map[string]any{"MediaInfoSet": set, "NotExistFileIdSet": []string{}, "RequestId": "req-1"}})
}

func TestVODMediaInfos(t *testing.T) {
	t.Parallel()
	f := &fakeVOD{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	v := VOD{SecretID: "AKIDtest", SecretKey: "secretkey", Endpoint: srv.URL, Region: "ap-guangzhou", Timeout: 5}

	resp, err := v.MediaInfos([]string{"f1", "f2"}, []string{"basicInfo"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range resp.Response.MediaInfoSet {
		names = append(names, *m.FileId+"="+*m.BasicInfo.Name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "f1=video f1,f2=video f2" {
		t.Fatalf("media %v", names)
	}
	if got, _ := json.Marshal(f.bodies[0]); string(got) != `{"FileIds":["f1","f2"],"Filters":["basicInfo"]}` {
		t.Fatalf("request body %s", got)
	}

	// A cloud error arrives as the SDK's error, code and message intact.
	_, err = v.MediaInfos(nil, nil)
	var ce *tcerr.TencentCloudSDKError
	if !errors.As(err, &ce) || ce.Code != "MissingParameter" || ce.Message != "FileIds" {
		t.Fatalf("error %v", err)
	}
	// A wrong key fails the fake's signature check.
	v.SecretKey = "wrong"
	if _, err := v.MediaInfos([]string{"f1"}, nil); !errors.As(err, &ce) || ce.Code != "AuthFailure.SignatureFailure" {
		t.Fatalf("wrong key: %v", err)
	}
	// Unreachable endpoint: a client-side error, not a hang.
	srv.Close()
	v.SecretKey = "secretkey"
	if _, err := v.MediaInfos([]string{"f1"}, nil); !errors.As(err, &ce) || !strings.HasPrefix(ce.Code, "ClientError") {
		t.Fatalf("closed endpoint: %v", err)
	}
}

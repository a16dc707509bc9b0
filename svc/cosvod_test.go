package svc_test

// End-to-end tests of cos get_sign and vod get_sign / get_client_sign /
// cmd_proxy over real HTTP. Every signature is recomputed here from the
// published formula, independently of sig/.

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

const (
	cloudAppID = "1250000000"
	secretID   = "AKIDe2eTest"
	secretKey  = "e2eSecretKey"
)

func withCloud(vodEndpoint string) func(*server.Config) {
	return func(c *server.Config) {
		c.Cloud = svc.Cloud{AppID: cloudAppID, SecretID: secretID, SecretKey: secretKey}
		c.COS = svc.COS{Bucket: "sxbedu", Region: "ap-guangzhou", Expiration: time.Hour, PreviewTag: "pv"}
		c.VOD.ClientSignExpire = 2 * time.Hour
		c.VOD.Endpoint = vodEndpoint
	}
}

func hmacSHA1(key, msg string) []byte {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// openSign decodes base64(HMAC-SHA1(key, text) ++ text), checks the HMAC
// and returns the text.
func openSign(t *testing.T, sign string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(sign)
	if err != nil || len(raw) <= sha1.Size {
		t.Fatalf("sign %q: %v", sign, err)
	}
	text := string(raw[sha1.Size:])
	if !hmac.Equal(raw[:sha1.Size], hmacSHA1(secretKey, text)) {
		t.Fatalf("HMAC of %q does not verify", text)
	}
	return text
}

// checkRandom: r is PHP rand()'s range.
func checkRandom(t *testing.T, r string) {
	t.Helper()
	if n, err := strconv.ParseInt(r, 10, 64); err != nil || n < 0 || n > 1<<31-1 {
		t.Fatalf("random %q", r)
	}
}

// checkV4 verifies a COS v4 sign field by field (docs/protocol.md §10) and returns r.
func checkV4(t *testing.T, sign string, e, now int64, f, b string) string {
	t.Helper()
	fields := strings.Split(openSign(t, sign), "&")
	if len(fields) != 7 {
		t.Fatalf("fields %q", fields)
	}
	want := []string{"a=" + cloudAppID, "k=" + secretID, "e=" + strconv.FormatInt(e, 10),
		"t=" + strconv.FormatInt(now, 10), "", "f=" + f, "b=" + b}
	for i, w := range want {
		if i == 4 {
			if !strings.HasPrefix(fields[4], "r=") {
				t.Fatalf("field 5 %q", fields[4])
			}
			checkRandom(t, fields[4][2:])
			continue
		}
		if fields[i] != w {
			t.Fatalf("field %d = %q, want %q (all: %q)", i+1, fields[i], w, fields)
		}
	}
	return fields[4]
}

// checkV5 verifies a COS v5 authorization (q-* fields in order) against the
// documented algorithm, for method PUT on path with the given signed
// headers (formatted k=v) and header list.
func checkV5(t *testing.T, q url.Values, keys []string, path, headers, headerList string, ttl int64) {
	t.Helper()
	if keys != nil && strings.Join(keys, ",") != "q-sign-algorithm,q-ak,q-sign-time,q-key-time,q-header-list,q-url-param-list,q-signature" {
		t.Fatalf("authorization keys %v", keys)
	}
	if q.Get("q-sign-algorithm") != "sha1" || q.Get("q-ak") != secretID || q.Get("q-header-list") != headerList || q.Get("q-url-param-list") != "" {
		t.Fatalf("authorization %v", q)
	}
	st := q.Get("q-sign-time")
	a, b, _ := strings.Cut(st, ";")
	start, _ := strconv.ParseInt(a, 10, 64)
	end, _ := strconv.ParseInt(b, 10, 64)
	if q.Get("q-key-time") != st || end-start != ttl || start < time.Now().Unix()-5 || start > time.Now().Unix()+5 {
		t.Fatalf("sign/key time %q/%q, want now;now+%d", st, q.Get("q-key-time"), ttl)
	}
	signKey := hex.EncodeToString(hmacSHA1(secretKey, st))
	httpString := "put\n" + path + "\n\n" + headers + "\n"
	sum := sha1.Sum([]byte(httpString))
	want := hex.EncodeToString(hmacSHA1(signKey, "sha1\n"+st+"\n"+hex.EncodeToString(sum[:])+"\n"))
	if q.Get("q-signature") != want {
		t.Fatalf("q-signature %s, want %s", q.Get("q-signature"), want)
	}
}

func parseAuthorization(t *testing.T, a string) (url.Values, []string) {
	t.Helper()
	v, keys := url.Values{}, []string{}
	for _, kv := range strings.Split(a, "&") {
		k, val, _ := strings.Cut(kv, "=")
		v.Set(k, val)
		keys = append(keys, k)
	}
	return v, keys
}

type cosData struct {
	Sign          string  `json:"sign"`
	Bucket        string  `json:"bucket"`
	Region        string  `json:"region"`
	PreviewTag    string  `json:"preview_tag"`
	Authorization string  `json:"authorization"`
	UploadURL     *string `json:"upload_url"`
}

func TestCOSGetSign(t *testing.T) {
	h := tests.New(t, func(c *server.Config) {
		withCloud("")(c)
		c.COS.Prefixes = map[string][]string{"student": {"/"}} // the whole bucket, as the original
	})
	tok := h.User(tests.AppA, "student1", 0)
	now := h.Unix()
	get := func(f tests.M) cosData {
		t.Helper()
		var d cosData
		h.Call(tests.AppA, tok, "cos", "get_sign", f).Want(t, 0).Decode(t, &d)
		return d
	}

	// Reusable, no file: the whole bucket, no upload URL.
	d := get(tests.M{"type": 0})
	r1 := checkV4(t, d.Sign, now+3600, now, "", "sxbedu")
	if d.Bucket != "sxbedu" || d.Region != "ap-guangzhou" || d.PreviewTag != "pv" || d.UploadURL != nil {
		t.Fatalf("data %+v", d)
	}
	q, keys := parseAuthorization(t, d.Authorization)
	checkV5(t, q, keys, "/", "", "", 3600)

	// Reusable with a file (slash added); v5 authorization and upload URL
	// for the object key.
	d = get(tests.M{"type": 0, "file_path": "dir/a b.png", "bucket": ""})
	r2 := checkV4(t, d.Sign, now+3600, now, "/dir/a b.png", "sxbedu")
	q, keys = parseAuthorization(t, d.Authorization)
	checkV5(t, q, keys, "/dir/a b.png", "", "", 3600)
	if d.UploadURL == nil {
		t.Fatalf("no upload_url: %+v", d)
	}
	u, err := url.Parse(*d.UploadURL)
	const host = "sxbedu-" + cloudAppID + ".cos.ap-guangzhou.myqcloud.com"
	if err != nil || u.Scheme != "https" || u.Host != host || u.Path != "/dir/a b.png" {
		t.Fatalf("upload_url %s", *d.UploadURL)
	}
	checkV5(t, u.Query(), nil, "/dir/a b.png", "host="+host, "host", 3600)

	// One-time: e=0, f=/appid/bucket/path.
	d = get(tests.M{"type": 1, "file_path": "/dir/b.png"})
	r3 := checkV4(t, d.Sign, 0, now, "/"+cloudAppID+"/sxbedu/dir/b.png", "sxbedu")
	if d.UploadURL == nil || !strings.Contains(*d.UploadURL, "/dir/b.png?") {
		t.Fatalf("one-time data %+v", d)
	}
	if r1 == r2 && r2 == r3 {
		t.Fatalf("random %s repeated", r1)
	}

	// A client's own bucket: signed for it, region unknown ("").
	d = get(tests.M{"type": 1, "file_path": "x.mp4", "bucket": "mybucket"})
	checkV4(t, d.Sign, 0, now, "/"+cloudAppID+"/mybucket/x.mp4", "mybucket")
	if d.Bucket != "mybucket" || d.Region != "" || d.UploadURL == nil ||
		!strings.HasPrefix(*d.UploadURL, "https://mybucket-"+cloudAppID+".cos.ap-guangzhou.myqcloud.com/x.mp4?") {
		t.Fatalf("own bucket %+v", d)
	}

	// A name that cannot be a host name: the legacy sign only (as the
	// reference gave), no v5 authorization or URL.
	for _, name := range []string{"Bad.Bucket", "evil.example/x"} {
		var raw map[string]any
		h.Call(tests.AppA, tok, "cos", "get_sign", tests.M{"type": 1, "file_path": "/y", "bucket": name}).Want(t, 0).Decode(t, &raw)
		d = get(tests.M{"type": 1, "file_path": "/y", "bucket": name})
		checkV4(t, d.Sign, 0, now, "/"+cloudAppID+"/"+name+"/y", name)
		if _, ok := raw["authorization"]; ok || d.UploadURL != nil || d.Bucket != name || d.Region != "" {
			t.Fatalf("bucket %q: %v", name, raw)
		}
	}

	// The clock the v4 sign uses is the service's.
	h.Advance(time.Hour)
	d = get(tests.M{"type": 0, "file_path": "/a"})
	checkV4(t, d.Sign, now+7200, now+3600, "/a", "sxbedu")
}

// By default a signature is made only under the caller's paths: teachers
// for courseware, covers and their own folder, students for their own
// folder; never the whole bucket.
func TestCOSPrefixes(t *testing.T) {
	h := tests.New(t, withCloud(""))
	teacher, student := h.User(tests.AppA, "t1", 1), h.User(tests.AppA, "s1", 0)
	for _, c := range []struct {
		tok  string
		typ  int
		path string
		ok   bool
	}{
		{teacher, 1, "/courseware/lesson1.pptx", true}, {teacher, 0, "/cover/c.png", true},
		{teacher, 1, "users/t1/notes.pdf", true}, {student, 1, "/users/s1/homework.png", true},
		{student, 1, "/courseware/x.pptx", false}, {student, 1, "/cover/c.png", false},
		{student, 1, "db/dump.sql", false}, {student, 1, "/users/t1/x", false}, {student, 1, "/users/s1", false},
		{student, 0, "", false}, {teacher, 0, "", false}, {teacher, 1, "/db/dump.sql", false},
		{student, 1, "//users/s1/x", false}, {student, 1, "/users/s1/a\x00b", false},
	} {
		a := h.Call(tests.AppA, c.tok, "cos", "get_sign", tests.M{"type": c.typ, "file_path": c.path})
		if c.path == "" {
			a = h.Call(tests.AppA, c.tok, "cos", "get_sign", tests.M{"type": c.typ})
		}
		switch {
		case c.ok && a.Code != 0:
			t.Errorf("%s %q refused: %s", c.tok[:4], c.path, a.Raw)
		case !c.ok && (a.Code != 10003 || !strings.Contains(a.Info, "outside the paths")):
			t.Errorf("%q signed or misanswered: %s", c.path, a.Raw)
		}
	}
}

func TestCOSGetSignErrors(t *testing.T) {
	h := tests.New(t, withCloud(""))
	tok := h.User(tests.AppA, "t1", 1)
	for _, c := range []struct {
		body tests.M
		info string
	}{
		{tests.M{}, "Lack of type"},
		{tests.M{"type": nil}, "Lack of type"},
		{tests.M{"type": "0"}, "invalid type"},
		{tests.M{"type": 2}, "invalid type"},
		{tests.M{"type": -1}, "invalid type"},
		{tests.M{"type": json.Number("1.0")}, "invalid type"}, {tests.M{"type": json.Number("0e0")}, "invalid type"},
		{tests.M{"type": json.Number("0.0")}, "invalid type"},
		{tests.M{"type": true}, "invalid type"},
		{tests.M{"type": "x", "bucket": 5}, "invalid type"},
		{tests.M{"type": 0, "bucket": 5}, "invalid bucket"},
		{tests.M{"type": 0, "bucket": tests.M{}}, "invalid bucket"},
		{tests.M{"type": 1, "bucket": 5}, "invalid bucket"},
		{tests.M{"type": 1}, "Lack of file_path"},
		{tests.M{"type": 1, "file_path": nil}, "Lack of file_path"},
		{tests.M{"type": 1, "file_path": 5}, "invalid file_path"},
		{tests.M{"type": 1, "file_path": []any{"a"}}, "invalid file_path"},
		{tests.M{"type": 0, "file_path": false}, "invalid file_path"},
		// A path may not climb out of its directory.
		{tests.M{"type": 1, "file_path": "/a/../../other/x"}, "invalid file_path"},
		{tests.M{"type": 1, "file_path": ".."}, "invalid file_path"},
		{tests.M{"type": 0, "file_path": "a/..\\..\\b"}, "invalid file_path"},
	} {
		a := h.Call(tests.AppA, tok, "cos", "get_sign", c.body)
		if a.Status != 200 || a.Code != 10003 || a.Info != c.info || a.HasData {
			t.Errorf("%v: got %s, want 10003 %q", c.body, a.Raw, c.info)
		}
	}
	// The token checks come first.
	h.Call(tests.AppA, "", "cos", "get_sign", tests.M{"type": 0}).WantInfo(t, 10003, "Lack of token")
	h.Call(tests.AppA, "nope", "cos", "get_sign", tests.M{"type": 0}).WantInfo(t, 10009, "Token expired")
	h.Call(tests.AppB, tok, "cos", "get_sign", tests.M{"type": 0}).WantInfo(t, 10003, "appid is diff from appid of the user.")
}

func TestCloudNotConfigured(t *testing.T) {
	h := tests.New(t, nil)
	tok := h.User(tests.AppA, "s1", 0)
	a := h.Call(tests.AppA, tok, "cos", "get_sign", tests.M{"type": 0}).Want(t, 90000)
	for _, k := range []string{"cloud.appid", "cloud.secret_id", "cloud.secret_key", "cos.bucket", "cos.region"} {
		if !strings.Contains(a.Info, k) {
			t.Errorf("errorInfo %q does not name %s", a.Info, k)
		}
	}
	// Field errors still come first.
	h.Call(tests.AppA, tok, "cos", "get_sign", tests.M{}).WantInfo(t, 10003, "Lack of type")

	// Half configured: only what is missing is named.
	h2 := tests.New(t, func(c *server.Config) { c.Cloud.SecretID = "id"; c.COS.Bucket = "b" })
	tok2 := h2.User(tests.AppA, "s1", 0)
	a = h2.Call(tests.AppA, tok2, "cos", "get_sign", tests.M{"type": 0}).Want(t, 90000)
	if !strings.Contains(a.Info, "cloud.appid") || !strings.Contains(a.Info, "cloud.secret_key") || strings.Contains(a.Info, "secret_id") || strings.Contains(a.Info, "cos.bucket") {
		t.Errorf("errorInfo %q", a.Info)
	}

	vodBody := tests.M{"method": "GET", "host": "vod.api.qcloud.com", "path": "/v2/index.php", "params": tests.M{"Action": "GetVideoInfo", "fileId": "1"}}
	for _, cmd := range []string{"get_sign", "get_client_sign", "cmd_proxy"} {
		a := h.Call(tests.AppA, tok, "vod", cmd, vodBody).Want(t, 90000)
		if !strings.Contains(a.Info, "cloud.secret_id") || !strings.Contains(a.Info, "cloud.secret_key") || a.HasData {
			t.Errorf("vod %s: %s", cmd, a.Raw)
		}
	}
	// The rest of the server works.
	tt := h.User(tests.AppA, "t1", 1)
	h.Call(tests.AppA, tt, "live", "create", tests.M{"title": "x"}).Want(t, 0)
}

type vodSignData struct {
	Sign            string `json:"sign"`
	SecretID        string `json:"SecretId"`
	SignatureMethod string `json:"SignatureMethod"`
}

func TestVODGetSign(t *testing.T) {
	h := tests.New(t, func(c *server.Config) {
		withCloud("")(c)
		c.VOD.SignHosts = append(svc.DefaultSignHosts, "h")
	})
	tok := h.User(tests.AppA, "s1", 0)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

	var d vodSignData
	h.Call(tests.AppA, tok, "vod", "get_sign", tests.M{"method": "GET", "host": "vod.api.qcloud.com", "path": "/v2/index.php",
		"params": tests.M{"Action": "DescribeVodInfo", "Nonce": 123, "Region": "gz", "fileIds_0": "abc", "SecretId": "client's", "flag": true, "off": false, "none": nil, "f": 1.5}}).
		Want(t, 0).Decode(t, &d)
	text := "GETvod.api.qcloud.com/v2/index.php?Action=DescribeVodInfo&Nonce=123&Region=gz&SecretId=" + secretID + "&f=1.5&fileIds.0=abc&flag=1&none=&off="
	if want := b64(hmacSHA1(secretKey, text)); d.Sign != want || d.SecretID != secretID || d.SignatureMethod != "HmacSHA1" {
		t.Fatalf("data %+v, want sign %s over %s", d, want, text)
	}

	h.Call(tests.AppA, tok, "vod", "get_sign", tests.M{"method": "POST", "host": "h", "path": "/p",
		"params": tests.M{"Action": "ApplyUpload", "SignatureMethod": "HmacSHA256", "b_c": "x y"}}).Want(t, 0).Decode(t, &d)
	text = "POSTh/p?Action=ApplyUpload&SecretId=" + secretID + "&SignatureMethod=HmacSHA256&b.c=x y"
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(text))
	if want := b64(m.Sum(nil)); d.Sign != want || d.SignatureMethod != "HmacSHA256" {
		t.Fatalf("sha256 data %+v, want %s", d, want)
	}

	// Explicit HmacSHA1 is signed as a parameter; an empty list is no params.
	h.Call(tests.AppA, tok, "vod", "get_sign", tests.M{"method": "GET", "host": "h", "path": "", "params": tests.M{"Action": "GetVideoInfo", "SignatureMethod": "HmacSHA1"}}).Want(t, 0).Decode(t, &d)
	if want := b64(hmacSHA1(secretKey, "GETh?Action=GetVideoInfo&SecretId="+secretID+"&SignatureMethod=HmacSHA1")); d.Sign != want {
		t.Fatalf("explicit sha1: %+v", d)
	}

	// Only the allowed hosts and actions are signed: never another
	// product's API (the document's own example signs a CVM call).
	for _, c := range []struct {
		host, action string
		code         int
	}{
		{"cvm.api.qcloud.com", "DescribeInstances", svc.CodeReqData},
		{"cvm.tencentcloudapi.com", "TerminateInstances", svc.CodeReqData},
		{"vod.api.qcloud.com", "TerminateInstances", svc.CodeNoPrivilege},
		{"vod.tencentcloudapi.com", "DeleteMedia", svc.CodeNoPrivilege},
		{"vod.api.qcloud.com", "", svc.CodeNoPrivilege},
	} {
		params := tests.M{"Nonce": 1}
		if c.action != "" {
			params["Action"] = c.action
		}
		h.Call(tests.AppA, tok, "vod", "get_sign", tests.M{"method": "GET", "host": c.host, "path": "/v2/index.php", "params": params}).Want(t, c.code)
	}
	// An empty list of params has no Action: refused.
	h.Call(tests.AppA, tok, "vod", "get_sign", tests.M{"method": "GET", "host": "h", "path": "/", "params": []any{}}).Want(t, svc.CodeNoPrivilege)
	// The allow-list is the operator's to widen.
	h2 := tests.New(t, func(c *server.Config) {
		withCloud("")(c)
		c.VOD.SignHosts, c.VOD.SignActions = []string{"cvm.api.qcloud.com"}, []string{"DescribeInstances"}
	})
	tok2 := h2.User(tests.AppA, "s2", 0)
	h2.Call(tests.AppA, tok2, "vod", "get_sign", tests.M{"method": "GET", "host": "cvm.api.qcloud.com", "path": "/v2/index.php",
		"params": tests.M{"Action": "DescribeInstances"}}).Want(t, 0)
}

func TestVODGetSignErrors(t *testing.T) {
	h := tests.New(t, withCloud(""))
	tok := h.User(tests.AppA, "s1", 0)
	ok := tests.M{"method": "GET", "host": "vod.api.qcloud.com", "path": "/v2/index.php", "params": tests.M{"Action": "GetVideoInfo"}}
	with := func(k string, v any) tests.M {
		b := tests.M{}
		for kk, vv := range ok {
			b[kk] = vv
		}
		if v == "<delete>" {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		body tests.M
		info string
	}{
		{tests.M{}, "Lack of method"},
		{with("method", nil), "Lack of method"},
		{with("method", "PUT"), "invalid method"},
		{with("method", "get"), "invalid method"},
		{with("method", 1), "invalid method"},
		{with("host", "<delete>"), "Lack of host"},
		{with("host", 5), "invalid host"},
		{with("path", "<delete>"), "Lack of path"},
		{with("path", tests.M{}), "invalid path"},
		{with("params", "<delete>"), "Lack of params"},
		{with("params", nil), "Lack of params"},
		{with("params", "Action=x"), "invalid params"},
		{with("params", 5), "invalid params"},
		{with("params", tests.M{"SignatureMethod": "MD5"}), "invalid params.SignatureMethod"},
		{with("params", tests.M{"SignatureMethod": nil}), "invalid params.SignatureMethod"},
		{with("params", tests.M{"SignatureMethod": 1}), "invalid params.SignatureMethod"},
		{with("params", tests.M{"a": tests.M{"b": 1}}), "invalid params.a"},
		{with("params", tests.M{"list": []any{1}}), "invalid params.list"},
		{with("params", []any{"x", []any{}}), "invalid params.1"},
	}
	for _, c := range cases {
		a := h.Call(tests.AppA, tok, "vod", "get_sign", c.body)
		if a.Status != 200 || a.Code != 10003 || a.Info != c.info || a.HasData {
			t.Errorf("%v: got %s, want 10003 %q", c.body, a.Raw, c.info)
		}
	}
}

func TestVODGetClientSign(t *testing.T) {
	h := tests.New(t, withCloud(""))
	tok := h.User(tests.AppA, "s1", 0)
	var d struct {
		Sign     string `json:"sign"`
		SecretID string `json:"SecretId"`
	}
	// Fields are not read: extra ones change nothing.
	h.Call(tests.AppA, tok, "vod", "get_client_sign", tests.M{"method": 5}).Want(t, 0).Decode(t, &d)
	q, err := url.ParseQuery(openSign(t, d.Sign))
	if err != nil {
		t.Fatal(err)
	}
	now := h.Unix()
	if d.SecretID != secretID || q.Get("secretId") != secretID || q.Get("currentTimeStamp") != strconv.FormatInt(now, 10) ||
		q.Get("expireTime") != strconv.FormatInt(now+7200, 10) || len(q) != 4 {
		t.Fatalf("sign fields %v, data %+v", q, d)
	}
	checkRandom(t, q.Get("random"))
	if text := openSign(t, d.Sign); !strings.HasPrefix(text, "secretId=") || !strings.Contains(text, "&currentTimeStamp=") {
		t.Fatalf("field order: %s", text)
	}
}

// Without a setting, a client-upload signature lasts the original's 30
// days (expireTime = currentTimeStamp + 2592000).
func TestVODGetClientSignDefaultLifetime(t *testing.T) {
	h := tests.New(t, func(c *server.Config) {
		c.Cloud = svc.Cloud{AppID: cloudAppID, SecretID: secretID, SecretKey: secretKey}
	})
	tok := h.User(tests.AppA, "s1", 0)
	var d struct{ Sign string }
	h.Call(tests.AppA, tok, "vod", "get_client_sign", nil).Want(t, 0).Decode(t, &d)
	q, err := url.ParseQuery(openSign(t, d.Sign))
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := strconv.ParseInt(q.Get("currentTimeStamp"), 10, 64)
	exp, _ := strconv.ParseInt(q.Get("expireTime"), 10, 64)
	if cur != h.Unix() || exp-cur != 2592000 {
		t.Fatalf("currentTimeStamp %d, expireTime %d", cur, exp)
	}
}

// newFakeVOD holds two files, f1 and f2.
func newFakeVOD(t *testing.T) *tests.FakeVOD {
	at := time.Date(2018, 7, 17, 8, 0, 0, 0, time.UTC)
	file := func(id, name string) tests.VODMedia {
		return tests.VODMedia{FileID: id, Name: name, Cover: "http://cover/" + id, Play: "http://play/" + id + ".m3u8",
			Created: at, Size: 1000, Duration: 61.5}
	}
	return tests.NewFakeVOD(t, secretID, secretKey, file("f1", "lesson one"), file("f2", "lesson two"))
}

func proxyBody(params tests.M) tests.M {
	return tests.M{"method": "GET", "host": "vod.api.qcloud.com", "path": "/v2/index.php", "params": params}
}

func TestVODCmdProxy(t *testing.T) {
	f := newFakeVOD(t)
	h := tests.New(t, withCloud(f.URL))
	tok := h.User(tests.AppA, "s1", 0)
	call := func(params tests.M) tests.Answer {
		t.Helper()
		return h.Call(tests.AppA, tok, "vod", "cmd_proxy", proxyBody(params))
	}

	// DescribeVodInfo: flattened and list file ids, in the legacy shape.
	var list struct {
		Code       *int   `json:"code"`
		Message    string `json:"message"`
		TotalCount int    `json:"totalCount"`
		FileSet    []struct {
			FileID   string `json:"fileId"`
			FileName string `json:"fileName"`
			Duration int    `json:"duration"`
			Status   int    `json:"status"`
			ImageURL string `json:"image_url"`
			PlaySet  []struct {
				URL        string `json:"url"`
				Definition int    `json:"definition"`
			} `json:"playSet"`
		} `json:"fileSet"`
	}
	call(tests.M{"Action": "DescribeVodInfo", "fileIds.1": "f2", "fileIds.0": "f1", "fileIds.2": "gone"}).Want(t, 0).Decode(t, &list)
	if list.Code == nil || *list.Code != 0 || list.Message != "" || list.TotalCount != 2 || len(list.FileSet) != 2 ||
		list.FileSet[0].FileID != "f1" || list.FileSet[0].FileName != "lesson one" || list.FileSet[1].FileName != "lesson two" ||
		list.FileSet[0].Duration != 61 || list.FileSet[0].Status != 2 || list.FileSet[0].ImageURL != "http://cover/f1" ||
		len(list.FileSet[0].PlaySet) != 1 || list.FileSet[0].PlaySet[0].URL != "http://play/f1.m3u8" || list.FileSet[0].PlaySet[0].Definition != 230 {
		t.Fatalf("DescribeVodInfo data %+v", list)
	}
	c := f.Calls()
	if len(c) != 1 || c[0].Action != "DescribeMediaInfos" || strings.Join(c[0].FileIds, ",") != "f1,f2,gone" ||
		strings.Join(c[0].Filters, ",") != "basicInfo,metaData,transcodeInfo" || c[0].Region != "ap-guangzhou" {
		t.Fatalf("VOD saw %+v", c)
	}

	// GetVideoInfo: one file, known filters only, Region passed through.
	var info struct {
		Code      *int   `json:"code"`
		Message   string `json:"message"`
		BasicInfo struct {
			Name       string `json:"name"`
			Size       int    `json:"size"`
			CreateTime int64  `json:"createTime"`
			CoverURL   string `json:"coverUrl"`
		} `json:"basicInfo"`
		TranscodeInfo struct {
			TranscodeList []struct {
				URL   string `json:"url"`
				Width int    `json:"width"`
			} `json:"transcodeList"`
		} `json:"transcodeInfo"`
	}
	call(tests.M{"Action": "GetVideoInfo", "fileId": "f2", "Region": "ap-shanghai", "infoFilter.0": "basicInfo", "infoFilter.1": "transcodeInfo", "infoFilter.2": "bogus"}).
		Want(t, 0).Decode(t, &info)
	if info.Code == nil || *info.Code != 0 || info.BasicInfo.Name != "lesson two" || info.BasicInfo.Size != 1000 ||
		info.BasicInfo.CreateTime != 1531814400 || len(info.TranscodeInfo.TranscodeList) != 1 || info.TranscodeInfo.TranscodeList[0].Width != 1280 {
		t.Fatalf("GetVideoInfo data %+v", info)
	}
	c = f.Calls()
	if last := c[len(c)-1]; strings.Join(last.FileIds, ",") != "f2" || strings.Join(last.Filters, ",") != "basicInfo,transcodeInfo" || last.Region != "ap-shanghai" {
		t.Fatalf("VOD saw %+v", last)
	}

	// Failures: 90000 with the cloud's code (legacy numbering) and message.
	type failure struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	var fd failure
	call(tests.M{"Action": "DescribeVodInfo", "fileIds": []any{"f1", "deny"}}).WantInfo(t, 90000, "Server internal error:call qcloud failed").Decode(t, &fd)
	if fd.Code != 4300 || fd.Message != "UnauthorizedOperation: no access to deny" {
		t.Fatalf("failure data %+v", fd)
	}
	call(tests.M{"Action": "GetVideoInfo", "fileId": "gone"}).Want(t, 90000).Decode(t, &fd)
	if fd.Code != 5000 || !strings.Contains(fd.Message, "gone") {
		t.Fatalf("not found data %+v", fd)
	}

	// A wrong secret: the fake rejects the signature.
	h2 := tests.New(t, func(c *server.Config) { withCloud(f.URL)(c); c.Cloud.SecretKey = "wrong" })
	tok2 := h2.User(tests.AppA, "s1", 0)
	h2.Call(tests.AppA, tok2, "vod", "cmd_proxy", proxyBody(tests.M{"Action": "GetVideoInfo", "fileId": "f1"})).Want(t, 90000).Decode(t, &fd)
	if fd.Code != 4100 || !strings.HasPrefix(fd.Message, "AuthFailure.SignatureFailure") {
		t.Fatalf("bad key data %+v", fd)
	}

	// Unreachable VOD endpoint.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	h3 := tests.New(t, withCloud(dead.URL))
	tok3 := h3.User(tests.AppA, "s1", 0)
	h3.Call(tests.AppA, tok3, "vod", "cmd_proxy", proxyBody(tests.M{"Action": "GetVideoInfo", "fileId": "f1"})).Want(t, 90000).Decode(t, &fd)
	host := strings.TrimPrefix(dead.URL, "http://")
	if fd.Code != 6200 || strings.Contains(fd.Message, host) || strings.Contains(fd.Message, "http") {
		t.Fatalf("unreachable data %+v names the endpoint", fd)
	}
	if !strings.Contains(h3.LogText(), host) {
		t.Fatal("the cause of the failure is not in the log")
	}
}

func TestVODCmdProxyErrors(t *testing.T) {
	f := newFakeVOD(t)
	h := tests.New(t, withCloud(f.URL))
	tok := h.User(tests.AppA, "s1", 0)
	base := proxyBody(tests.M{"Action": "GetVideoInfo", "fileId": "f1"})
	with := func(k string, v any) tests.M {
		b := tests.M{}
		for kk, vv := range base {
			b[kk] = vv
		}
		if v == "<delete>" {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		body tests.M
		code int
		info string
	}{
		{tests.M{}, 10003, "Lack of method"},
		{with("method", "DELETE"), 10003, "invalid method"},
		{with("host", "<delete>"), 10003, "Lack of host"},
		{with("host", 1), 10003, "invalid host"},
		{with("host", "cvm.api.qcloud.com"), 10003, "invalid host"},
		{with("host", "VOD.api.qcloud.com"), 10003, "invalid host"},
		{with("path", nil), 10003, "Lack of path"},
		{with("path", 1), 10003, "invalid path"},
		{with("params", "<delete>"), 10003, "Lack of params"},
		{with("params", true), 10003, "invalid params"},
		{with("params", tests.M{"Action": "GetVideoInfo", "SignatureMethod": "HmacMD5"}), 10003, "invalid params.SignatureMethod"},
		{with("params", tests.M{"fileId": "f1"}), 10003, "lack of params.Action"},
		{with("params", tests.M{}), 10003, "lack of params.Action"},
		{with("params", tests.M{"Action": nil}), 10003, "invalid params.Action"},
		{with("params", tests.M{"Action": 5}), 10003, "invalid params.Action"},
		{with("params", tests.M{"Action": []any{"GetVideoInfo"}}), 10003, "invalid params.Action"},
		{with("params", tests.M{"Action": "DeleteVodFile", "fileId": "f1"}), 10101, "Server internal error:unsupport action."},
		{with("params", tests.M{"Action": "getvideoinfo"}), 10101, "Server internal error:unsupport action."},
		{with("params", tests.M{"Action": ""}), 10101, "Server internal error:unsupport action."},
	} {
		a := h.Call(tests.AppA, tok, "vod", "cmd_proxy", c.body)
		if a.Status != 200 || a.Code != c.code || a.Info != c.info || a.HasData {
			t.Errorf("%v: got %s, want %d %q", c.body, a.Raw, c.code, c.info)
		}
	}
	if n := len(f.Calls()); n != 0 {
		t.Fatalf("rejected requests reached VOD %d times", n)
	}
}

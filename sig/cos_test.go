package sig

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testCred = COSCred{AppID: "1250000000", SecretID: "AKIDtest", SecretKey: "secretkey"}

// Vectors computed outside Go from docs/protocol.md §10's formula.
func TestCOSV4KnownAnswers(t *testing.T) {
	t.Parallel()
	const now = 1700000000
	for _, c := range []struct {
		name, got, want string
	}{
		{"reusable", COSV4Reusable(testCred, "sxbedu", "/dir/a.png", now, now+2592000, 12345),
			"4KxMxIm75rvWZ2Z8+wkXmdwdM8thPTEyNTAwMDAwMDAmaz1BS0lEdGVzdCZlPTE3MDI1OTIwMDAmdD0xNzAwMDAwMDAwJnI9MTIzNDUmZj0vZGlyL2EucG5nJmI9c3hiZWR1"},
		{"reusable, path without slash", COSV4Reusable(testCred, "sxbedu", "dir/a.png", now, now+2592000, 12345),
			"4KxMxIm75rvWZ2Z8+wkXmdwdM8thPTEyNTAwMDAwMDAmaz1BS0lEdGVzdCZlPTE3MDI1OTIwMDAmdD0xNzAwMDAwMDAwJnI9MTIzNDUmZj0vZGlyL2EucG5nJmI9c3hiZWR1"},
		{"reusable, no path", COSV4Reusable(testCred, "sxbedu", "", now, now+2592000, 12345),
			"/mHxWdVzktcvM2L5I/uLO35xGdBhPTEyNTAwMDAwMDAmaz1BS0lEdGVzdCZlPTE3MDI1OTIwMDAmdD0xNzAwMDAwMDAwJnI9MTIzNDUmZj0mYj1zeGJlZHU="},
		{"one-time", COSV4OneTime(testCred, "sxbedu", "/dir/a.png", now, 678),
			"mxOWoSTtdDrjNO3+AZAVEQyhX/JhPTEyNTAwMDAwMDAmaz1BS0lEdGVzdCZlPTAmdD0xNzAwMDAwMDAwJnI9Njc4JmY9LzEyNTAwMDAwMDAvc3hiZWR1L2Rpci9hLnBuZyZiPXN4YmVkdQ=="},
		{"one-time, path without slash", COSV4OneTime(testCred, "sxbedu", "dir/a.png", now, 678),
			"mxOWoSTtdDrjNO3+AZAVEQyhX/JhPTEyNTAwMDAwMDAmaz1BS0lEdGVzdCZlPTAmdD0xNzAwMDAwMDAwJnI9Njc4JmY9LzEyNTAwMDAwMDAvc3hiZWR1L2Rpci9hLnBuZyZiPXN4YmVkdQ=="},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}

// DecodeCOSV4 splits a v4 sign into its fields after checking its HMAC
// (test helper, shared with the package's other tests).
func decodeCOSV4(t *testing.T, sign, key string) []string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(sign)
	if err != nil || len(raw) <= sha1.Size {
		t.Fatalf("sign %q: %v", sign, err)
	}
	mac, text := raw[:sha1.Size], raw[sha1.Size:]
	m := hmac.New(sha1.New, []byte(key))
	m.Write(text)
	if !hmac.Equal(mac, m.Sum(nil)) {
		t.Fatalf("HMAC of %q does not verify", text)
	}
	return strings.Split(string(text), "&")
}

func TestCOSV4Fields(t *testing.T) {
	t.Parallel()
	got := decodeCOSV4(t, COSV4Reusable(testCred, "bk", "x/y z.mp4", 100, 200, 7), "secretkey")
	want := []string{"a=1250000000", "k=AKIDtest", "e=200", "t=100", "r=7", "f=/x/y z.mp4", "b=bk"}
	if strings.Join(got, "&") != strings.Join(want, "&") {
		t.Fatalf("fields %q, want %q", got, want)
	}
	got = decodeCOSV4(t, COSV4OneTime(testCred, "bk", "/x", 100, 2147483647), "secretkey")
	want = []string{"a=1250000000", "k=AKIDtest", "e=0", "t=100", "r=2147483647", "f=/1250000000/bk/x", "b=bk"}
	if strings.Join(got, "&") != strings.Join(want, "&") {
		t.Fatalf("fields %q, want %q", got, want)
	}
	// A "&" in the path or the bucket cannot add a field.
	got = decodeCOSV4(t, COSV4OneTime(testCred, "bk&e=9", "/a&e=1&b=other%", 100, 1), "secretkey")
	want = []string{"a=1250000000", "k=AKIDtest", "e=0", "t=100", "r=1", "f=/1250000000/bk%26e=9/a%26e=1%26b=other%25", "b=bk%26e=9"}
	if strings.Join(got, "&") != strings.Join(want, "&") {
		t.Fatalf("fields %q, want %q", got, want)
	}
	// Another key does not verify.
	raw, _ := base64.StdEncoding.DecodeString(COSV4OneTime(testCred, "bk", "/x", 100, 1))
	m := hmac.New(sha1.New, []byte("other"))
	m.Write(raw[sha1.Size:])
	if hmac.Equal(raw[:sha1.Size], m.Sum(nil)) {
		t.Fatal("sign verifies with another key")
	}
}

func TestCOSV5Names(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"sxbedu": "sxbedu-1250000000", "sxbedu-1250000000": "sxbedu-1250000000", "a-b": "a-b-1250000000"} {
		if got := COSV5Bucket(in, "1250000000"); got != want {
			t.Errorf("COSV5Bucket(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"/a/b.png": "a/b.png", "a/b.png": "a/b.png", "": "", "/": ""} {
		if got := COSObjectKey(in); got != want {
			t.Errorf("COSObjectKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// cosV5Expect recomputes a COS v5 signature from the documented algorithm:
// SignKey = hex(HMAC-SHA1(SecretKey, KeyTime)); HttpString = method, path,
// params, headers, each followed by "\n"; StringToSign = "sha1\n" +
// SignTime + "\n" + hex(SHA1(HttpString)) + "\n"; Signature =
// hex(HMAC-SHA1(SignKey, StringToSign)).
func cosV5Expect(secretKey, keyTime, signTime, method, path, params, headers string) string {
	hm := func(k, msg string) string {
		m := hmac.New(sha1.New, []byte(k))
		m.Write([]byte(msg))
		return hex.EncodeToString(m.Sum(nil))
	}
	signKey := hm(secretKey, keyTime)
	httpString := strings.ToLower(method) + "\n" + path + "\n" + params + "\n" + headers + "\n"
	sum := sha1.Sum([]byte(httpString))
	return hm(signKey, "sha1\n"+signTime+"\n"+hex.EncodeToString(sum[:])+"\n")
}

// checkCOSV5 verifies an authorization's fields and signature; it returns
// the sign time's start.
func checkCOSV5(t *testing.T, fields url.Values, secretID, secretKey, method, path, headers, headerList string, ttl int64) int64 {
	t.Helper()
	if fields.Get("q-sign-algorithm") != "sha1" || fields.Get("q-ak") != secretID {
		t.Fatalf("algorithm/ak: %v", fields)
	}
	st := fields.Get("q-sign-time")
	if fields.Get("q-key-time") != st {
		t.Fatalf("q-key-time %q != q-sign-time %q", fields.Get("q-key-time"), st)
	}
	a, b, ok := strings.Cut(st, ";")
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || end-start != ttl {
		t.Fatalf("q-sign-time %q, want a span of %d s", st, ttl)
	}
	if now := time.Now().Unix(); start < now-5 || start > now+5 {
		t.Fatalf("q-sign-time starts at %d, now is %d", start, now)
	}
	if fields.Get("q-header-list") != headerList || fields.Get("q-url-param-list") != "" {
		t.Fatalf("header/param lists: %v", fields)
	}
	if want := cosV5Expect(secretKey, st, st, method, path, "", headers); fields.Get("q-signature") != want {
		t.Fatalf("q-signature %s, want %s", fields.Get("q-signature"), want)
	}
	return start
}

// parseAuth splits an Authorization value k=v&k=v (values unescaped).
func parseAuth(t *testing.T, a string) url.Values {
	t.Helper()
	v := url.Values{}
	keys := []string{}
	for _, kv := range strings.Split(a, "&") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("authorization %q: %q has no =", a, kv)
		}
		v.Set(k, val)
		keys = append(keys, k)
	}
	if got := strings.Join(keys, ","); got != "q-sign-algorithm,q-ak,q-sign-time,q-key-time,q-header-list,q-url-param-list,q-signature" {
		t.Fatalf("authorization keys %s", got)
	}
	return v
}

func TestCOSV5Authorization(t *testing.T) {
	t.Parallel()
	v := COSV5{Cred: testCred, Bucket: "sxbedu-1250000000", Region: "ap-guangzhou"}
	a, err := v.Authorization("PUT", "dir/a b+c.png", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	checkCOSV5(t, parseAuth(t, a), "AKIDtest", "secretkey", "PUT", "/dir/a b+c.png", "", "", 3600)

	// The bucket root (no file path).
	a, err = v.Authorization("PUT", "", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkCOSV5(t, parseAuth(t, a), "AKIDtest", "secretkey", "PUT", "/", "", "", 30)

	if _, err := (COSV5{Cred: testCred, Bucket: "sxbedu-1250000000", Region: "AP_GZ"}).Authorization("PUT", "x", time.Hour); err == nil {
		t.Fatal("an invalid region gave a signature")
	}
}

func TestCOSV5PresignedURL(t *testing.T) {
	t.Parallel()
	v := COSV5{Cred: testCred, Bucket: "sxbedu-1250000000", Region: "ap-shanghai"}
	s, err := v.PresignedURL("PUT", "dir/a b.png", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	const host = "sxbedu-1250000000.cos.ap-shanghai.myqcloud.com"
	if u.Scheme != "https" || u.Host != host || u.Path != "/dir/a b.png" {
		t.Fatalf("url %s", s)
	}
	checkCOSV5(t, u.Query(), "AKIDtest", "secretkey", "PUT", "/dir/a b.png", "host="+host, "host", 7200)
}

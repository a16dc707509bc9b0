package tests

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeCOS is a COS bucket that takes PUTs with a pre-signed URL (v5
// signature, the host signed), checked against (ID, Key).
type FakeCOS struct {
	*httptest.Server
	ID, Key string
	mu      sync.Mutex
	objects map[string][]byte // host + path → body
}

// NewFakeCOS starts a fake COS endpoint.
func NewFakeCOS(t testing.TB, id, key string) *FakeCOS {
	f := &FakeCOS{ID: id, Key: key, objects: map[string][]byte{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Put uploads body with a pre-signed URL made for COS's own host: the
// request goes to the fake with that Host.
func (f *FakeCOS) Put(presigned string, body []byte) (int, string) {
	u, err := url.Parse(presigned)
	if err != nil {
		return 0, err.Error()
	}
	host := u.Host
	u.Scheme, u.Host = "http", strings.TrimPrefix(f.URL, "http://")
	req, _ := http.NewRequest(http.MethodPut, u.String(), bytes.NewReader(body))
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// Object is what was uploaded to an object URL (nil: nothing).
func (f *FakeCOS) Object(objectURL string) []byte {
	u, err := url.Parse(objectURL)
	if err != nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[u.Host+u.EscapedPath()]
}

func (f *FakeCOS) serve(w http.ResponseWriter, r *http.Request) {
	if err := f.verify(r); err != nil {
		http.Error(w, "<Error><Code>SignatureDoesNotMatch</Code><Message>"+err.Error()+"</Message></Error>", http.StatusForbidden)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.objects[r.Host+r.URL.EscapedPath()] = body
	f.mu.Unlock()
	w.Header().Set("ETag", `"etag"`)
}

// verify recomputes a pre-signed request's v5 signature: SignKey =
// HMAC-SHA1(key, KeyTime); HttpString = method, path, params, headers;
// Signature = HMAC-SHA1(SignKey, "sha1\n" + SignTime + "\n" + SHA1(HttpString)).
func (f *FakeCOS) verify(r *http.Request) error {
	q := r.URL.Query()
	if r.Method != http.MethodPut || q.Get("q-sign-algorithm") != "sha1" || q.Get("q-ak") != f.ID || q.Get("q-key-time") != q.Get("q-sign-time") {
		return fmt.Errorf("%s with %v", r.Method, q)
	}
	a, b, _ := strings.Cut(q.Get("q-sign-time"), ";")
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if now := time.Now().Unix(); err1 != nil || err2 != nil || now < start-60 || now > end {
		return fmt.Errorf("q-sign-time %q", q.Get("q-sign-time"))
	}
	if q.Get("q-header-list") != "host" || q.Get("q-url-param-list") != "" {
		return fmt.Errorf("header list %q, param list %q", q.Get("q-header-list"), q.Get("q-url-param-list"))
	}
	hm := func(k, msg string) string {
		m := hmac.New(sha1.New, []byte(k))
		m.Write([]byte(msg))
		return hex.EncodeToString(m.Sum(nil))
	}
	st := q.Get("q-sign-time")
	httpString := "put\n" + r.URL.Path + "\n\nhost=" + url.QueryEscape(r.Host) + "\n"
	sum := sha1.Sum([]byte(httpString))
	if want := hm(hm(f.Key, st), "sha1\n"+st+"\n"+hex.EncodeToString(sum[:])+"\n"); q.Get("q-signature") != want {
		return fmt.Errorf("q-signature %s, want %s (%q)", q.Get("q-signature"), want, httpString)
	}
	return nil
}

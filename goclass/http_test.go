package goclass_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"sxb-edu/goclass"
	"sxb-edu/server"
	"sxb-edu/tests"
)

const (
	aesKey = "0123456789abcdef0123456789abcdef"
	aesIV  = "fedcba9876543210"
)

func seal(t *testing.T, plain []byte) string {
	b, _ := aes.NewCipher([]byte(aesKey))
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(b, []byte(aesIV)).CryptBlocks(out, plain)
	return hex.EncodeToString(out)
}

func open(t *testing.T, a tests.GoClassAnswer) map[string]any {
	t.Helper()
	var env map[string]string
	if err := json.Unmarshal(a.Raw, &env); err != nil || env["s"] == "" || len(env) != 1 {
		t.Fatalf("not an envelope: %s", a.Raw)
	}
	ct, _ := hex.DecodeString(env["s"])
	b, _ := aes.NewCipher([]byte(aesKey))
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(b, []byte(aesIV)).CryptBlocks(pt, ct)
	pt = pt[:len(pt)-int(pt[len(pt)-1])]
	if !bytes.HasSuffix(pt, []byte("}\n")) {
		t.Fatalf("envelope content %q", pt)
	}
	var out map[string]any
	if err := json.Unmarshal(pt, &out); err != nil {
		t.Fatalf("envelope content %q: %v", pt, err)
	}
	return out
}

func TestEnvelope(t *testing.T) {
	h, z := newEnv(t, func(c *goclass.Config) { c.AESKey, c.AESIV = aesKey, aesIV })
	body, _ := json.Marshal(M{"room_id": "r", "uid": 1, "nick_name": "<T>", "role": 1})
	a := h.GoClass("login_room", M{"s": seal(t, body)})
	got := open(t, a)
	ret := got["ret"].(map[string]any)
	data := got["data"].(map[string]any)
	if ret["code"] != float64(0) || data["nick_name"] != "<T>" || data["uid"] != float64(1) {
		t.Fatalf("envelope answer %v", got)
	}
	if len(z.Msgs()) != 1 {
		t.Fatal("the login did not run")
	}
	// Errors inside an envelope come back in one. Every envelope that
	// does not open gets the same answer, of the same length: bad hex, a
	// short or ragged ciphertext, a bad padding and bad JSON inside are
	// not told apart (no oracle on the padding).
	good, _ := hex.DecodeString(seal(t, []byte(`{"room_id":"r","uid":1}`)))
	badPad := bytes.Clone(good)
	badPad[len(badPad)-17] ^= 0x01 // the last block's padding byte changes
	lengths := map[int]bool{}
	for _, s := range []string{"zz", "00", hex.EncodeToString(good[:20]), hex.EncodeToString(badPad), seal(t, []byte("{bad"))} {
		a := h.GoClass("heartbeat", M{"s": s})
		got := open(t, a)
		ret := got["ret"].(map[string]any)
		if ret["code"] != float64(4) || ret["message"] != "encrypted request refused: the envelope does not decrypt to a request" {
			t.Fatalf("envelope %s: %v", s, got)
		}
		lengths[len(a.Raw)] = true
	}
	if len(lengths) != 1 {
		t.Fatalf("bad envelopes answered with %d different lengths", len(lengths))
	}
	got = open(t, h.GoClass("heartbeat", M{"s": seal(t, []byte(`{"x":1}`))}))
	if ret := got["ret"].(map[string]any); ret["message"] != "invalid parameter" {
		t.Fatalf("a request in a good envelope: %v", got)
	}
	// A chat message is bounded.
	long := strings.Repeat("字", 400) // 1,200 bytes
	if a := h.GoClass("send_message", req("r", 1, 1, "message", long)).Want(t, goclass.CodeInvalid); !strings.Contains(a.Message, "1024 bytes") {
		t.Fatalf("long message: %s", a.Raw)
	}
	// Plain requests still work unless refused by configuration.
	h.GoClass("heartbeat", req("r", 1, 1)).Want(t, 0)

	h2, _ := newEnv(t, func(c *goclass.Config) { c.AESKey, c.AESIV, c.RequireEnvelope = aesKey, aesIV, true })
	a = h2.GoClass("login_room", M{"room_id": "r", "uid": 1, "role": 1}).Want(t, goclass.CodeInvalid)
	if !strings.Contains(a.Message, "envelope") {
		t.Fatal(a.Message)
	}
	// Without keys, an envelope is never opened nor run.
	h3, z3 := newEnv(t, nil)
	a = h3.GoClass("login_room", M{"s": seal(t, body)}).Want(t, goclass.CodeInvalid)
	if !strings.Contains(a.Message, "aes_key") || len(z3.Calls()) != 0 {
		t.Fatalf("envelope without keys: %s", a.Raw)
	}
}

func TestRoutes(t *testing.T) {
	h, _ := newEnv(t, nil)
	do := func(method, path string, hdr map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest(method, h.HTTP.URL+path, strings.NewReader(""))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/health", 200},
		{"HEAD", "/", 200},
		{"GET", "/edu_room/login_room", 404},
		{"PUT", "/edu_room/heartbeat", 404},
		{"POST", "/edu_room/nothing", 404},
		{"POST", "/edu_room/", 404},
		{"POST", "/edu_room", 404},
	} {
		resp, body := do(c.method, c.path, nil)
		if resp.StatusCode != c.status {
			t.Fatalf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
		}
		if c.status == 200 && body != "" {
			t.Fatalf("%s %s: body %q", c.method, c.path, body)
		}
	}
	resp, _ := do("OPTIONS", "/edu_room/login_room", map[string]string{"Origin": "http://x",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, x-other"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "content-type" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	a := h.GoClass("heartbeat", req("r", 1, 1))
	if a.Header.Get("Access-Control-Allow-Origin") != "*" || a.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("headers %v", a.Header)
	}
	// A body over 1 MiB is refused without running.
	big := append([]byte(`{"uid":1,"room_id":"r","role":1,"nick_name":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	h.GoClass("login_room", append(big, `"}`...)).Want(t, goclass.CodeInvalid)

	// Without a "zego" section the API is not there.
	plain := tests.New(t, func(*server.Config) {})
	if a := plain.GoClass("login_room", M{"room_id": "r", "uid": 1, "role": 1}); a.Status != 404 {
		t.Fatalf("API served without configuration: %d %s", a.Status, a.Raw)
	}
}

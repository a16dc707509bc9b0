package lcic_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signer signs a request by hand, as Tencent's documentation spells
// TC3-HMAC-SHA256 out, with faults a test may ask for.
type signer struct {
	id, key, service string
	ts               int64
	tamper, none     bool
	hostNoPort       bool
}

func hm(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// authorization is the header for a POST of body to host.
func (s *signer) authorization(host, contentType, body string) string {
	date := time.Unix(s.ts, 0).UTC().Format("2006-01-02")
	canonical := "POST\n/\n\ncontent-type:" + contentType + "\nhost:" + host + "\n\ncontent-type;host\n" + sha(body)
	scope := date + "/" + s.service + "/tc3_request"
	sts := "TC3-HMAC-SHA256\n" + strconv.FormatInt(s.ts, 10) + "\n" + scope + "\n" + sha(canonical)
	k := hm(hm(hm([]byte("TC3"+s.key), date), s.service), "tc3_request")
	return "TC3-HMAC-SHA256 Credential=" + s.id + "/" + scope + ", SignedHeaders=content-type;host, Signature=" + hex.EncodeToString(hm(k, sts))
}

// do signs r and sends it; it answers the error code ("" for none).
func (s *signer) do(t *testing.T, r *http.Request, body string) (string, string) {
	t.Helper()
	host := r.URL.Host
	if s.hostNoPort {
		host, _, _ = net.SplitHostPort(host)
	}
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(s.ts, 10))
	if !s.none {
		r.Header.Set("Authorization", s.authorization(host, r.Header.Get("Content-Type"), body))
	}
	if s.tamper {
		r.Body = io.NopCloser(strings.NewReader(`{"x":1}`))
		r.ContentLength = 7
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Response struct {
			Error     struct{ Code string }
			RequestId string
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(raw, &out) != nil || out.Response.RequestId == "" {
		t.Fatalf("HTTP %d %s", resp.StatusCode, raw)
	}
	return out.Response.Error.Code, string(raw)
}

// The hand signer agrees with Tencent's worked example (cvm, 2019-02-25).
func TestSignerPublishedExample(t *testing.T) {
	s := &signer{id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", key: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", service: "cvm", ts: 1551113065}
	body := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	a := s.authorization("cvm.tencentcloudapi.com", "application/json; charset=utf-8", body)
	if !strings.HasSuffix(a, "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168") {
		t.Fatal(a)
	}
}

package lcic

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiError is an answer with one of the API's error codes.
type apiError struct {
	Code, Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *apiError {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	return &apiError{Code: code, Message: format}
}

// clockSkew is how far a request's timestamp may be from the server's.
const clockSkew = 5 * time.Minute

// credential is a request's parsed Authorization header.
type credential struct {
	secretID, date, service string
	signedHeaders           []string
	signature               string
}

func parseAuthorization(h string) (*credential, *apiError) {
	rest, ok := strings.CutPrefix(h, "TC3-HMAC-SHA256 ")
	if !ok {
		return nil, fail("AuthFailure.InvalidAuthorization", "Authorization is not TC3-HMAC-SHA256")
	}
	c := &credential{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 4 || f[3] != "tc3_request" {
				return nil, fail("AuthFailure.InvalidAuthorization", "Credential is not SecretId/date/service/tc3_request")
			}
			c.secretID, c.date, c.service = f[0], f[1], f[2]
		case "SignedHeaders":
			c.signedHeaders = strings.Split(v, ";")
		case "Signature":
			c.signature = v
		}
	}
	if c.secretID == "" || len(c.signedHeaders) == 0 || c.signature == "" {
		return nil, fail("AuthFailure.InvalidAuthorization", "Authorization lacks Credential, SignedHeaders or Signature")
	}
	return c, nil
}

// checkScope refuses a request outside the clock window or signed for
// another service than this one (lcic, or the first label of the host
// the client was pointed at, as Tencent's SDKs derive it).
func checkScope(r *http.Request, c *credential, now time.Time) (int64, *apiError) {
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return 0, fail("MissingParameter", "X-TC-Timestamp is missing or not a number")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > clockSkew || d < -clockSkew {
		return 0, fail("AuthFailure.SignatureExpire", "the request's timestamp %d is more than 5 minutes from the server's time %d", ts, now.Unix())
	}
	if c.date != time.Unix(ts, 0).UTC().Format("2006-01-02") {
		return 0, fail("AuthFailure.SignatureFailure", "the credential's date is not the timestamp's (UTC)")
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label, _, _ := strings.Cut(host, ".")
	if c.service != "lcic" && c.service != label {
		return 0, fail("AuthFailure.SignatureFailure", "the request is signed for service %q, not lcic", c.service)
	}
	return ts, nil
}

// signature computes the TC3-HMAC-SHA256 signature of a request with
// host as the signed host header's value.
func signature(r *http.Request, body []byte, c *credential, ts int64, secret, host string) string {
	var canon strings.Builder
	headers := append([]string(nil), c.signedHeaders...)
	sort.Strings(headers)
	for _, name := range headers {
		v := strings.TrimSpace(r.Header.Get(name))
		if name == "host" {
			v = host
		}
		canon.WriteString(strings.ToLower(name) + ":" + strings.ToLower(v) + "\n")
	}
	sum := sha256.Sum256(body)
	req := r.Method + "\n" + "/" + "\n" + r.URL.RawQuery + "\n" + canon.String() + "\n" +
		strings.Join(c.signedHeaders, ";") + "\n" + hex.EncodeToString(sum[:])
	reqSum := sha256.Sum256([]byte(req))
	sts := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + c.date + "/" + c.service + "/tc3_request\n" + hex.EncodeToString(reqSum[:])
	k := hmacSHA256([]byte("TC3"+secret), c.date)
	k = hmacSHA256(k, c.service)
	k = hmacSHA256(k, "tc3_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// verified says whether the request's signature is the one secret
// makes: with the Host as sent, or without its port (as Tencent's Node
// SDK signs it).
func verified(r *http.Request, body []byte, c *credential, ts int64, secret string) bool {
	hosts := []string{r.Host}
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		hosts = append(hosts, h)
	}
	want, err := hex.DecodeString(c.signature)
	if err != nil {
		return false
	}
	for _, h := range hosts {
		got, _ := hex.DecodeString(signature(r, body, c, ts, secret, h))
		if hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

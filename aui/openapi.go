// Package aui is what the fronts for Alibaba Cloud's AUI Kits apps
// share: their HS256 login tokens, the Alibaba OpenAPI RPC client their
// AppServers call (IM groups and tokens), and the signed push, pull and
// co-streaming URLs of Alibaba's live service.
package aui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// OpenAPI is the configuration of Alibaba Cloud's OpenAPI (RPC style).
type OpenAPI struct {
	// Endpoint is the service's host ("live.aliyuncs.com") or a URL
	// (http:// allowed, for a local stand-in).
	Endpoint        string `json:"endpoint"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	Region          string `json:"region"`
	Version         string `json:"version"` // default 2016-11-01 (live)
}

// Configured says whether cloud calls can be made.
func (o *OpenAPI) Configured() bool { return o.AccessKeyID != "" && o.AccessKeySecret != "" }

// Client calls Alibaba Cloud's RPC-style OpenAPI, signing every request
// with HMAC-SHA1 (signature version 1.0).
type Client struct {
	Cfg  OpenAPI
	HTTP *http.Client
	Now  func() time.Time
}

// Error is an error answer of the OpenAPI.
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	return fmt.Sprintf("SDK.ServerError\nErrorCode: %s\nRecommend: \nRequestId: %s\nMessage: %s", e.Code, e.RequestID, e.Message)
}

// Call runs action with params and decodes the answer's JSON into out.
func (c *Client) Call(ctx context.Context, action string, params map[string]string, out any) error {
	base := c.Cfg.Endpoint
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return fmt.Errorf("openapi endpoint %q: not a host or URL", c.Cfg.Endpoint)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	q := map[string]string{
		"Format": "JSON", "Version": cmpOr(c.Cfg.Version, "2016-11-01"), "AccessKeyId": c.Cfg.AccessKeyID,
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": hex.EncodeToString(nonce[:]),
		"Timestamp": now().UTC().Format("2006-01-02T15:04:05Z"), "Action": action,
		"RegionId": cmpOr(c.Cfg.Region, "cn-hangzhou"),
	}
	for k, v := range params {
		if v != "" { // the service refuses some empty values
			q[k] = v
		}
	}
	q["Signature"] = Sign(http.MethodPost, q, c.Cfg.AccessKeySecret)
	form := url.Values{}
	for k, v := range q {
		form.Set(k, v)
	}
	u.Path = "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("openapi %s: %w", action, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("openapi %s: %w", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message, RequestId string }
		_ = json.Unmarshal(body, &e)
		return &Error{Status: resp.StatusCode, Code: cmpOr(e.Code, http.StatusText(resp.StatusCode)), Message: e.Message, RequestID: e.RequestId}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("openapi %s: answer: %w", action, err)
	}
	return nil
}

// Sign is the RPC signature of a request's parameters (without
// Signature): base64(HMAC-SHA1(secret+"&", method&%2F&encoded query)).
func Sign(method string, params map[string]string, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(StringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// StringToSign is the text an RPC signature covers.
func StringToSign(method string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(k) + "=" + percentEncode(params[k]))
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(b.String())
}

// percentEncode is RFC 3986 encoding: only A-Z a-z 0-9 - _ . ~ stay.
func percentEncode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

package sig

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	vod "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vod/v20180717"
)

// VOD API signature methods.
const (
	HmacSHA1   = "HmacSHA1"
	HmacSHA256 = "HmacSHA256"
)

// VODSignText is the text a legacy cloud API request is signed over:
// method+host+path+"?"+k=v&... with keys sorted (as PHP ksort does) and
// "_" in keys replaced by ".". Values are not URL-encoded.
func VODSignText(method, host, path string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return phpKeyLess(keys[i], keys[j]) })
	var b strings.Builder
	b.WriteString(method + host + path + "?")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(strings.ReplaceAll(k, "_", "."))
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// phpKeyLess orders array keys like PHP 8 ksort: keys that PHP stores as
// integers compare numerically, anything else as strings.
func phpKeyLess(a, b string) bool {
	ia, aok := phpIntKey(a)
	ib, bok := phpIntKey(b)
	if aok && bok {
		return ia < ib
	}
	return a < b
}

// phpIntKey reports whether PHP would turn the array key k into an int
// (a canonical decimal integer).
func phpIntKey(k string) (int64, bool) {
	n, err := strconv.ParseInt(k, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != k {
		return 0, false
	}
	return n, true
}

// VODSign is base64(HMAC(secret key, text)) with SHA-1 or, for
// HmacSHA256, SHA-256.
func VODSign(text, secretKey, method string) string {
	var h func() hash.Hash = sha1.New
	if method == HmacSHA256 {
		h = sha256.New
	}
	m := hmac.New(h, []byte(secretKey))
	m.Write([]byte(text))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VODClientSign is the VOD client-upload signature:
// base64(HMAC-SHA1(key, text) ++ text) over the URL-encoded query
// secretId, currentTimeStamp, expireTime, random, in that order.
func VODClientSign(secretID, secretKey string, now, expire int64, rnd uint32) string {
	text := "secretId=" + url.QueryEscape(secretID) +
		"&currentTimeStamp=" + strconv.FormatInt(now, 10) +
		"&expireTime=" + strconv.FormatInt(expire, 10) +
		"&random=" + strconv.FormatUint(uint64(rnd), 10)
	m := hmac.New(sha1.New, []byte(secretKey))
	m.Write([]byte(text))
	return base64.StdEncoding.EncodeToString(append(m.Sum(nil), text...))
}

// VOD calls the VOD API (v20180717) through tencentcloud-sdk-go.
type VOD struct {
	SecretID, SecretKey string
	// Endpoint is a host (HTTPS) or a URL with its scheme, e.g. a test
	// server's http://127.0.0.1:port.
	Endpoint string
	Region   string
	Timeout  int // seconds
}

// MediaInfos is DescribeMediaInfos: the media of fileIDs, restricted to
// the given filters (none = every kind of information). Cloud errors come
// back as *errors.TencentCloudSDKError.
func (v VOD) MediaInfos(fileIDs, filters []string) (*vod.DescribeMediaInfosResponse, error) {
	c, err := v.client()
	if err != nil {
		return nil, err
	}
	req := vod.NewDescribeMediaInfosRequest()
	req.FileIds = common.StringPtrs(fileIDs)
	if len(filters) > 0 {
		req.Filters = common.StringPtrs(filters)
	}
	return c.DescribeMediaInfos(req)
}

// Records is SearchMedia for recordings (source type Record) made in
// [after, before], oldest first, with their basic information and
// metadata.
func (v VOD) Records(after, before time.Time, offset, limit uint64) (*vod.SearchMediaResponse, error) {
	c, err := v.client()
	if err != nil {
		return nil, err
	}
	req := vod.NewSearchMediaRequest()
	req.SourceTypes = common.StringPtrs([]string{"Record"})
	req.CreateTime = &vod.TimeRange{After: common.StringPtr(after.UTC().Format(time.RFC3339)),
		Before: common.StringPtr(before.UTC().Format(time.RFC3339))}
	req.Sort = &vod.SortBy{Field: common.StringPtr("CreateTime"), Order: common.StringPtr("Asc")}
	req.Offset, req.Limit = common.Uint64Ptr(offset), common.Uint64Ptr(limit)
	req.Filters = common.StringPtrs([]string{"basicInfo", "metaData"})
	return c.SearchMedia(req)
}

// DeleteMedia removes a media file and everything made from it. A file
// VOD no longer has counts as removed.
func (v VOD) DeleteMedia(fileID string) error {
	c, err := v.client()
	if err != nil {
		return err
	}
	req := vod.NewDeleteMediaRequest()
	req.FileId = common.StringPtr(fileID)
	_, err = c.DeleteMedia(req)
	var e *tcerr.TencentCloudSDKError
	if errors.As(err, &e) && strings.HasPrefix(e.Code, "ResourceNotFound") {
		return nil
	}
	return err
}

func (v VOD) client() (*vod.Client, error) {
	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint = v.Endpoint
	if scheme, host, ok := strings.Cut(v.Endpoint, "://"); ok {
		p.HttpProfile.Scheme = strings.ToUpper(scheme)
		p.HttpProfile.Endpoint = strings.TrimSuffix(host, "/")
	}
	if v.Timeout > 0 {
		p.HttpProfile.ReqTimeout = v.Timeout
	}
	return vod.NewClient(common.NewCredential(v.SecretID, v.SecretKey), v.Region, p)
}

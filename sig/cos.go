package sig

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	cos "github.com/tencentyun/cos-go-sdk-v5"
)

// COSCred is the cloud account COS signatures are made with.
type COSCred struct {
	AppID     string // cloud APPID
	SecretID  string
	SecretKey string
}

// COSV4Reusable is the legacy (v4) multi-use signature, valid until
// expire (unix seconds). An empty filePath signs the whole bucket.
func COSV4Reusable(c COSCred, bucket, filePath string, now, expire int64, rnd uint32) string {
	f := ""
	if filePath != "" {
		f = leadingSlash(filePath)
	}
	return cosV4(c, expire, now, rnd, f, bucket)
}

// COSV4OneTime is the legacy (v4) single-use signature for one file
// (e=0, f=/appid/bucket/path).
func COSV4OneTime(c COSCred, bucket, filePath string, now int64, rnd uint32) string {
	f := "/" + c.AppID + "/" + bucket + leadingSlash(filePath)
	return cosV4(c, 0, now, rnd, f, bucket)
}

func leadingSlash(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return "/" + p
}

// cosV4: base64(HMAC-SHA1(key, text) ++ text), the fields in this order.
// The file id and the bucket go through fieldEscape.
func cosV4(c COSCred, e, t int64, r uint32, f, b string) string {
	text := "a=" + c.AppID + "&k=" + c.SecretID + "&e=" + strconv.FormatInt(e, 10) +
		"&t=" + strconv.FormatInt(t, 10) + "&r=" + strconv.FormatUint(uint64(r), 10) +
		"&f=" + fieldEscape(f) + "&b=" + fieldEscape(b)
	m := hmac.New(sha1.New, []byte(c.SecretKey))
	m.Write([]byte(text))
	return base64.StdEncoding.EncodeToString(append(m.Sum(nil), text...))
}

// COSV5Bucket is the v5 bucket name <bucket>-<appid> of a legacy bucket
// name (unchanged when it already carries the APPID).
func COSV5Bucket(bucket, appid string) string {
	if strings.HasSuffix(bucket, "-"+appid) {
		return bucket
	}
	return bucket + "-" + appid
}

// COSObjectKey is the v5 object key of a legacy file path (v4 paths start
// with "/", v5 keys do not).
func COSObjectKey(filePath string) string {
	return strings.TrimPrefix(filePath, "/")
}

// COSV5 makes COS v5 request signatures with cos-go-sdk-v5.
type COSV5 struct {
	Cred   COSCred
	Bucket string // v5 name, <bucket>-<appid>
	Region string
}

func (v COSV5) client() (*cos.Client, error) {
	u, err := cos.NewBucketURL(v.Bucket, v.Region, true)
	if err != nil {
		return nil, err
	}
	return cos.NewClient(&cos.BaseURL{BucketURL: u}, nil), nil
}

// Authorization is an Authorization header value for method on key (""
// = the bucket root), valid for ttl. The Host is not signed, so it holds
// for any endpoint of the bucket (accelerated or regional domains).
func (v COSV5) Authorization(method, key string, ttl time.Duration) (string, error) {
	c, err := v.client()
	if err != nil {
		return "", err
	}
	a := c.Object.GetSignature(context.Background(), method, key, v.Cred.SecretID,
		v.Cred.SecretKey, ttl, &cos.PresignedURLOptions{}, false)
	if a == "" {
		return "", fmt.Errorf("cos: no signature for %q", key)
	}
	return a, nil
}

// PresignedURL is a URL that performs method on key without other
// credentials until ttl has passed; the bucket's Host is signed.
func (v COSV5) PresignedURL(method, key string, ttl time.Duration) (string, error) {
	c, err := v.client()
	if err != nil {
		return "", err
	}
	u, err := c.Object.GetPresignedURL(context.Background(), method, key, v.Cred.SecretID,
		v.Cred.SecretKey, ttl, nil)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// fieldEscape escapes "%" and "&" in a field's value, so that no value can
// end its field and add another to the signed text. Everything else stays
// as the reference signed it (COS compares the file id as sent).
var fieldEscape = strings.NewReplacer("%", "%25", "&", "%26").Replace

package svc

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"

	"sxb-edu/sig"
	"sxb-edu/store"
)

// CosSignData answers cos get_sign.
type CosSignData struct {
	Sign          string `json:"sign"` // legacy v4
	Bucket        string `json:"bucket"`
	Region        string `json:"region"`
	PreviewTag    string `json:"preview_tag"`
	Authorization string `json:"authorization,omitempty"` // v5, for file_path
	UploadURL     string `json:"upload_url,omitempty"`    // v5 pre-signed PUT, with a file_path
}

// phpRand is a random number in the range of PHP rand() (0..2^31-1).
func phpRand() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:]) & 0x7fffffff
}

// validBucket: COS bucket names are lowercase letters, digits and "-".
// The v5 signatures put the name in a host name, so they are only made for
// such names; the legacy sign is made for any name, as the reference did.
func validBucket(b string) bool {
	if b == "" || len(b) > 64 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// missing lists the configuration keys among names whose values are empty.
func missing(kv ...string) []string {
	var m []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			m = append(m, kv[i])
		}
	}
	return m
}

func notConfigured(what string, keys []string) *Error {
	return E(CodeServer, "Server internal error: "+what+" is not configured (missing "+strings.Join(keys, ", ")+")")
}

// COSGetSign is cos get_sign (a Token command): the signatures a client uploads to
// COS with.
func (s *Service) COSGetSign(ctx context.Context, r *Req) (any, error) {
	b := r.Body
	if !b.Has("type") {
		return nil, E(CodeReqData, "Lack of type")
	}
	typ, ok := b.Int("type")
	if !ok || (typ != 0 && typ != 1) {
		return nil, E(CodeReqData, "invalid type")
	}
	conf := s.Cfg.COS
	bucket := conf.Bucket
	if b.Has("bucket") {
		v, ok := b.Str("bucket")
		if !ok {
			return nil, E(CodeReqData, "invalid bucket")
		}
		if v != "" { // "" means no preference
			bucket = v
		}
	}
	if typ == 1 && !b.Has("file_path") {
		return nil, E(CodeReqData, "Lack of file_path")
	}
	filePath := ""
	if b.Has("file_path") {
		v, ok := b.Str("file_path")
		if !ok {
			return nil, E(CodeReqData, "invalid file_path")
		}
		filePath = v
	}
	if dotSegment(filePath) {
		return nil, E(CodeReqData, "invalid file_path")
	}

	cloud := s.Cfg.Cloud
	if m := missing("cloud.appid", cloud.AppID, "cloud.secret_id", cloud.SecretID,
		"cloud.secret_key", cloud.SecretKey, "cos.bucket", bucket, "cos.region", conf.Region); len(m) > 0 {
		return nil, notConfigured("COS", m)
	}
	if !s.mayUpload(r.User, filePath) {
		return nil, E(CodeReqData, "file_path is outside the paths this user may upload to: "+
			strings.Join(s.uploadPrefixes(r.User), ", "))
	}
	cred := sig.COSCred{AppID: cloud.AppID, SecretID: cloud.SecretID, SecretKey: cloud.SecretKey}
	now := s.now()
	d := &CosSignData{Bucket: bucket, PreviewTag: conf.PreviewTag}
	if typ == 1 {
		d.Sign = sig.COSV4OneTime(cred, bucket, filePath, now, phpRand())
	} else {
		d.Sign = sig.COSV4Reusable(cred, bucket, filePath, now, now+seconds(conf.Expiration), phpRand())
	}
	// The region belongs to the configured bucket; a client's own bucket
	// may live elsewhere (the v5 URLs still use the configured region).
	if bucket == conf.Bucket {
		d.Region = conf.Region
	}

	if !validBucket(bucket) {
		return d, nil
	}
	v5 := sig.COSV5{Cred: cred, Bucket: sig.COSV5Bucket(bucket, cloud.AppID), Region: conf.Region}
	ttl := conf.Expiration
	key := sig.COSObjectKey(filePath)
	var err error
	if d.Authorization, err = v5.Authorization("PUT", key, ttl); err != nil {
		return nil, internal("COS v5 signature", err)
	}
	if key != "" {
		if d.UploadURL, err = v5.PresignedURL("PUT", key, ttl); err != nil {
			return nil, internal("COS upload URL", err)
		}
	}
	return d, nil
}

// uploadPrefixes are the paths the user may get COS signatures for.
func (s *Service) uploadPrefixes(u *store.Session) []string {
	role := "student"
	if u.Role == 1 {
		role = "teacher"
	}
	var out []string
	for _, p := range s.Cfg.COS.Prefixes[role] {
		out = append(out, strings.ReplaceAll(p, "{uid}", u.UID))
	}
	return out
}

// mayUpload: a signature is made only for a path under one of the user's
// prefixes; no path (the bucket-wide legacy signature) needs "/".
func (s *Service) mayUpload(u *store.Session, filePath string) bool {
	if strings.ContainsAny(filePath, "\\\x00") || strings.Contains(filePath, "//") {
		return false
	}
	if filePath != "" && !strings.HasPrefix(filePath, "/") {
		filePath = "/" + filePath // the key is the same (see sig.COSObjectKey)
	}
	for _, p := range s.uploadPrefixes(u) {
		if p == "/" || (filePath != "" && strings.HasPrefix(filePath, p)) {
			return true
		}
	}
	return false
}

// dotSegment reports whether a path has a ".." segment, which would let a
// signature reach outside the directory it names.
func dotSegment(p string) bool {
	for _, seg := range strings.Split(strings.ReplaceAll(p, "\\", "/"), "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

// UploadURL pre-signs a PUT of key in the configured bucket for ttl:
// the URL to upload to, and the object's URL without the signature.
func (s *Service) UploadURL(key string, ttl time.Duration) (put, object string, err error) {
	cloud, conf := s.Cfg.Cloud, s.Cfg.COS
	if m := missing("cloud.appid", cloud.AppID, "cloud.secret_id", cloud.SecretID,
		"cloud.secret_key", cloud.SecretKey, "cos.bucket", conf.Bucket, "cos.region", conf.Region); len(m) > 0 {
		return "", "", notConfigured("COS", m)
	}
	v5 := sig.COSV5{Cred: sig.COSCred{AppID: cloud.AppID, SecretID: cloud.SecretID, SecretKey: cloud.SecretKey},
		Bucket: sig.COSV5Bucket(conf.Bucket, cloud.AppID), Region: conf.Region}
	if put, err = v5.PresignedURL("PUT", key, ttl); err != nil {
		return "", "", err
	}
	object, _, _ = strings.Cut(put, "?")
	return put, object, nil
}

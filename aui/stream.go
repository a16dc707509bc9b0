package aui

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Stream is the configuration of Alibaba's live streaming domains.
type Stream struct {
	PushDomain  string `json:"push_domain"`
	PushAuthKey string `json:"push_auth_key"`
	PullDomain  string `json:"pull_domain"`
	PullAuthKey string `json:"pull_auth_key"`
	AppName     string `json:"app_name"`       // default "live"
	Scheme      string `json:"scheme"`         // of the FLV and HLS URLs, default "http"
	AuthExpires int64  `json:"auth_expires_s"` // default 604800 (7 days)
}

// Mic is the co-streaming (RTC) app.
type Mic struct {
	AppID  string `json:"app_id"`
	AppKey string `json:"app_key"`
}

// AuthKey is the type-A URL signature of path valid until exp (unix
// seconds): "exp-0-0-md5(path-exp-0-0-key)".
func AuthKey(path, key string, exp int64) string {
	sum := md5.Sum(fmt.Appendf(nil, "%s-%d-0-0-%s", path, exp, key))
	return fmt.Sprintf("%d-0-0-%s", exp, hex.EncodeToString(sum[:]))
}

// Push are a stream's push URLs.
type Push struct {
	RTMP string `json:"rtmp_url"`
	RTS  string `json:"rts_url"`
	SRT  string `json:"srt_url"`
}

// Pull are a stream's play URLs.
type Pull struct {
	RTMP string `json:"rtmp_url"`
	RTS  string `json:"rts_url"`
	FLV  string `json:"flv_url"`
	HLS  string `json:"hls_url"`
}

// PushURLs signs the push URLs of stream in app (one signature: one path).
func (s *Stream) PushURLs(app, stream string, now int64) Push {
	exp := now + s.AuthExpires
	rest := fmt.Sprintf("%s/%s/%s?auth_key=%s", s.PushDomain, app, stream, AuthKey("/"+app+"/"+stream, s.PushAuthKey, exp))
	return Push{RTMP: "rtmp://" + rest, RTS: "artc://" + rest, SRT: "srt://" + rest}
}

// PullURLs signs the play URLs of stream in app, each format its own path.
func (s *Stream) PullURLs(app, stream string, now int64) Pull {
	exp := now + s.AuthExpires
	path := "/" + app + "/" + stream
	host := s.PullDomain + path
	return Pull{
		RTMP: fmt.Sprintf("rtmp://%s?auth_key=%s", host, AuthKey(path, s.PullAuthKey, exp)),
		RTS:  fmt.Sprintf("artc://%s?auth_key=%s", host, AuthKey(path, s.PullAuthKey, exp)),
		FLV:  fmt.Sprintf("%s://%s.flv?auth_key=%s", s.Scheme, host, AuthKey(path+".flv", s.PullAuthKey, exp)),
		HLS:  fmt.Sprintf("%s://%s.m3u8?auth_key=%s", s.Scheme, host, AuthKey(path+".m3u8", s.PullAuthKey, exp)),
	}
}

// RTCToken is a co-streaming token: sha256(appId+appKey+channel+user+ts).
func (m *Mic) RTCToken(channel, user string, ts int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s%s%s%s%d", m.AppID, m.AppKey, channel, user, ts))
	return hex.EncodeToString(sum[:])
}

// RTCURL is the artc:// URL to push ("push") or play ("play") channel as
// user, valid until ts.
func (m *Mic) RTCURL(verb, channel, user string, ts int64) string {
	return fmt.Sprintf("artc://live.aliyun.com/%s/%s?sdkAppId=%s&userId=%s&timestamp=%d&token=%s",
		verb, channel, m.AppID, user, ts, m.RTCToken(channel, user, ts))
}

// MixStream is the CDN stream of a co-streaming channel's anchor.
func (m *Mic) MixStream(channel, anchor string) string {
	return fmt.Sprintf("%s_%s_%s_camera", m.AppID, channel, anchor)
}

package svc

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// DefaultHashCost is the bcrypt cost of new password hashes when the
// configuration names none.
const DefaultHashCost = 10

// Config is the 随心播 protocol's part of the configuration file (the
// server decodes the file). Every key is optional; Defaults fills what is
// left out. A duration's key names its unit (_s, _ms); the `unit` tag
// says which.
type Config struct {
	// Apps are the SDKAppIDs this server serves; requests with another
	// appid get 10003.
	Apps []App `json:"apps"`

	// IMBaseURL is the IM REST API base (e.g. https://console.tim.qq.com).
	// Empty: IM messages are not sent and seq 0 is stored.
	IMBaseURL string `json:"im_base_url" kind:"url"`
	// ReplayIndexURL is the base of the replay-index service. Empty: the
	// index is never requested (makereplayidx answers 10103).
	ReplayIndexURL string `json:"replay_index_url" kind:"url"`
	// CallbackKey is the key Tencent signs callbacks with. Without it,
	// callbacks are refused unless AllowUnsignedCallbacks says otherwise.
	CallbackKey string `json:"callback_key"`
	// AllowUnsignedCallbacks accepts callbacks without a signature when no
	// key is set: anyone who can reach the server can then end classes'
	// replay and add recordings (a warning is logged at start).
	AllowUnsignedCallbacks bool `json:"allow_unsigned_callbacks"`

	RoomTimeout    time.Duration `json:"room_timeout_s" unit:"s"`     // default 300 s
	MemberTimeout  time.Duration `json:"member_timeout_s" unit:"s"`   // default 120 s
	ReaperInterval time.Duration `json:"reaper_interval_s" unit:"s"`  // default 10 s
	FlushInterval  time.Duration `json:"flush_interval_ms" unit:"ms"` // heartbeat write-behind, default 1 s
	ReplayIdxDelay time.Duration `json:"replay_idx_delay_s" unit:"s"` // after a class ends, default 300 s
	UserSigExpire  time.Duration `json:"usersig_expire_s" unit:"s"`   // default 180 days
	TokenExpire    time.Duration `json:"token_expire_s" unit:"s"`     // idle time, default 7 days
	// LoginConcurrent is how many password hashes run at once (default: the
	// cores and one more, so a core never waits for the next hash to be
	// handed out; the hashing threads run at the lowest OS priority).
	LoginConcurrent int `json:"login_concurrency"`
	// HashQueue is how many logins and registrations may wait for a hash
	// (default 256: at cost 10 about 13 s of hashing, within the 30-s write
	// timeout); past that they are answered "busy" at once.
	HashQueue int `json:"hash_queue"`
	// HashCost is the bcrypt cost of new password hashes (4..31, default
	// DefaultHashCost). Lower is faster to register and log in but weaker
	// against an offline attack on a stolen database; existing hashes keep
	// their cost.
	HashCost int   `json:"hash_cost"`
	Cloud    Cloud `json:"cloud"`
	COS      COS   `json:"cos"`
	VOD      VOD   `json:"vod"`
}

// App is one SDKAppID with the key its userSigs are made with.
type App struct {
	SDKAppID int64  `json:"sdkappid"`
	Key      string `json:"key"`
	Admin    string `json:"admin"` // IM admin identifier, default "admin"
}

// Cloud holds the Tencent Cloud account used for COS and VOD signing.
type Cloud struct {
	AppID     string `json:"appid"` // the cloud APPID (not the SDKAppID)
	SecretID  string `json:"secret_id"`
	SecretKey string `json:"secret_key"`
}

// COS holds the bucket settings for cos get_sign.
type COS struct {
	Bucket     string        `json:"bucket"`
	Region     string        `json:"region"`
	Expiration time.Duration `json:"expiration_s" unit:"s"` // default 30 days
	PreviewTag string        `json:"preview_tag"`           // default "preview"
	// Prefixes are the paths each role may get a signature for ("teacher",
	// "student"; {uid} is the caller's id). "/" is the whole bucket, which
	// the bucket-wide legacy reusable signature (no file_path) needs.
	Prefixes map[string][]string `json:"prefixes"`
}

// DefaultCOSPrefixes: teachers upload courseware and covers, and anyone
// into a folder of their own.
var DefaultCOSPrefixes = map[string][]string{
	"teacher": {"/courseware/", "/cover/", "/users/{uid}/"},
	"student": {"/users/{uid}/"},
}

// VOD holds the VOD API settings.
type VOD struct {
	Endpoint         string        `json:"endpoint"`                      // default vod.tencentcloudapi.com
	Region           string        `json:"region"`                        // default ap-guangzhou
	ClientSignExpire time.Duration `json:"client_sign_expire_s" unit:"s"` // default 30 days, as the reference
	// SignHosts and SignActions bound what vod get_sign signs with the
	// school's key: API hosts and Action values (defaults: the VOD hosts
	// and the upload and media-query actions the apps use).
	SignHosts   []string `json:"sign_hosts"`
	SignActions []string `json:"sign_actions"`
	// Reconcile is how often classes that ended without a recording are
	// looked up in VOD (default 10 minutes; negative: never; never
	// without cloud keys); ReconcileAfter is how long after a class's
	// end it waits for Tencent's recording callbacks first (default 10
	// minutes).
	Reconcile      time.Duration `json:"reconcile_s" unit:"s"`
	ReconcileAfter time.Duration `json:"reconcile_after_s" unit:"s"`
}

// DefaultSignHosts and DefaultSignActions are vod get_sign's defaults.
var (
	DefaultSignHosts   = []string{"vod.api.qcloud.com", "vod.tencentcloudapi.com"}
	DefaultSignActions = []string{"ApplyUpload", "CommitUpload", "DescribeVodInfo", "GetVideoInfo",
		"DescribeVodPlayUrls", "DescribeVodPlayInfo", "DescribeMediaInfos", "SearchMedia"}
)

// Defaults fills unset fields.
func (c *Config) Defaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	const day = 24 * time.Hour
	def(&c.RoomTimeout, 300*time.Second)
	def(&c.MemberTimeout, 120*time.Second)
	def(&c.ReaperInterval, 10*time.Second)
	def(&c.FlushInterval, time.Second)
	def(&c.ReplayIdxDelay, 300*time.Second)
	def(&c.UserSigExpire, 180*day)
	def(&c.TokenExpire, 7*day)
	def(&c.COS.Expiration, 30*day)
	def(&c.VOD.ClientSignExpire, 30*day)
	if c.VOD.Reconcile == 0 {
		c.VOD.Reconcile = 10 * time.Minute
	}
	def(&c.VOD.ReconcileAfter, 10*time.Minute)
	if c.LoginConcurrent <= 0 {
		c.LoginConcurrent = runtime.NumCPU() + 1
	}
	if c.HashQueue <= 0 {
		c.HashQueue = 256
	}
	if c.HashCost <= 0 {
		c.HashCost = DefaultHashCost
	}
	if c.COS.Prefixes == nil {
		c.COS.Prefixes = DefaultCOSPrefixes
	}
	if c.COS.PreviewTag == "" {
		c.COS.PreviewTag = "preview"
	}
	if c.VOD.Endpoint == "" {
		c.VOD.Endpoint = "vod.tencentcloudapi.com"
	}
	if c.VOD.Region == "" {
		c.VOD.Region = "ap-guangzhou"
	}
	if c.VOD.SignHosts == nil {
		c.VOD.SignHosts = DefaultSignHosts
	}
	if c.VOD.SignActions == nil {
		c.VOD.SignActions = DefaultSignActions
	}
	for i := range c.Apps {
		if c.Apps[i].Admin == "" {
			c.Apps[i].Admin = "admin"
		}
	}
}

// Validate rejects settings the protocol cannot run with.
func (c *Config) Validate() error {
	for role, list := range c.COS.Prefixes {
		if role != "teacher" && role != "student" {
			return fmt.Errorf("config: cos.prefixes: %q is not a role (teacher, student)", role)
		}
		for _, p := range list {
			if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || dotSegment(p) {
				return fmt.Errorf("config: cos.prefixes.%s: %q must start and end with / and hold no .. segment", role, p)
			}
		}
	}
	if c.HashCost != 0 && (c.HashCost < 4 || c.HashCost > 31) {
		return fmt.Errorf("config: hash_cost %d is outside 4..31", c.HashCost)
	}
	seen := map[int64]bool{}
	for _, a := range c.Apps {
		if a.SDKAppID <= 0 {
			return fmt.Errorf("config: app with sdkappid %d", a.SDKAppID)
		}
		if a.Key == "" {
			return fmt.Errorf("config: app %d has no key", a.SDKAppID)
		}
		if strings.Contains(a.Key, "-----BEGIN") {
			return fmt.Errorf("config: app %d: key holds a PEM private key (the PHP server's private_pem_path, TLS signature v1): "+
				"sxb-edu signs userSigs with TLS signature v2; put the SDKAppID's secret key from the IM console "+
				"(application, basic configuration: the key for UserSig) in key, and keep the same SDKAppID", a.SDKAppID)
		}
		if seen[a.SDKAppID] {
			return fmt.Errorf("config: app %d twice", a.SDKAppID)
		}
		seen[a.SDKAppID] = true
	}
	return nil
}

// seconds is d in whole seconds, as the protocol's times are.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

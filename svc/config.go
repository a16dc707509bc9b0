package svc

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Config is the server's configuration file (JSON). Every field is
// optional; Defaults fills what is left out.
type Config struct {
	// Apps are the SDKAppIDs this server serves; requests with another
	// appid get 10003.
	Apps []App `json:"apps"`

	// IMBaseURL is the IM REST API base (e.g. https://console.tim.qq.com).
	// Empty: IM messages are not sent and seq 0 is stored.
	IMBaseURL string `json:"im_base_url"`
	// ReplayIndexURL is the base of the replay-index service. Empty: the
	// index is never requested (makereplayidx answers 10103).
	ReplayIndexURL string `json:"replay_index_url"`
	// CallbackKey, when set, is the key that callbacks are signed with.
	CallbackKey string `json:"callback_key"`

	RoomTimeout     int64 `json:"room_timeout"`      // seconds, default 300
	MemberTimeout   int64 `json:"member_timeout"`    // seconds, default 120
	ReaperInterval  int64 `json:"reaper_interval"`   // seconds, default 10
	FlushInterval   int64 `json:"flush_interval_ms"` // heartbeat write-behind, ms, default 1000
	ReplayIdxDelay  int64 `json:"replay_idx_delay"`  // seconds after a class ends, default 300
	UserSigExpire   int64 `json:"usersig_expire"`    // seconds, default 180 days
	TokenExpire     int64 `json:"token_expire"`      // idle seconds, default 7 days
	LoginConcurrent int   `json:"login_concurrency"` // password hashes at once, default 1
	// HashCost is the bcrypt cost of new password hashes (4..31, default
	// 10). Lower is faster to register and log in but weaker against an
	// offline attack on a stolen database; existing hashes keep their cost.
	HashCost int `json:"hash_cost"`
	// TrustedProxies are the addresses (IP or CIDR) of reverse proxies
	// whose X-Forwarded-For / X-Real-IP name the client; from any other
	// peer those headers are ignored (login rate limits go by address).
	TrustedProxies []string `json:"trusted_proxies"`
	// BusyTimeoutMS is how long a write waits for a locked database
	// before the request fails with 90000 (ms, default 5000).
	BusyTimeoutMS int64 `json:"busy_timeout_ms"`

	Cloud Cloud `json:"cloud"`
	COS   COS   `json:"cos"`
	VOD   VOD   `json:"vod"`
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
	Bucket     string `json:"bucket"`
	Region     string `json:"region"`
	Expiration int64  `json:"expiration"`  // seconds, default 30 days
	PreviewTag string `json:"preview_tag"` // default "preview"
}

// VOD holds the VOD API settings.
type VOD struct {
	Endpoint         string `json:"endpoint"`           // default vod.tencentcloudapi.com
	Region           string `json:"region"`             // default ap-guangzhou
	ClientSignExpire int64  `json:"client_sign_expire"` // seconds, default 2 days
}

// LoadConfig reads a configuration file; an empty path gives the defaults.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, c); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	c.Defaults()
	return c, c.Validate()
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.RoomTimeout, 300)
	def(&c.MemberTimeout, 120)
	def(&c.ReaperInterval, 10)
	def(&c.FlushInterval, 1000)
	def(&c.ReplayIdxDelay, 300)
	def(&c.BusyTimeoutMS, 5000)
	def(&c.UserSigExpire, 180*24*3600)
	def(&c.TokenExpire, 7*24*3600)
	def(&c.COS.Expiration, 30*24*3600)
	def(&c.VOD.ClientSignExpire, 2*24*3600)
	if c.LoginConcurrent <= 0 {
		c.LoginConcurrent = 1
	}
	if c.HashCost <= 0 {
		c.HashCost = 10
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
	for i := range c.Apps {
		if c.Apps[i].Admin == "" {
			c.Apps[i].Admin = "admin"
		}
	}
}

// Validate rejects a configuration the server cannot run with.
func (c *Config) Validate() error {
	if c.HashCost != 0 && (c.HashCost < 4 || c.HashCost > 31) {
		return fmt.Errorf("config: hash_cost %d is outside 4..31", c.HashCost)
	}
	if _, err := ParseProxies(c.TrustedProxies); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, a := range c.Apps {
		if a.SDKAppID <= 0 {
			return fmt.Errorf("config: app with sdkappid %d", a.SDKAppID)
		}
		if a.Key == "" {
			return fmt.Errorf("config: app %d has no key", a.SDKAppID)
		}
		if seen[a.SDKAppID] {
			return fmt.Errorf("config: app %d twice", a.SDKAppID)
		}
		seen[a.SDKAppID] = true
	}
	return nil
}

// Flush is the heartbeat write-behind interval.
func (c *Config) Flush() time.Duration { return time.Duration(c.FlushInterval) * time.Millisecond }

package svc

import (
	"runtime"
	"sxb-edu/goclass"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"
)

// DefaultHashCost is the bcrypt cost of new password hashes when the
// configuration names none.
const DefaultHashCost = 10

// Config is the server's configuration file (JSON). Every key is
// optional; Defaults fills what is left out. A duration's key names its
// unit (_s, _ms); the `unit` tag says which.
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
	BusyTimeout    time.Duration `json:"busy_timeout_ms" unit:"ms"`   // a write waits this long for a locked database, default 5 s
	// LoginConcurrent is how many password hashes run at once (default: the
	// cores and one more, so a core never waits for the next hash to be
	// handed out; the hashing threads run at the lowest OS priority).
	LoginConcurrent int `json:"login_concurrency"`
	// MaxConnections caps the open client connections (default 10000): an
	// idle keep-alive connection holds memory until the idle timeout.
	MaxConnections int `json:"max_connections"`
	// ShutdownTimeout is how long a stop waits for requests in flight
	// (default 15 s); past it the server exits with an error.
	ShutdownTimeout time.Duration `json:"shutdown_timeout_s" unit:"s"`
	// HashQueue is how many logins and registrations may wait for a hash
	// (default 256: at cost 10 about 13 s of hashing, within the 30-s write
	// timeout); past that they are answered "busy" at once.
	HashQueue int `json:"hash_queue"`
	// HashCost is the bcrypt cost of new password hashes (4..31, default
	// DefaultHashCost). Lower is faster to register and log in but weaker
	// against an offline attack on a stolen database; existing hashes keep
	// their cost.
	HashCost int `json:"hash_cost"`
	// TrustedProxies are the addresses (IP or CIDR) of reverse proxies
	// whose X-Forwarded-For / X-Real-IP name the client; from any other
	// peer those headers are ignored (login rate limits go by address).
	// Validate parses them into Proxies.
	TrustedProxies []string       `json:"trusted_proxies"`
	Proxies        []netip.Prefix `json:"-"`

	Cloud Cloud `json:"cloud"`
	COS   COS   `json:"cos"`
	VOD   VOD   `json:"vod"`

	// Zego turns on the GO课堂 room API (/edu_room/…) when present.
	Zego *goclass.Config `json:"zego"`
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
}

// DefaultSignHosts and DefaultSignActions are vod get_sign's defaults.
var (
	DefaultSignHosts   = []string{"vod.api.qcloud.com", "vod.tencentcloudapi.com"}
	DefaultSignActions = []string{"ApplyUpload", "CommitUpload", "DescribeVodInfo", "GetVideoInfo",
		"DescribeVodPlayUrls", "DescribeVodPlayInfo", "DescribeMediaInfos", "SearchMedia"}
)

// LoadConfig reads a configuration file; an empty path gives the defaults.
// Unknown keys, values of the wrong type and values that make no sense
// (a zero or negative duration) are refused, naming the key.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	if path != "" {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: file %s does not exist", path)
		}
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := parseConfig(b, c); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	c.Defaults()
	return c, c.Validate()
}

// parseConfig decodes a configuration file's text into c, strictly.
func parseConfig(b []byte, c *Config) error {
	var syn *json.SyntaxError
	if err := json.Unmarshal(b, new(any)); errors.As(err, &syn) {
		line, col := position(b, syn.Offset-1) // Offset is just past the bad byte
		return fmt.Errorf("line %d, column %d: %v", line, col, syn)
	} else if err != nil {
		return err
	}
	return decodeStrict("", b, reflect.ValueOf(c).Elem())
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

var durationType = reflect.TypeOf(time.Duration(0))

func keyPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// decodeStrict decodes raw into v by the json tags of v's type, refusing
// keys the type does not have.
func decodeStrict(path string, raw []byte, v reflect.Value) error {
	switch {
	case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct:
		p := reflect.New(v.Type().Elem())
		if err := decodeStrict(path, raw, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case v.Kind() == reflect.Struct:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return fmt.Errorf("%q must be an object", nonEmpty(path))
		}
		fields := map[string]int{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = i
			}
		}
		for key, val := range obj {
			i, ok := fields[key]
			if !ok {
				return fmt.Errorf("unknown key %q", keyPath(path, key))
			}
			f := t.Field(i)
			if err := decodeField(keyPath(path, key), val, v.Field(i), f); err != nil {
				return err
			}
		}
		return nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("%q must be a list", path)
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			if err := decodeStrict(fmt.Sprintf("%s[%d]", path, i), it, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	}
	if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
		return fmt.Errorf("%q: want a %s", path, typeName(v.Type()))
	}
	return nil
}

func nonEmpty(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64:
		return "whole number"
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s"
	}
	return t.String()
}

// decodeField decodes one key: durations by their unit, numbers that must
// be positive, URLs that must parse.
func decodeField(path string, raw []byte, v reflect.Value, f reflect.StructField) error {
	if f.Type == durationType {
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return fmt.Errorf("%q: want a whole number of %s", path, unitName(f.Tag.Get("unit")))
		}
		if n <= 0 {
			return fmt.Errorf("%q: %d is not a positive duration", path, n)
		}
		unit := time.Second
		if f.Tag.Get("unit") == "ms" {
			unit = time.Millisecond
		}
		v.SetInt(int64(time.Duration(n) * unit))
		return nil
	}
	if err := decodeStrict(path, raw, v); err != nil {
		return err
	}
	switch {
	case v.Kind() == reflect.Int && v.Int() <= 0:
		return fmt.Errorf("%q: %d must be positive", path, v.Int())
	case f.Tag.Get("kind") == "url" && v.String() != "":
		u, err := url.Parse(v.String())
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q: %q is not an http(s) URL", path, v.String())
		}
	}
	return nil
}

func unitName(u string) string {
	if u == "ms" {
		return "milliseconds"
	}
	return "seconds"
}

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
	def(&c.BusyTimeout, 5*time.Second)
	def(&c.UserSigExpire, 180*day)
	def(&c.TokenExpire, 7*day)
	def(&c.COS.Expiration, 30*day)
	def(&c.VOD.ClientSignExpire, 30*day)
	if c.LoginConcurrent <= 0 {
		c.LoginConcurrent = runtime.NumCPU() + 1
	}
	if c.HashQueue <= 0 {
		c.HashQueue = 256
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 10000
	}
	def(&c.ShutdownTimeout, 15*time.Second)
	if c.HashCost <= 0 {
		c.HashCost = DefaultHashCost
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
	if c.Zego != nil {
		c.Zego.Defaults()
	}
	for i := range c.Apps {
		if c.Apps[i].Admin == "" {
			c.Apps[i].Admin = "admin"
		}
	}
}

// Validate rejects a configuration the server cannot run with and parses
// the trusted proxies.
func (c *Config) Validate() error {
	if c.HashCost != 0 && (c.HashCost < 4 || c.HashCost > 31) {
		return fmt.Errorf("config: hash_cost %d is outside 4..31", c.HashCost)
	}
	p, err := parseProxies(c.TrustedProxies)
	if err != nil {
		return err
	}
	c.Proxies = p
	if c.Zego != nil {
		if err := c.Zego.Validate(); err != nil {
			return err
		}
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

// parseProxies reads the trusted_proxies setting: IP addresses or CIDR
// prefixes of the reverse proxies whose X-Forwarded-For / X-Real-IP
// headers are believed.
func parseProxies(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("config: trusted_proxies: %w", err)
			}
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("config: trusted_proxies: %w", err)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// seconds is d in whole seconds, as the protocol's times are.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// Package auiclass serves the AppServer API of Alibaba Cloud's AUI Kits
// interactive-classroom apps, as the Java server of
// MediaBox-AUIKits/AUIInteractionClass answers it: login tokens, IM
// tokens and groups, classes with their members, kicks, courseware,
// assistant permits, co-streaming URLs and NetEase whiteboard rooms.
// Its classes live in the same database as the other fronts' rooms;
// its accounts are the server's.
package auiclass

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"sxb-edu/aui"
)

// Config is the "aui_class" section of the configuration file.
type Config struct {
	// Login is "accounts" or "demo", as for the AUI live front.
	Login string `json:"login"`
	// JWTKey is the Java server's secret string, read as its JWT library
	// reads it (leniently base64-decoded), whose tokens are honoured
	// besides the server's own.
	JWTKey     string        `json:"jwt_key"`
	JWTTimeout time.Duration `json:"jwt_timeout_s" unit:"s"` // default 7 days
	OpenAPI    aui.OpenAPI   `json:"openapi"`
	IMAppID    string        `json:"im_app_id"`
	NewIM      aui.NewIM     `json:"new_im"`
	Whiteboard Whiteboard    `json:"whiteboard"`
	Mic        aui.Mic       `json:"mic"`
	Stream     aui.Stream    `json:"stream"`
	// RootLogin gives the bare /login to this front when both AUI fronts
	// are on (the live front has it otherwise).
	RootLogin bool `json:"root_login"`
}

// Whiteboard is NetEase's whiteboard service, one room a class.
type Whiteboard struct {
	Endpoint  string `json:"endpoint"`
	AppKey    string `json:"app_key"`
	AppSecret string `json:"app_secret"`
	// DestroyAfter is how long a class's whiteboard room lives (s).
	DestroyAfter int64 `json:"channel_destroy_time_s"`
}

// On says whether whiteboard rooms are made.
func (w *Whiteboard) On() bool { return w.AppKey != "" && w.AppSecret != "" }

// Defaults fills unset fields but Login, which the server sets.
func (c *Config) Defaults() {
	if c.JWTTimeout <= 0 {
		c.JWTTimeout = 7 * 24 * time.Hour
	}
	if c.OpenAPI.Endpoint == "" {
		c.OpenAPI.Endpoint = "live.aliyuncs.com"
	}
	if c.OpenAPI.Region == "" {
		c.OpenAPI.Region = "cn-shanghai"
	}
	if c.Whiteboard.Endpoint == "" {
		c.Whiteboard.Endpoint = "https://vcloud.163.com"
	}
	if c.Whiteboard.DestroyAfter <= 0 {
		c.Whiteboard.DestroyAfter = 86400
	}
	if c.Stream.AppName == "" {
		c.Stream.AppName = "live"
	}
	if c.Stream.Scheme == "" {
		c.Stream.Scheme = "https" // the Java server's FLV and HLS URLs
	}
	if c.Stream.AuthExpires <= 0 {
		c.Stream.AuthExpires = 7 * 24 * 3600
	}
}

// Validate refuses settings the front cannot run with.
func (c *Config) Validate() error {
	if c.Login != "" && c.Login != "demo" && c.Login != "accounts" {
		return fmt.Errorf("config: aui_class.login: %q is neither \"accounts\" nor \"demo\"", c.Login)
	}
	for key, e := range map[string]string{"openapi.endpoint": c.OpenAPI.Endpoint, "whiteboard.endpoint": c.Whiteboard.Endpoint} {
		if strings.Contains(e, "://") {
			u, err := url.Parse(e)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("config: aui_class.%s: %q is not a host or an http(s) URL", key, e)
			}
		} else if key == "whiteboard.endpoint" {
			return fmt.Errorf("config: aui_class.whiteboard.endpoint: %q is not an http(s) URL", e)
		}
	}
	if (c.OpenAPI.AccessKeyID == "") != (c.OpenAPI.AccessKeySecret == "") {
		return fmt.Errorf("config: aui_class.openapi: access_key_id and access_key_secret go together")
	}
	if c.OpenAPI.Configured() && c.IMAppID == "" {
		return fmt.Errorf("config: aui_class.im_app_id is needed with openapi keys")
	}
	if (c.Whiteboard.AppKey == "") != (c.Whiteboard.AppSecret == "") {
		return fmt.Errorf("config: aui_class.whiteboard: app_key and app_secret go together")
	}
	return nil
}

// JJWTKey is the key a Java server's secret string stands for: its JWT
// library base64-decodes it leniently (characters outside the alphabet
// skipped, a partial last group dropped, the length guessed from the
// raw text).
func JJWTKey(s string) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	pad := 0
	for i := len(s) - 1; i >= 0 && s[i] == '='; i-- {
		pad++
	}
	guess := len(s) / 4 * 3
	if pad <= 2 {
		guess -= pad
	}
	var vals []byte
	for i := 0; i < len(s); i++ {
		if j := strings.IndexByte(alphabet, s[i]); j >= 0 {
			vals = append(vals, byte(j))
		}
	}
	var out []byte
	for i := 0; i+3 < len(vals); i += 4 {
		out = append(out, vals[i]<<2|vals[i+1]>>4, vals[i+1]<<4|vals[i+2]>>2, vals[i+2]<<6|vals[i+3])
	}
	if pad > 0 && len(vals)%4 != 0 {
		// "xx==" and "xxx=" groups: the '=' are not in vals.
		rest := vals[len(vals)/4*4:]
		if len(rest) >= 2 {
			out = append(out, rest[0]<<2|rest[1]>>4)
		}
		if len(rest) == 3 {
			out = append(out, rest[1]<<4|rest[2]>>2)
		}
	}
	if len(out) > guess {
		out = out[:guess]
	}
	return out
}

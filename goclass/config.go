// Package goclass serves the room API of ZEGO's GO课堂 (go-class) clients:
// rooms created by their first login, small and large classes with
// their people and co-streaming caps, camera, mic and sharing states,
// heartbeats, and the room notifications sent through ZEGO's server API.
// Its rooms live in the same database as the 随心播 classes but share
// nothing with them: no account of the 随心播 protocol is reachable here.
package goclass

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is the "zego" section of the configuration file.
type Config struct {
	// Endpoint is ZEGO's server API; {app_id} is replaced by a class's AppID.
	Endpoint          string `json:"endpoint"`
	HeartbeatInterval int    `json:"heartbeat_interval"` // seconds, default 120
	DestroyBuffer     int    `json:"destroy_buffer"`     // seconds an empty room is kept, default 900
	// AESKey and AESIV decrypt requests sent in the "s" envelope (and
	// encrypt their answers); RequireEnvelope refuses plain requests.
	AESKey          string `json:"aes_key"`
	AESIV           string `json:"aes_iv"`
	RequireEnvelope bool   `json:"require_envelope"`
	Small           Class  `json:"small"`
	Large           Class  `json:"large"`
	// MaxRooms caps the GO课堂 rooms held at once (default 5000);
	// RoomsPerMinute caps the new rooms one client address makes in a
	// minute (default 30). Past either, a login that would make a room is
	// refused (code 10012).
	MaxRooms       int `json:"max_rooms"`
	RoomsPerMinute int `json:"rooms_per_minute"`
}

// Class is one class type's ZEGO app and room rules.
type Class struct {
	AppID     int64  `json:"app_id"`
	AppSecret string `json:"app_secret"`
	// AppSign is the app's AppSignature as ZEGO's console shows it
	// ("0x01,0x23,…"), used for the web clients' app_token.
	AppSign     string `json:"app_sign"`
	BizType     int    `json:"biz_type"` // default 1
	MaxPeople   int    `json:"max_people"`
	MaxJoinLive int    `json:"max_join_live"`
	// Camera and mic states: 1 off, 2 on.
	DefaultCamera int `json:"default_camera"`
	DefaultMic    int `json:"default_mic"`
	AllowCamera   int `json:"allow_camera"`
	AllowMic      int `json:"allow_mic"`
}

// Interval is the heartbeat interval the clients are told.
func (c *Config) Interval() time.Duration { return time.Duration(c.HeartbeatInterval) * time.Second }

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 120
	}
	if c.DestroyBuffer == 0 {
		c.DestroyBuffer = 900
	}
	if c.MaxRooms == 0 {
		c.MaxRooms = 5000
	}
	if c.RoomsPerMinute == 0 {
		c.RoomsPerMinute = 30
	}
	for _, k := range []*Class{&c.Small, &c.Large} {
		if k.BizType == 0 {
			k.BizType = 1
		}
		if k.MaxPeople == 0 {
			k.MaxPeople = 10
		}
		if k.MaxJoinLive == 0 {
			k.MaxJoinLive = 4
		}
		for _, v := range []*int{&k.DefaultCamera, &k.DefaultMic} {
			if *v == 0 {
				*v = 1
			}
		}
		for _, v := range []*int{&k.AllowCamera, &k.AllowMic} {
			if *v == 0 {
				*v = 2
			}
		}
	}
}

// Validate refuses a section the API cannot run with.
func (c *Config) Validate() error {
	u, err := url.Parse(strings.ReplaceAll(c.Endpoint, "{app_id}", "1"))
	if c.Endpoint == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: zego.endpoint %q is not an http(s) URL", c.Endpoint)
	}
	if c.HeartbeatInterval <= 0 || c.DestroyBuffer <= 0 {
		return fmt.Errorf("config: zego.heartbeat_interval and zego.destroy_buffer must be positive")
	}
	if (c.AESKey == "") != (c.AESIV == "") {
		return fmt.Errorf("config: zego.aes_key and zego.aes_iv go together")
	}
	if c.AESKey != "" {
		if n := len(c.AESKey); n != 16 && n != 24 && n != 32 {
			return fmt.Errorf("config: zego.aes_key must be 16, 24 or 32 bytes, not %d", n)
		}
		if len(c.AESIV) != 16 {
			return fmt.Errorf("config: zego.aes_iv must be 16 bytes, not %d", len(c.AESIV))
		}
	}
	if c.RequireEnvelope && c.AESKey == "" {
		return fmt.Errorf("config: zego.require_envelope needs zego.aes_key and zego.aes_iv")
	}
	for name, k := range map[string]*Class{"small": &c.Small, "large": &c.Large} {
		p := "config: zego." + name
		switch {
		case k.AppID <= 0 || k.AppID > 1<<32-1:
			return fmt.Errorf("%s.app_id %d is not a ZEGO AppID", p, k.AppID)
		case k.AppSecret == "":
			return fmt.Errorf("%s.app_secret is missing", p)
		case k.MaxPeople < 1 || k.MaxJoinLive < 1:
			return fmt.Errorf("%s.max_people and max_join_live must be positive", p)
		}
		for key, v := range map[string]int{"default_camera": k.DefaultCamera, "default_mic": k.DefaultMic,
			"allow_camera": k.AllowCamera, "allow_mic": k.AllowMic} {
			if v != off && v != on {
				return fmt.Errorf("%s.%s %d must be 1 (off) or 2 (on)", p, key, v)
			}
		}
		if k.AppSign != "" && len(signHex(k.AppSign)) < 32 {
			return fmt.Errorf("%s.app_sign has fewer than 32 hex digits", p)
		}
	}
	return nil
}

// endpoint is the server API base of a class.
func (c *Config) endpoint(k *Class) string {
	return strings.TrimRight(strings.ReplaceAll(c.Endpoint, "{app_id}", fmt.Sprint(k.AppID)), "/")
}

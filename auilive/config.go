// Package auilive serves the AppServer API of Alibaba Cloud's AUI Kits
// interactive-live apps (the Go reference cinience/AUIInteractionLiveService
// and, for /api/v2, the Java server of MediaBox-AUIKits/AUIInteractionLive):
// login tokens, IM tokens and groups, live rooms with their signed push,
// pull and co-streaming URLs. Its rooms live in the same database as the
// other fronts' classes; its accounts are the server's accounts.
package auilive

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"sxb-edu/aui"
)

// Config is the "aui_live" section of the configuration file.
type Config struct {
	// Login is "accounts" (the server's accounts and passwords) or "demo"
	// (the reference's rule: the password is the name; the account is
	// made on first login). The server picks the default.
	Login string `json:"login"`
	// JWTKey is a key whose tokens are honoured besides the server's own
	// (the reference's, during a cut-over); new tokens use the server's.
	JWTKey     string        `json:"jwt_key"`
	JWTTimeout time.Duration `json:"jwt_timeout_s" unit:"s"` // default 24 h, also the refresh window
	OpenAPI    aui.OpenAPI   `json:"openapi"`
	IMAppID    string        `json:"im_app_id"`
	// NewIM is the app of Alibaba's newer IM, whose tokens the v2 API
	// computes locally.
	NewIM  aui.NewIM  `json:"new_im"`
	Stream aui.Stream `json:"stream"`
	Mic    aui.Mic    `json:"mic"`
	// ListShape is "array" (the documented /list answer) or "object"
	// ({live_list, total_count}, the reference's newer answer).
	ListShape string `json:"list_shape"`
	// MeetingUpdate is who may replace a room's co-streaming list:
	// "anchor" or "anyone" (the reference's rule).
	MeetingUpdate string `json:"meeting_update"`
	// RootLogin gives the bare /login to this front when both AUI fronts
	// are on (it is this front's by default).
	RootLogin bool `json:"root_login"`
}

// Defaults fills unset fields but Login, which the server sets.
func (c *Config) Defaults() {
	if c.JWTTimeout <= 0 {
		c.JWTTimeout = 24 * time.Hour
	}
	if c.OpenAPI.Endpoint == "" {
		c.OpenAPI.Endpoint = "live.aliyuncs.com"
	}
	if c.OpenAPI.Region == "" {
		c.OpenAPI.Region = "cn-shanghai"
	}
	if c.Stream.AppName == "" {
		c.Stream.AppName = "live"
	}
	if c.Stream.Scheme == "" {
		c.Stream.Scheme = "http"
	}
	if c.Stream.AuthExpires <= 0 {
		c.Stream.AuthExpires = 7 * 24 * 3600
	}
	if c.ListShape == "" {
		c.ListShape = "array"
	}
	if c.MeetingUpdate == "" {
		c.MeetingUpdate = "anchor"
	}
}

// Validate refuses settings the front cannot run with.
func (c *Config) Validate() error {
	if c.Login != "" && c.Login != "demo" && c.Login != "accounts" {
		return fmt.Errorf("config: aui_live.login: %q is neither \"accounts\" nor \"demo\"", c.Login)
	}
	if c.ListShape != "array" && c.ListShape != "object" {
		return fmt.Errorf("config: aui_live.list_shape: %q is neither \"array\" nor \"object\"", c.ListShape)
	}
	if c.MeetingUpdate != "anchor" && c.MeetingUpdate != "anyone" {
		return fmt.Errorf("config: aui_live.meeting_update: %q is neither \"anchor\" nor \"anyone\"", c.MeetingUpdate)
	}
	if e := c.OpenAPI.Endpoint; strings.Contains(e, "://") {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: aui_live.openapi.endpoint: %q is not a host or an http(s) URL", e)
		}
	}
	if (c.OpenAPI.AccessKeyID == "") != (c.OpenAPI.AccessKeySecret == "") {
		return fmt.Errorf("config: aui_live.openapi: access_key_id and access_key_secret go together")
	}
	if c.OpenAPI.Configured() && c.IMAppID == "" {
		return fmt.Errorf("config: aui_live.im_app_id is needed with openapi keys (the IM groups and tokens are the app's)")
	}
	return nil
}

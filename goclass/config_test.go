package goclass_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sxb-edu/server"
)

func TestConfig(t *testing.T) {
	t.Parallel()
	const class = `{"app_id": 1, "app_secret": "s"}`
	for _, c := range []struct{ zego, err string }{
		{`{"endpoint": "https://z/{app_id}", "small": ` + class + `, "large": ` + class + `}`, ""},
		{`{"small": ` + class + `, "large": ` + class + `}`, "zego.endpoint"},
		{`{"endpoint": "ftp://z", "small": ` + class + `, "large": ` + class + `}`, "zego.endpoint"},
		{`{"endpoint": "https://z", "small": ` + class + `}`, "zego.large.app_id"},
		{`{"endpoint": "https://z", "small": {"app_id": 1}, "large": ` + class + `}`, "zego.small.app_secret"},
		{`{"endpoint": "https://z", "small": {"app_id": 1, "app_secret": "s", "default_camera": 3}, "large": ` + class + `}`, "default_camera"},
		{`{"endpoint": "https://z", "small": {"app_id": 1, "app_secret": "s", "app_sign": "0x01"}, "large": ` + class + `}`, "app_sign"},
		{`{"endpoint": "https://z", "aes_key": "short", "aes_iv": "0123456789abcdef", "small": ` + class + `, "large": ` + class + `}`, "aes_key"},
		{`{"endpoint": "https://z", "aes_key": "0123456789abcdef", "small": ` + class + `, "large": ` + class + `}`, "go together"},
		{`{"endpoint": "https://z", "require_envelope": true, "small": ` + class + `, "large": ` + class + `}`, "require_envelope"},
		{`{"endpoint": "https://z", "heartbeat_interval": 0, "small": ` + class + `, "large": ` + class + `}`, "heartbeat_interval"},
		{`{"endpoint": "https://z", "small": {"app_id": 1, "app_secret": "s", "max_peple": 3}, "large": ` + class + `}`, `unknown key "zego.small.max_peple"`},
	} {
		path := filepath.Join(t.TempDir(), "c.json")
		os.WriteFile(path, []byte(`{"zego": `+c.zego+`}`), 0o600)
		cfg, err := server.LoadConfig(path)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.zego, err)
		case c.err == "" && (cfg.GoClass.HeartbeatInterval != 120 || cfg.GoClass.Small.MaxPeople != 10 || cfg.GoClass.Small.DefaultCamera != 1):
			t.Errorf("%s: defaults %+v", c.zego, cfg.GoClass)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: want an error naming %q, got %v", c.zego, c.err, err)
		}
	}
}

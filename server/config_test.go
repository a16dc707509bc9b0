package server_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/svc"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name, text, err string
	}{
		{"unknown key", `{"callbak_key":"k"}`, `unknown key "callbak_key"`},
		{"unknown nested key", `{"cos":{"bucket":"b","regoin":"x"}}`, `unknown key "cos.regoin"`},
		{"unknown key in a list", `{"apps":[{"sdkappid":1,"key":"k","admn":"a"}]}`, `unknown key "apps[0].admn"`},
		{"old key without its unit", `{"room_timeout":300}`, `unknown key "room_timeout"`},
		{"zero duration", `{"room_timeout_s":0}`, `"room_timeout_s": 0 is not a positive duration`},
		{"negative duration", `{"flush_interval_ms":-5}`, `"flush_interval_ms": -5 is not a positive duration`},
		{"nested duration", `{"vod":{"client_sign_expire_s":-1}}`, `"vod.client_sign_expire_s": -1`},
		{"duration of a wrong type", `{"member_timeout_s":"120"}`, `"member_timeout_s": want a whole number of seconds`},
		{"zero count", `{"login_concurrency":0}`, `"login_concurrency": 0 must be positive`},
		{"hash cost out of range", `{"hash_cost":3}`, `hash_cost 3 is outside 4..31`},
		{"string of a wrong type", `{"callback_key":5}`, `"callback_key": want a string`},
		{"not a URL", `{"im_base_url":"console.tim.qq.com"}`, `"im_base_url": "console.tim.qq.com" is not an http(s) URL`},
		{"bad proxy", `{"trusted_proxies":["10.0.0.0/33"]}`, `trusted_proxies`},
		{"syntax error", "{\n  \"apps\": [\n  ,\n]}", `line 3, column 3`},
		{"not an object", `[1]`, `must be an object`},
		{"app without key", `{"apps":[{"sdkappid":1}]}`, `app 1 has no key`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := server.LoadConfig(write(c.text))
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want it to say %q", err, c.err)
			}
		})
	}
	if _, err := server.LoadConfig(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "config: file") {
		t.Fatalf("missing file: %v", err)
	}

	cfg, err := server.LoadConfig(write(`{"apps":[{"sdkappid":1400000001,"key":"k"}],"room_timeout_s":60,
		"flush_interval_ms":250,"busy_timeout_ms":200,"trusted_proxies":["127.0.0.1","10.0.0.0/8"],
		"im_base_url":"https://console.tim.qq.com","cos":{"expiration_s":3600},"vod":{"client_sign_expire_s":7200}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RoomTimeout != time.Minute || cfg.FlushInterval != 250*time.Millisecond || cfg.BusyTimeout != 200*time.Millisecond ||
		cfg.COS.Expiration != time.Hour || cfg.VOD.ClientSignExpire != 2*time.Hour || len(cfg.Proxies) != 2 ||
		cfg.Apps[0].Admin != "admin" || cfg.MemberTimeout != 2*time.Minute || cfg.HashCost != svc.DefaultHashCost {
		t.Fatalf("config %+v", cfg)
	}
	def, err := server.LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	// The reference's client-upload signature lifetime: 30 days.
	if def.VOD.ClientSignExpire != 30*24*time.Hour || def.TokenExpire != 7*24*time.Hour {
		t.Fatalf("defaults %+v", def)
	}
}

// config.example.json loads as it is and names every key of Config.
func TestConfigExample(t *testing.T) {
	t.Parallel()
	const path = "../config.example.json"
	cfg, err := server.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Apps) != 1 || cfg.GoClass == nil || cfg.GoClass.Large.MaxJoinLive != 1 {
		t.Fatalf("apps %+v, zego %+v", cfg.Apps, cfg.GoClass)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Anonymous {
				walk(f.Type) // a component's keys at the top level
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if !strings.Contains(string(text), `"`+name+`"`) {
				missing = append(missing, name)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)) {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeOf(server.Config{}))
	if len(missing) > 0 {
		t.Fatalf("config.example.json lacks %v", missing)
	}
}

// A PEM private key pasted as an app's key (the PHP server's TLS
// signature v1 key) is refused, saying what to put there.
func TestConfigRefusesPEMKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.json")
	pem := "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBx\\n-----END EC PRIVATE KEY-----\\n"
	os.WriteFile(path, []byte(`{"apps":[{"sdkappid":1400000001,"key":"`+pem+`"}]}`), 0o600)
	_, err := server.LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), "PEM private key") || !strings.Contains(err.Error(), "TLS signature v2") {
		t.Fatalf("a PEM key: %v", err)
	}
}

package server

import (
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

	"sxb-edu/auiclass"
	"sxb-edu/auilive"
	"sxb-edu/goclass"
	"sxb-edu/lcic"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// Config is the configuration file: one JSON object whose keys belong to
// the components that use them. The components' settings sit side by
// side at the top level (as they always have) and the GO课堂 API has its
// section; each component owns its type, defaults and checks, and this
// file decodes and validates the whole.
type Config struct {
	svc.Config
	HTTP
	store.Options
	// GoClass turns on the GO课堂 room API (/edu_room/…) when present.
	GoClass *goclass.Config `json:"zego"`
	// AUILive turns on the AUI Kits live AppServer API when present.
	AUILive *auilive.Config `json:"aui_live"`
	// AUIClass turns on the AUI Kits classroom AppServer API when present.
	AUIClass *auiclass.Config `json:"aui_class"`
	// LCIC turns on Tencent LCIC's cloud API (POST / with X-TC-Action).
	LCIC *lcic.Config `json:"lcic"`
}

// HTTP holds the HTTP server's settings.
type HTTP struct {
	// TrustedProxies are the addresses (IP or CIDR) of reverse proxies
	// whose X-Forwarded-For / X-Real-IP name the client; from any other
	// peer those headers are ignored (rate limits go by address).
	// Validate parses them into Proxies.
	TrustedProxies []string       `json:"trusted_proxies"`
	Proxies        []netip.Prefix `json:"-"`
	// MaxConnections caps the open client connections (default 10000): an
	// idle keep-alive connection holds memory until the idle timeout.
	MaxConnections int `json:"max_connections"`
	// ShutdownTimeout is how long a stop waits for requests in flight
	// (default 15 s); past it the server exits with an error.
	ShutdownTimeout time.Duration `json:"shutdown_timeout_s" unit:"s"`
	// RequestTimeout bounds a request's work in the server (default 10 s,
	// always within the write timeout): a database call still waiting
	// then (a row lock, a frozen database) is abandoned and the request
	// answered as a server fault (90000).
	RequestTimeout time.Duration `json:"request_timeout_s" unit:"s"`
	// TLSCert and TLSKey are a certificate (chain) and key file pair in
	// PEM: the server then answers HTTPS (and HTTP/2) on its address, and
	// reloads the pair on SIGHUP and when the files change.
	TLSCert string `json:"tls_cert"`
	TLSKey  string `json:"tls_key"`
	// HTTPS names the domains to get certificates for through ACME: the
	// server then answers HTTPS on HTTPSAddr (":443") and, on
	// ACMEHTTPAddr (":80"), the ACME challenge and a redirect to HTTPS.
	HTTPS         []string `json:"https"`
	HTTPSAddr     string   `json:"https_addr"`
	ACMEHTTPAddr  string   `json:"acme_http_addr"`
	ACMEDirectory string   `json:"acme_directory"` // default: Let's Encrypt
	ACMEEmail     string   `json:"acme_email"`     // the CA's contact for the certificates
	// ACMECARoots is a PEM file of the roots the ACME directory's own
	// HTTPS is checked with (a school's own CA); empty: the system's.
	ACMECARoots string `json:"acme_ca_roots"`
	// Several servers on one MySQL database tell each other of writes at
	// PeerURL (default: this machine's address toward the database and
	// the listening port), waiting PeerTimeout for an answer before the
	// silent server is fenced out. ReadThrough turns the caches off
	// instead: every request reads the database (while a PHP server
	// writes the same database during a switch).
	PeerURL     string        `json:"peer_url"`
	PeerTimeout time.Duration `json:"peer_timeout_ms" unit:"ms"`
	ReadThrough bool          `json:"read_through"`
}

// Defaults fills unset fields of every component.
func (c *Config) Defaults() {
	c.Config.Defaults()
	if c.MaxConnections <= 0 {
		c.MaxConnections = 10000
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.HTTPSAddr == "" {
		c.HTTPSAddr = ":443"
	}
	if c.ACMEHTTPAddr == "" {
		c.ACMEHTTPAddr = ":80"
	}
	if c.ACMEDirectory == "" {
		c.ACMEDirectory = LetsEncrypt
	}
	if c.PeerTimeout <= 0 {
		c.PeerTimeout = time.Second
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = store.DefaultBusyTimeout
	}
	if c.GoClass != nil {
		c.GoClass.Defaults()
	}
	// An AUI front's login is the references' rule ("demo") only while
	// the server serves the demo app.
	login := "accounts"
	if len(c.Apps) == 0 {
		login = "demo"
	}
	if c.AUILive != nil {
		if c.AUILive.Login == "" {
			c.AUILive.Login = login
		}
		c.AUILive.Defaults()
	}
	if c.AUIClass != nil {
		if c.AUIClass.Login == "" {
			c.AUIClass.Login = login
		}
		c.AUIClass.Defaults()
	}
	if c.LCIC != nil {
		c.LCIC.Defaults()
	}
}

// Validate rejects a configuration the server cannot run with and parses
// the trusted proxies.
func (c *Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("config: tls_cert and tls_key go together")
	}
	if len(c.HTTPS) > 0 && c.TLSCert != "" {
		return fmt.Errorf("config: https (automatic certificates) and tls_cert (certificate files) exclude each other")
	}
	for _, d := range c.HTTPS {
		if d == "" || strings.ContainsAny(d, "/: ") {
			return fmt.Errorf("config: https: %q is not a domain name", d)
		}
	}
	if c.PeerURL != "" {
		u, err := url.Parse(c.PeerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("config: peer_url: %q is not an http(s)://host:port URL", c.PeerURL)
		}
		c.PeerURL = strings.TrimSuffix(c.PeerURL, "/")
	}
	p, err := parseProxies(c.TrustedProxies)
	if err != nil {
		return err
	}
	c.Proxies = p
	if c.GoClass != nil {
		if err := c.GoClass.Validate(); err != nil {
			return err
		}
	}
	if c.AUILive != nil {
		if err := c.AUILive.Validate(); err != nil {
			return err
		}
	}
	if c.AUIClass != nil {
		if err := c.AUIClass.Validate(); err != nil {
			return err
		}
	}
	if c.AUILive != nil && c.AUIClass != nil && c.AUILive.RootLogin && c.AUIClass.RootLogin {
		return fmt.Errorf("config: root_login is true in both aui_live and aui_class: /login can be only one front's")
	}
	return nil
}

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
		fields := map[string]reflect.StructField{}
		keys(v.Type(), fields)
		for key, val := range obj {
			f, ok := fields[key]
			if !ok {
				return fmt.Errorf("unknown key %q", keyPath(path, key))
			}
			if err := decodeField(keyPath(path, key), val, v.FieldByIndex(f.Index), f); err != nil {
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

// keys lists a struct's keys by their json tags; an embedded struct's
// keys are its parent's (a component's settings at the top level).
func keys(t reflect.Type, out map[string]reflect.StructField) {
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous {
			continue // its fields are visible too
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = f
		}
	}
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

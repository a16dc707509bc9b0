package server

import "testing"

func TestParseProxies(t *testing.T) {
	t.Parallel()
	p, err := parseProxies([]string{"10.0.0.0/8", " 127.0.0.1 ", "::1", "::ffff:192.0.2.1"})
	if err != nil || len(p) != 4 || p[1].String() != "127.0.0.1/32" || p[3].String() != "192.0.2.1/32" {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", ""} {
		if _, err := parseProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	c := &Config{HTTP: HTTP{TrustedProxies: []string{"nope"}}}
	if c.Validate() == nil {
		t.Error("Validate accepted a bad trusted_proxies")
	}
}

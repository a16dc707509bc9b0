package server_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// pebble runs Let's Encrypt's ACME test server (a tool dependency in
// go.mod), its HTTP-01 checks on challengePort, and certificates
// valid for validity; it returns its directory URL and a stop function.
func pebble(t *testing.T, ca *testCA, challengePort string, validity time.Duration) (string, func()) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pebble")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/letsencrypt/pebble/v2/cmd/pebble").CombinedOutput(); err != nil {
		t.Fatalf("build pebble: %v\n%s", err, out)
	}
	certPath, keyPath := ca.leaf(t, dir, 7, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	listen := freePort(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": freePort(t),
		"certificate": certPath, "privateKey": keyPath, "httpPort": json.Number(challengePort), "tlsPort": 5001,
		"externalAccountBindingRequired": false, "retryAfter": map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm": "ecdsa",
		"profiles":     map[string]any{"default": map[string]any{"description": "test", "validityPeriod": int(validity.Seconds())}},
	}}
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "pebble.json"), b, 0o600)
	cmd := exec.Command(bin, "-config", filepath.Join(dir, "pebble.json"))
	// The test name sxb.test resolves nowhere: pebble takes the challenge
	// as answered (the HTTP listener's challenge route is checked apart).
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_VA_ALWAYS_VALID=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", listen); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not start:\n%s", out.String())
		}
	}
	return "https://" + listen + "/dir", stop
}

func acmeServer(t *testing.T, db, directory, roots, httpsAddr, httpAddr string) (*server.Server, *bytes.Buffer) {
	cfg := &server.Config{Config: svc.Config{Apps: []svc.App{{SDKAppID: tests.AppA, Key: tests.KeyA}}, HashCost: 4}}
	cfg.HTTPS = []string{"sxb.test"}
	cfg.ACMEDirectory, cfg.ACMECARoots, cfg.ACMEEmail = directory, roots, "ops@school.example"
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	// Renewed 30 days before expiry: the 10-day certificates at once.
	srv, err := server.New(cfg, server.Options{DB: db, KeepMaxProcs: true, ACMERenewBefore: 30 * 24 * time.Hour,
		Log: slog.New(slog.NewJSONHandler(&syncWriter{w: &log}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	httpsLn, err := net.Listen("tcp", httpsAddr)
	if err != nil {
		t.Fatal(err)
	}
	httpLn, err := net.Listen("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeACME(httpsLn, httpLn)
	return srv, &log
}

// Automatic certificates through ACME (the HTTP listener carries the
// HTTP-01 route): obtained, served, renewed before expiry, cached (0700 beside
// the database) and reused after a restart with the CA gone; plain HTTP
// is redirected to HTTPS.
func TestHTTPSAutomaticCertificates(t *testing.T) {
	ca := newTestCA(t)
	roots := filepath.Join(t.TempDir(), "roots.pem")
	os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600)
	httpAddr := freePort(t)
	_, challengePort, _ := net.SplitHostPort(httpAddr)
	// Certificates valid 10 days, renewed 30 days before expiry: the
	// first is renewed at once.
	directory, stopCA := pebble(t, ca, challengePort, 10*24*time.Hour)
	db := filepath.Join(t.TempDir(), "sxb.db")
	httpsAddr := freePort(t)
	srv, log := acmeServer(t, db, directory, roots, httpsAddr, httpAddr)

	serial := func() (string, error) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", httpsAddr,
			&tls.Config{ServerName: "sxb.test", InsecureSkipVerify: true})
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
	}
	var first string
	for deadline := time.Now().Add(60 * time.Second); first == ""; time.Sleep(200 * time.Millisecond) {
		first, _ = serial()
		if time.Now().After(deadline) {
			t.Fatalf("no certificate from the ACME server:\n%s", log)
		}
	}
	// Served over HTTPS with HSTS; HTTP redirects to it.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: "sxb.test", InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("https://" + httpsAddr + "/healthz")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("healthz over HTTPS: %v %v", err, resp)
	}
	resp.Body.Close()
	resp, err = client.Get("http://" + httpAddr + "/index.php?svc=live&cmd=roomlist")
	if err != nil || resp.StatusCode/100 != 3 || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Fatalf("plain HTTP: %v %v", err, resp)
	}
	resp.Body.Close()
	// The HTTP listener's ACME route is autocert's, not the redirect.
	req, _ := http.NewRequest("GET", "http://"+httpAddr+"/.well-known/acme-challenge/unknown-token", nil)
	req.Host = "sxb.test"
	resp, err = client.Do(req)
	if err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("challenge route: %v %v", err, resp)
	}
	resp.Body.Close()
	// Renewed before expiry: another serial without a restart.
	renewed := first
	for deadline := time.Now().Add(90 * time.Second); renewed == first; time.Sleep(500 * time.Millisecond) {
		renewed, _ = serial()
		if time.Now().After(deadline) {
			t.Fatalf("the certificate was not renewed:\n%s", log)
		}
	}
	cache := filepath.Join(filepath.Dir(db), "sxb-edu-acme")
	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("certificate cache: %v %v", fi, err)
	}
	// Restarted with the CA gone: the cached certificate is served.
	srv.Close()
	stopCA()
	httpsAddr = freePort(t)
	srv2, log2 := acmeServer(t, db, directory, roots, httpsAddr, freePort(t))
	defer srv2.Close()
	var again string
	for deadline := time.Now().Add(20 * time.Second); again == ""; time.Sleep(200 * time.Millisecond) {
		again, _ = serial()
		if time.Now().After(deadline) {
			t.Fatalf("no cached certificate after a restart:\n%s", log2)
		}
	}
	if !strings.Contains(log.String(), "HTTPS with automatic certificates") {
		t.Fatalf("the start-up log does not say which mode:\n%s", log)
	}
}

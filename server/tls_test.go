package server_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// testCA makes certificates for 127.0.0.1 and localhost.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sxb test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert, key, pool}
}

// leaf writes a certificate with serial and validity [from, to) and its
// key into dir, returning the paths.
func (ca *testCA) leaf(t *testing.T, dir string, serial int64, from, to time.Time) (string, string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: from, NotAfter: to, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath+".tmp", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	os.Rename(keyPath+".tmp", keyPath)
	os.Rename(certPath+".tmp", certPath)
	return certPath, keyPath
}

func tlsServer(t *testing.T, certPath, keyPath string) (*server.Server, string, *bytes.Buffer, error) {
	cfg := &server.Config{Config: svc.Config{Apps: []svc.App{{SDKAppID: tests.AppA, Key: tests.KeyA}}, HashCost: 4}}
	cfg.TLSCert, cfg.TLSKey = certPath, keyPath
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	srv, err := server.New(cfg, server.Options{DB: filepath.Join(t.TempDir(), "tls.db"), KeepMaxProcs: true,
		Log: slog.New(slog.NewJSONHandler(&syncWriter{w: &log}, nil))})
	if err != nil {
		return nil, "", &log, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	return srv, "https://" + ln.Addr().String(), &log, nil
}

type syncWriter struct{ w io.Writer }

func (s *syncWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// HTTPS from certificate files: HTTP/2, HSTS, a class over TLS, the
// expiry in /metrics; a new pair is picked up on reload and when the files
// change, while an open connection stays up.
func TestHTTPSCertificateFiles(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPath, keyPath := ca.leaf(t, dir, 100, time.Now().Add(-time.Hour), time.Now().Add(10*24*time.Hour))
	srv, base, log, err := tlsServer(t, certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}, ForceAttemptHTTP2: true}}
	call := func(cmd string, body map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := h2.Post(base+"/index.php?svc="+map[bool]string{true: "account", false: "live"}[cmd == "regist" || cmd == "login"]+"&cmd="+cmd,
			"application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ProtoMajor != 2 || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Fatalf("%s: %s, HSTS %q", cmd, resp.Proto, resp.Header.Get("Strict-Transport-Security"))
		}
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if out["errorCode"] != float64(0) {
			t.Fatalf("%s: %v", cmd, out)
		}
		d, _ := out["data"].(map[string]any)
		return d
	}
	c := map[string]any{"appid": tests.AppA, "timeStamp": 1}
	with := func(m map[string]any) map[string]any {
		for k, v := range c {
			m[k] = v
		}
		return m
	}
	call("regist", with(map[string]any{"id": "t1", "pwd": "pw", "role": 1}))
	tok := call("login", with(map[string]any{"id": "t1", "pwd": "pw"}))["token"]
	room := call("create", with(map[string]any{"token": tok, "title": "over TLS"}))["roomnum"]
	call("startcourse", with(map[string]any{"token": tok, "roomnum": room}))
	call("heartbeat", with(map[string]any{"token": tok, "roomnum": room}))
	call("roomlist", with(map[string]any{"token": tok, "index": 0, "size": 10}))
	call("exitroom", with(map[string]any{"token": tok, "roomnum": room}))

	resp, _ := h2.Get(base + "/metrics")
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), "sxb_tls_certificate_expiry_timestamp_seconds") {
		t.Fatal("no certificate expiry in /metrics")
	}
	if !strings.Contains(log.String(), "HTTPS with certificate files") {
		t.Fatalf("the start-up log does not say HTTPS is on:\n%s", log)
	}

	// A kept-alive connection before and after the reload.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{RootCAs: ca.pool, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	get := func() int {
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
		buf := make([]byte, 4096)
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := conn.Read(buf)
		if err != nil || !bytes.Contains(buf[:n], []byte("200 OK")) {
			t.Fatalf("kept-alive connection: %v %q", err, buf[:n])
		}
		return n
	}
	get()
	serial := func() int64 {
		c, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{RootCAs: ca.pool})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 100 {
		t.Fatalf("serial %d", s)
	}
	ca.leaf(t, dir, 101, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	if err := srv.ReloadTLS(); err != nil { // what SIGHUP does
		t.Fatal(err)
	}
	if s := serial(); s != 101 {
		t.Fatalf("after the reload: serial %d", s)
	}
	get() // the old connection is still up
	if conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64() != 100 {
		t.Fatal("the open connection changed certificate")
	}
	// A changed file is picked up without a signal.
	ca.leaf(t, dir, 102, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	deadline := time.Now().Add(10 * time.Second)
	for serial() != 102 {
		if time.Now().After(deadline) {
			t.Fatal("a changed certificate file was not reloaded")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A bad new pair is refused; the one in use stays.
	os.WriteFile(keyPath, []byte("not a key"), 0o600)
	if err := srv.ReloadTLS(); err == nil {
		t.Fatal("a broken key was loaded")
	}
	if s := serial(); s != 102 {
		t.Fatalf("after a refused reload: serial %d", s)
	}
}

// A missing, unreadable, expired or mismatched pair stops the start with
// a message that says which.
func TestHTTPSBadPairsRefused(t *testing.T) {
	ca := newTestCA(t)
	good := t.TempDir()
	certPath, keyPath := ca.leaf(t, good, 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	expired := t.TempDir()
	oldCert, oldKey := ca.leaf(t, expired, 2, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
	other := t.TempDir()
	_, otherKey := ca.leaf(t, other, 3, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	for _, c := range []struct {
		name, cert, key, want string
	}{
		{"missing", filepath.Join(good, "nope.pem"), keyPath, "no such file"},
		{"unreadable", good, keyPath, "not a matching certificate and key"}, // a directory
		{"expired", oldCert, oldKey, "expired on"},
		{"mismatched", certPath, otherKey, "not a matching certificate and key"},
	} {
		_, _, _, err := tlsServer(t, c.cert, c.key)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s pair: %v, want %q", c.name, err, c.want)
		}
	}
}

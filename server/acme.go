package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"sxb-edu/store"
)

// LetsEncrypt is the ACME directory used unless acme_directory names
// another (a school's own CA, a staging directory).
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// autoCerts gets and renews certificates through ACME (autocert), cached
// in a directory next to the database.
type autoCerts struct {
	m     *autocert.Manager
	names []string

	mu     sync.Mutex
	expiry time.Time // of the certificate served last
}

// acmeCacheDir is where certificates are kept: beside a SQLite file, in
// the working directory for MySQL.
func acmeCacheDir(db string) string {
	dir := "."
	if !store.IsMySQL(db) {
		dir = filepath.Dir(db)
	}
	return filepath.Join(dir, "sxb-edu-acme")
}

func newAutoCerts(cfg *Config, db string, renewBefore time.Duration, log *slog.Logger) (*autoCerts, error) {
	dir := acmeCacheDir(db)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("https: certificate cache: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("https: certificate cache: %w", err)
	}
	client := &acme.Client{DirectoryURL: cfg.ACMEDirectory}
	if cfg.ACMECARoots != "" {
		pem, err := os.ReadFile(cfg.ACMECARoots)
		if err != nil {
			return nil, fmt.Errorf("https: acme_ca_roots: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("https: acme_ca_roots: %s holds no PEM certificate", cfg.ACMECARoots)
		}
		client.HTTPClient = &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	a := &autoCerts{names: cfg.HTTPS, m: &autocert.Manager{
		Prompt:      autocert.AcceptTOS,
		Cache:       autocert.DirCache(dir),
		HostPolicy:  autocert.HostWhitelist(cfg.HTTPS...),
		Client:      client,
		Email:       cfg.ACMEEmail,
		RenewBefore: renewBefore,
	}}
	log.Info("HTTPS with automatic certificates (ACME); HTTP answers the ACME challenge and redirects the rest",
		"names", cfg.HTTPS, "directory", cfg.ACMEDirectory, "cache", dir, "https_addr", cfg.HTTPSAddr, "http_addr", cfg.ACMEHTTPAddr)
	return a, nil
}

// get is the TLS handshake's certificate, noting its expiry.
func (a *autoCerts) get(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	c, err := a.m.GetCertificate(hello)
	if err == nil && c.Leaf != nil {
		a.mu.Lock()
		a.expiry = c.Leaf.NotAfter
		a.mu.Unlock()
	}
	return c, err
}

func (a *autoCerts) expiryTime() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.expiry
}

// fetch gets the first name's certificate now (from the cache or the CA)
// and logs its expiry, so that a failure shows at start, not at the first
// client.
func (a *autoCerts) fetch(log *slog.Logger) {
	c, err := a.get(&tls.ClientHelloInfo{ServerName: a.names[0]})
	if err != nil {
		log.Error("https: no certificate yet (it is asked for again at the first client)", "name", a.names[0], "err", err)
		return
	}
	log.Info("https: certificate ready", "names", c.Leaf.DNSNames, "expires", c.Leaf.NotAfter.UTC())
}

// ServeACME answers HTTPS on httpsLn with certificates from ACME and, on
// httpLn, the ACME HTTP-01 challenge, redirecting everything else to
// HTTPS.
func (s *Server) ServeACME(httpsLn, httpLn net.Listener) error {
	if s.acme == nil {
		return errors.New("https: no -https names configured")
	}
	s.joinPeers(httpsLn.Addr(), true)
	redirect := &http.Server{Handler: s.acme.m.HTTPHandler(nil), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: s.HTTP.ErrorLog}
	go redirect.Serve(httpLn)
	go s.acme.fetch(s.Log)
	tc := s.acme.m.TLSConfig()
	tc.GetCertificate = s.acme.get
	tc.MinVersion = tls.VersionTLS12
	s.HTTP.TLSConfig = tc
	err := s.HTTP.ServeTLS(&capListener{Listener: httpsLn, max: int64(s.Cfg.MaxConnections)}, "", "")
	redirect.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"
)

// certFiles serves HTTPS from a certificate and key file pair, reloaded on
// SIGHUP (Server.ReloadTLS) and when the files change: new handshakes get
// the new pair, connections already open keep theirs.
type certFiles struct {
	certPath, keyPath string
	log               *slog.Logger

	mu    sync.RWMutex
	cert  *tls.Certificate
	stamp string // the files' sizes and times when loaded
}

// loadPair reads a pair and refuses one that is missing, unreadable,
// mismatched, not yet valid or expired.
func loadPair(certPath, keyPath string, now time.Time) (*tls.Certificate, error) {
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("tls: %s and %s are not a matching certificate and key: %w", certPath, keyPath, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("tls: %s: %w", certPath, err)
	}
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("tls: the certificate in %s expired on %s", certPath, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("tls: the certificate in %s is not valid before %s", certPath, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	pair.Leaf = leaf
	return &pair, nil
}

func newCertFiles(certPath, keyPath string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certPath: certPath, keyPath: keyPath, log: log}
	pair, err := loadPair(certPath, keyPath, time.Now())
	if err != nil {
		return nil, err
	}
	c.cert, c.stamp = pair, c.fileStamp()
	return c, nil
}

// fileStamp tells the files apart by size, time and inode: a renewal
// renamed into place within the clock's tick of the last load, at the
// same size, differs only by its inode.
func (c *certFiles) fileStamp() string {
	var s string
	for _, p := range []string{c.certPath, c.keyPath} {
		if fi, err := os.Stat(p); err == nil {
			var ino uint64
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				ino = st.Ino
			}
			s += fmt.Sprintf("%d/%d/%d;", fi.Size(), fi.ModTime().UnixNano(), ino)
		}
	}
	return s
}

// reload loads the pair again; a bad pair is refused and the one in use
// stays.
func (c *certFiles) reload() error {
	// The files' stamp is taken before they are read: a file replaced
	// while they are read (a renewal writes the certificate, then the
	// key) then differs from it, and the next look loads the pair again.
	stamp := c.fileStamp()
	pair, err := loadPair(c.certPath, c.keyPath, time.Now())
	c.mu.Lock()
	c.stamp = stamp
	if err == nil {
		c.cert = pair
	}
	c.mu.Unlock()
	if err != nil {
		c.log.Error("tls: the new certificate is refused; the one in use stays", "err", err)
		return err
	}
	c.log.Info("tls: certificate reloaded", "names", pair.Leaf.DNSNames, "serial", pair.Leaf.SerialNumber.String(),
		"expires", pair.Leaf.NotAfter.UTC())
	return nil
}

// changed reports whether the files differ from the ones last loaded.
func (c *certFiles) changed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.fileStamp() != c.stamp
}

func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cert == nil {
		return nil, errors.New("tls: no certificate")
	}
	return c.cert, nil
}

// expiry is when the certificate in use expires.
func (c *certFiles) expiry() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cert.Leaf.NotAfter
}

// certWatchEvery is how often the files are looked at for a change.
const certWatchEvery = time.Second

package lcic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

func init() {
	// pdfcpu otherwise writes a configuration directory on first use
	// (and exits the process when it cannot).
	model.ConfigPath = "disable"
}

// pdfFetches bounds the PDFs read at once (each is held in memory).
var pdfFetches = make(chan struct{}, 2)

// errPublicOnly is a document URL that leads to this server's own
// network while fetch_private is off.
var errPublicOnly = errors.New("the address is not public (set lcic.fetch_private to read documents on your own network)")

// pdfPages reads a PDF (at most max bytes) and counts its pages.
func (s *Service) pdfPages(ctx context.Context, url string, max int64) (pages int, size int64, err error) {
	select {
	case pdfFetches <- struct{}{}:
		defer func() { <-pdfFetches }()
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := s.fetcher().Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return 0, 0, err
	}
	if int64(len(raw)) > max {
		return 0, int64(len(raw)), errTooLarge
	}
	n, err := api.PageCount(bytes.NewReader(raw), model.NewDefaultConfiguration())
	if err != nil {
		return 0, int64(len(raw)), fmt.Errorf("not a readable PDF: %w", err)
	}
	return n, int64(len(raw)), nil
}

var errTooLarge = errors.New("larger than the type allows")

// fetcher reads documents: redirects followed, private addresses refused
// at connect time (so a redirect or a DNS answer cannot lead inside)
// unless fetch_private is set.
func (s *Service) fetcher() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !s.cfg.FetchPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() ||
				ip.IsLinkLocalMulticast() || ip.IsMulticast() {
				return errPublicOnly
			}
			return nil
		}
	}
	// One connection a fetch (they are rare): nothing is kept open after.
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, Proxy: nil, DisableKeepAlives: true},
		Timeout: s.cfg.FetchTimeout}
}

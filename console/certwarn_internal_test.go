package console

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sxb-edu/store"
)

// The overview warns 14 days before the HTTPS certificate expires.
func TestOverviewWarnsOfCertificateExpiry(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		left time.Duration
		warn bool
	}{{30 * 24 * time.Hour, false}, {15 * 24 * time.Hour, false}, {13 * 24 * time.Hour, true}, {2 * time.Hour, true}} {
		exp := now.Add(c.left)
		con := New(Deps{Store: st, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
			CertExpiry: func() time.Time { return exp }})
		o := con.overviewData(context.Background())
		if (o.TLSWarning != "") != c.warn || o.TLSExpires == "" || (c.warn && !strings.Contains(o.TLSWarning, "expires on")) {
			t.Errorf("%v before expiry: warning %q", c.left, o.TLSWarning)
		}
	}
}

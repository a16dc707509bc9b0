package main

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int // writes
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.b.Write(p)
}

func (l *lockedBuf) text() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.n
}

// Info lines are written together, soon; a warning at once with the
// lines before it; nothing is lost at Flush.
func TestLogBuffer(t *testing.T) {
	out := &lockedBuf{}
	b := &logBuffer{w: out} // no ticker: the test flushes
	log := slog.New(flushingHandler{slog.NewJSONHandler(b, nil), b})
	for i := range 50 {
		log.Info("request", "i", i)
	}
	if s, _ := out.text(); s != "" {
		t.Fatalf("info lines written before a flush: %q", s)
	}
	log.Warn("careful")
	s, n := out.text()
	if n != 1 || strings.Count(s, "\n") != 51 || !strings.Contains(s, `"i":49`) || !strings.Contains(s, "careful") {
		t.Fatalf("a warning did not write the 50 lines and itself in one write: %d writes, %q", n, s)
	}
	log.Info("last")
	b.Flush()
	if s, _ := out.text(); !strings.Contains(s, "last") {
		t.Fatal("Flush lost a line")
	}
	// Past the size bound it writes without waiting.
	big := strings.Repeat("x", logBufferSize)
	log.Info("big", "v", big)
	if s, _ := out.text(); !strings.Contains(s, big) {
		t.Fatal("a full buffer was not written")
	}
	// The ticker writes a lone line within a few periods.
	tb := newLogBuffer(out)
	slog.New(slog.NewJSONHandler(tb, nil)).Info("ticked")
	deadline := time.Now().Add(2 * time.Second)
	for {
		if s, _ := out.text(); strings.Contains(s, "ticked") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a line waited past 2 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package store

import (
	"fmt"
	"sync"
	"testing"
)

func TestSessionMap(t *testing.T) {
	var m sessionMap
	const n = 1000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				tok := fmt.Sprint("tok-", i)
				m.Store(tok, &Session{Token: tok})
				if se, ok := m.Load(tok); !ok || se.Token != tok {
					t.Errorf("%s: stored, then %v, %v", tok, se, ok)
				}
			}
		})
	}
	wg.Wait()
	for i := 0; i < n; i += 2 {
		m.Delete(fmt.Sprint("tok-", i))
	}
	seen := map[string]bool{}
	m.Range(func(se *Session) bool { seen[se.Token] = true; return true })
	if len(seen) != n/2 || !seen["tok-1"] || seen["tok-0"] {
		t.Fatalf("after deleting the even ones, Range saw %d, tok-1 %v, tok-0 %v", len(seen), seen["tok-1"], seen["tok-0"])
	}
	calls := 0
	m.Range(func(*Session) bool { calls++; return false })
	if calls != 1 {
		t.Fatalf("Range went on after false: %d calls", calls)
	}
	if _, ok := m.Load("missing"); ok {
		t.Fatal("a token never stored was found")
	}
	m.Clear()
	if _, ok := m.Load("tok-1"); ok {
		t.Fatal("found after Clear")
	}
}

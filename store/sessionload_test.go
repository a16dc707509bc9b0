package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// First sights of tokens asked for while the reads are busy are read
// together, each answered exactly: its account, or not found.
func TestSessionFirstSightsReadTogether(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, db string) {
		const users, bogus = 300, 20
		uins := make([]int64, users)
		for i := range users {
			a := account(t, s, fmt.Sprintf("u%d", i), 1, 0)
			must(t, s.Login(bg, a, fmt.Sprintf("tok-%d", i), "sig", int64(100+i)))
			uins[i] = a.Uin
		}
		q := &s.sessReads
		queued := func() int64 {
			q.mu.Lock()
			defer q.mu.Unlock()
			n := q.taken
			for _, b := range q.queue {
				n += int64(len(b.tokens))
			}
			return n
		}
		before := q.reads

		// The reads on their way stop before caching what they read, so
		// every later token waits in the queue.
		s.sessMu.Lock()
		var wg sync.WaitGroup
		errs := make(chan error, users+bogus)
		for i := range users {
			wg.Go(func() {
				se, err := s.SessionByToken(bg, fmt.Sprintf("tok-%d", i))
				switch {
				case err != nil:
					errs <- fmt.Errorf("tok-%d: %w", i, err)
				case se.Uin != uins[i] || se.UID != fmt.Sprintf("u%d", i) || se.LastRequest() != int64(100+i):
					errs <- fmt.Errorf("tok-%d: got %+v (last %d)", i, se.Account, se.LastRequest())
				}
			})
		}
		for i := range bogus {
			wg.Go(func() {
				if se, err := s.SessionByToken(bg, fmt.Sprintf("nope-%d", i)); !errors.Is(err, ErrNotFound) {
					errs <- fmt.Errorf("nope-%d: %+v %v", i, se, err)
				}
			})
		}
		for deadline := time.Now().Add(10 * time.Second); queued() < users+bogus; {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d tokens asked for", queued(), users+bogus)
			}
			time.Sleep(time.Millisecond)
		}
		s.sessMu.Unlock()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// At most sessionReadsAtOnce reads were on their way, with the
		// rest in full batches behind them.
		if n := q.reads - before; n > sessionReadsAtOnce+(users+bogus+sessionBatchSize-1)/sessionBatchSize {
			t.Fatalf("%d reads for %d first sights", n, users+bogus)
		}
		for i := range users {
			if _, ok := s.sessions.Load(fmt.Sprintf("tok-%d", i)); !ok {
				t.Fatalf("tok-%d was not kept", i)
			}
		}

		// The database's own comparison still decides: MySQL's ignores
		// case, SQLite's does not.
		se, err := s.SessionByToken(bg, "TOK-7")
		if !strings.HasPrefix(db, "mysql:") {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("SQLite found %+v %v", se, err)
			}
		} else if err != nil || se.Uin != uins[7] {
			t.Fatalf("MySQL: %+v %v", se, err)
		}
	})
}

// A session read while a login or logout commits is answered but not kept:
// the token it was read by may be the replaced one.
func TestSessionReadOvertakenNotKept(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "a", 1, 0)
		must(t, s.Login(bg, a, "tok", "sig", 1))
		s.sessMu.Lock()
		got := make(chan error, 1)
		go func() {
			se, err := s.SessionByToken(bg, "tok")
			if err == nil && se.Uin != a.Uin {
				err = fmt.Errorf("got %+v", se.Account)
			}
			got <- err
		}()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			s.sessReads.mu.Lock()
			taken := s.sessReads.taken
			s.sessReads.mu.Unlock()
			if taken > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the read never started")
			}
		}
		s.sessGen.Add(1) // what a login or logout does once committed
		s.sessMu.Unlock()
		must(t, <-got)
		if _, ok := s.sessions.Load("tok"); ok {
			t.Fatal("a session read before a login committed was kept")
		}
	})
}

// A batch's token list is padded to one of a few lengths, never shorter
// than the batch.
func TestSessionListLen(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{1, 1}, {2, 4}, {4, 4}, {5, 16}, {16, 16}, {17, 64}, {64, 64}, {65, sessionBatchSize}, {sessionBatchSize, sessionBatchSize},
	} {
		if got := sessionListLen(c.n); got != c.want {
			t.Errorf("sessionListLen(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// A restarted server reads the unexpired sessions ahead, the latest first
// up to its limit: their first requests read nothing more.
func TestWarmSessionsAtStart(t *testing.T) {
	path := t.TempDir() + "/w.db"
	s := open(t, path)
	uins := map[string]int64{}
	for i, last := range []int64{100, 200, 300, 400} {
		a := account(t, s, fmt.Sprintf("w%d", i), 1, 0)
		must(t, s.Login(bg, a, fmt.Sprintf("wt-%d", i), "sig", last))
		uins[fmt.Sprintf("wt-%d", i)] = a.Uin
	}
	gone := account(t, s, "gone", 1, 0)
	must(t, s.Login(bg, gone, "wt-gone", "sig", 500))
	if _, err := s.Logout(bg, "wt-gone", 501); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())

	s = open(t, path)
	t.Cleanup(func() { s.Close() })
	n, err := s.WarmSessions(bg, 200, 2) // used since 200: wt-1, wt-2, wt-3; the latest two
	if err != nil || n != 2 {
		t.Fatalf("warmed %d sessions (%v), want 2", n, err)
	}
	reads := func() int64 {
		s.sessReads.mu.Lock()
		defer s.sessReads.mu.Unlock()
		return s.sessReads.reads
	}
	for _, c := range []struct {
		token string
		last  int64
		read  bool // its first sight reads the database
	}{{"wt-3", 400, false}, {"wt-2", 300, false}, {"wt-1", 200, true}, {"wt-0", 100, true}} {
		before := reads()
		se, err := s.SessionByToken(bg, c.token)
		if err != nil || se.Uin != uins[c.token] || se.LastRequest() != c.last {
			t.Fatalf("%s: %+v %v", c.token, se, err)
		}
		if got := reads() > before; got != c.read {
			t.Errorf("%s: read the database: %v, want %v", c.token, got, c.read)
		}
	}
	if _, err := s.SessionByToken(bg, "wt-gone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a logged-out token: %v", err)
	}
}

// A token replaced by a writer this server did not see (another server,
// before its change arrives) ends the old token's session here at the
// first sight of the new one: one token per account. A session keeps
// the account but not its password hash (only a login reads that).
func TestSessionReplacedElsewhere(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		a := account(t, s, "r", 7, 1)
		must(t, s.Login(bg, a, "old-tok", "sig", 1))
		if se, err := s.SessionByToken(bg, "old-tok"); err != nil || se.Uin != a.Uin {
			t.Fatalf("old token: %+v %v", se, err)
		}
		if _, err := s.w.Exec("UPDATE t_account SET token = 'new-tok' WHERE uin = ?", a.Uin); err != nil {
			t.Fatal(err)
		}
		se, err := s.SessionByToken(bg, "new-tok")
		if err != nil {
			t.Fatal(err)
		}
		if se.Uin != a.Uin || se.UID != "r" || se.AppID != 7 || se.Role != 1 || se.Token != "new-tok" || se.PwdHash != "" {
			t.Fatalf("new token's session: %+v %q", se.Account, se.Token)
		}
		if _, err := s.SessionByToken(bg, "old-tok"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the replaced token still works: %v", err)
		}
	})
}

package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A room's list read while its members change is kept, with the changes
// applied in order, and requests that miss meanwhile wait for that one
// read; a list dropped meanwhile is not kept.
func TestMemberLoadKeepsChangesMeanwhile(t *testing.T) {
	engines(t, func(t *testing.T, s *Store, _ string) {
		s.UseCachesUntil(time.Now().Add(time.Hour))
		var acc []*Account
		for _, uid := range []string{"t", "s1", "s2", "s3"} {
			a := &Account{UID: uid, AppID: 1, PwdHash: "$2a$04$x"}
			must(t, s.CreateAccount(bg, a, 1))
			acc = append(acc, a)
		}
		id, err := s.CreateRoom(bg, acc[0], "r", "", 10)
		must(t, err)
		must(t, s.StartRoom(bg, id, acc[0].Uin, 0, 11))
		must(t, s.Enter(bg, id, Member{Uin: acc[1].Uin, UID: "s1"}, 12))
		must(t, s.Enter(bg, id, Member{Uin: acc[2].Uin, UID: "s2"}, 12))

		var reads atomic.Int32
		read, resume := make(chan struct{}, 1), make(chan struct{})
		s.memberReadHook = func() {
			if reads.Add(1) == 1 {
				read <- struct{}{}
				<-resume
			}
		}
		s.dropMembers(id)
		var wg sync.WaitGroup
		lists := make([]string, 3)
		wg.Go(func() { lists[0] = memberList(t, s, id) })
		<-read // the first read is done, not yet kept
		wg.Go(func() { lists[1] = memberList(t, s, id) })
		wg.Go(func() { lists[2] = memberList(t, s, id) })
		must(t, s.Enter(bg, id, Member{Uin: acc[3].Uin, UID: "s3"}, 13))
		_, err = s.Leave(bg, id, acc[1].Uin)
		must(t, err)
		close(resume)
		wg.Wait()
		for i, got := range lists {
			if got != "3 [t s2 s3]" {
				t.Errorf("reader %d: %s", i, got)
			}
		}
		if n := reads.Load(); n != 1 {
			t.Fatalf("%d reads of one list", n)
		}
		if got := memberList(t, s, id); got != "3 [t s2 s3]" || reads.Load() != 1 {
			t.Fatalf("not kept: %s after %d reads", got, reads.Load())
		}

		// Dropped while read: answered from the read, then read again.
		reads.Store(0)
		read, resume = make(chan struct{}, 1), make(chan struct{})
		s.dropMembers(id)
		var got string
		wg.Go(func() { got = memberList(t, s, id) })
		<-read
		s.dropMembers(id)
		close(resume)
		wg.Wait()
		if got != "3 [t s2 s3]" {
			t.Fatal(got)
		}
		if got := memberList(t, s, id); got != "3 [t s2 s3]" || reads.Load() != 2 {
			t.Fatalf("a dropped list was kept: %s after %d reads", got, reads.Load())
		}
	})
}

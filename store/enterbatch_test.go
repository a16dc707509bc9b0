package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// livingRoom opens a SQLite store with a teacher's living room.
func livingRoom(t *testing.T) (*Store, *Account, int64) {
	s := open(t, t.TempDir()+"/s.db")
	t.Cleanup(func() { s.Close() })
	teacher := &Account{UID: "t", AppID: 1, PwdHash: "$2a$04$x"}
	must(t, s.CreateAccount(bg, teacher, 1))
	room, err := s.CreateRoom(bg, teacher, "living", "", 10)
	must(t, err)
	must(t, s.StartRoom(bg, room, teacher.Uin, 0, 11))
	return s, teacher, room
}

// accounts creates n accounts named prefix00, prefix01, ...
func accounts(t *testing.T, s *Store, prefix string, n int) []*Account {
	var acc []*Account
	for i := range n {
		a := &Account{UID: fmt.Sprintf("%s%02d", prefix, i), AppID: 1, PwdHash: "$2a$04$x"}
		must(t, s.CreateAccount(bg, a, 1))
		acc = append(acc, a)
	}
	return acc
}

// recordBatches collects the size of each batch s commits (read it once
// the enters are answered).
func recordBatches(s *Store) *[]int {
	var mu sync.Mutex
	batches := new([]int)
	s.enterBatchHook = func(n int) { mu.Lock(); *batches = append(*batches, n); mu.Unlock() }
	return batches
}

// presentBoth counts room's present members from the member cache, then
// again as read from the database.
func presentBoth(t *testing.T, s *Store, room int64) (cached, read int64) {
	cached, err := s.PresentCount(bg, room)
	must(t, err)
	s.dropMembers(room)
	read, err = s.PresentCount(bg, room)
	must(t, err)
	return cached, read
}

// Enters that arrive while the writer is busy are committed together,
// each with its own answer: a room no longer living refuses its own
// enters only.
func TestEntersCommittedTogether(t *testing.T) {
	s, teacher, living := livingRoom(t)
	ended, err := s.CreateRoom(bg, teacher, "ended", "", 10)
	must(t, err)
	must(t, s.StartRoom(bg, ended, teacher.Uin, 0, 11))
	must(t, s.EndRoom(bg, ended, 0, 12, 0))
	const students = 60
	acc := accounts(t, s, "s", students)
	batches := recordBatches(s)
	// The writer held: every enter queues behind the first.
	tx, err := s.w.BeginTx(bg, nil)
	must(t, err)
	errs := make([]error, students)
	var wg sync.WaitGroup
	for i, a := range acc {
		room := living
		if i%10 == 9 {
			room = ended
		}
		wg.Go(func() { errs[i] = s.Enter(bg, room, Member{Uin: a.Uin, UID: a.UID}, 20) })
	}
	time.Sleep(200 * time.Millisecond)
	must(t, tx.Rollback())
	wg.Wait()

	for i, err := range errs {
		if i%10 == 9 && !errors.Is(err, ErrConflict) {
			t.Errorf("enter %d into the ended room: %v", i, err)
		} else if i%10 != 9 && err != nil {
			t.Errorf("enter %d: %v", i, err)
		}
	}
	total, largest := 0, 0
	for _, n := range *batches {
		total, largest = total+n, max(largest, n)
	}
	if total != students || largest < students/2 {
		t.Fatalf("batches %v: want %d enters, most of them together", *batches, students)
	}
	// Committed, and known to the member cache and the database alike.
	n, n2 := presentBoth(t, s, living)
	var rows int64
	must(t, s.r.QueryRow("SELECT COUNT(*) FROM t_class_member WHERE room_id = ? AND has_exited = 0", living).Scan(&rows))
	if want := int64(students - students/10 + 1); n != want || n2 != want || rows != want {
		t.Fatalf("present %d (cache), %d (read again), %d rows; want %d (the teacher too)", n, n2, rows, want)
	}
}

// A batch that fails is every one's failure, and nothing of it stays.
func TestEnterBatchFailsTogether(t *testing.T) {
	s, _, room := livingRoom(t)
	if _, err := s.w.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON t_class_member WHEN NEW.uin = 999
		BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	var batches []int
	s.enterBatchHook = func(n int) { batches = append(batches, n) }
	tx, err := s.w.BeginTx(bg, nil)
	must(t, err)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, uin := range []int64{997, 998, 999} {
		wg.Go(func() { errs[i] = s.Enter(bg, room, Member{Uin: uin, UID: "u"}, 20) })
		time.Sleep(50 * time.Millisecond) // in this order
	}
	must(t, tx.Rollback())
	wg.Wait()
	if len(batches) != 2 || batches[1] != 2 {
		t.Fatalf("batches %v, want [1 2]", batches)
	}
	if errs[0] != nil || errs[1] == nil || errs[2] == nil || errors.Is(errs[1], ErrConflict) {
		t.Fatalf("answers %v: want the first batch's success and the second's failure for both", errs)
	}
	var rows int64
	must(t, s.r.QueryRow("SELECT COUNT(*) FROM t_class_member WHERE room_id = ? AND uin IN (998, 999)", room).Scan(&rows))
	n, err := s.PresentCount(bg, room)
	must(t, err)
	if rows != 0 || n != 2 { // the teacher and 997
		t.Fatalf("after the failed batch: %d rows of it, %d present", rows, n)
	}
}

// Leaves queue with the enters, in the order they came: a student who
// enters and leaves while the writer is busy has left when the batch
// commits, and a leave of someone never entered reports it.
func TestLeavesCommittedWithEnters(t *testing.T) {
	s, _, room := livingRoom(t)
	const students = 20
	acc := accounts(t, s, "l", students+1)
	batches := recordBatches(s)
	tx, err := s.w.BeginTx(bg, nil)
	must(t, err)
	var wg sync.WaitGroup
	enterErrs := make([]error, students)
	for i, a := range acc[:students] {
		wg.Go(func() { enterErrs[i] = s.Enter(bg, room, Member{Uin: a.Uin, UID: a.UID}, 20) })
	}
	time.Sleep(100 * time.Millisecond) // the enters queued first
	found := make([]bool, students+1)
	leaveErrs := make([]error, students+1)
	for i, a := range acc {
		if i%2 == 0 || i == students { // half of them, and one who never entered
			wg.Go(func() { found[i], leaveErrs[i] = s.Leave(bg, room, a.Uin) })
		}
	}
	time.Sleep(100 * time.Millisecond)
	must(t, tx.Rollback())
	wg.Wait()

	for i := range students + 1 {
		if i < students && enterErrs[i] != nil {
			t.Errorf("enter %d: %v", i, enterErrs[i])
		}
		if leaveErrs[i] != nil {
			t.Errorf("leave %d: %v", i, leaveErrs[i])
		}
		if want := i%2 == 0 && i < students; found[i] != want {
			t.Errorf("leave %d: found %v, want %v", i, found[i], want)
		}
	}
	total := 0
	for _, n := range *batches {
		total += n
	}
	if want := students + students/2 + 1; total != want || len(*batches) > 3 {
		t.Fatalf("batches %v: want %d enters and leaves in a few", *batches, want)
	}
	n, n2 := presentBoth(t, s, room)
	if want := int64(students/2 + 1); n != want || n2 != want { // the teacher too
		t.Fatalf("present %d (cache), %d (read again); want %d", n, n2, want)
	}
}

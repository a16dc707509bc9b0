package svc

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The queue serves logins before registrations before suspects, answers
// busy when full, lets a login displace a registration, and gives up a
// waiter's place when its request ends.
func TestHashQueue(t *testing.T) {
	t.Parallel()
	q := newHashQueue(1, 3)
	ctx := context.Background()
	if err := q.acquire(ctx, hashRegist); err != nil { // the one slot
		t.Fatal(err)
	}
	order := make(chan string, 8)
	waiting := func(c hashClass) int {
		q.mu.Lock()
		defer q.mu.Unlock()
		return len(q.waiting[c])
	}
	wait := func(name string, c hashClass) chan error {
		done := make(chan error, 1)
		before := waiting(c)
		go func() {
			err := q.acquire(ctx, c)
			if err == nil {
				order <- name
			}
			done <- err
		}()
		for waiting(c) == before { // queued in this order
			time.Sleep(time.Millisecond)
		}
		return done
	}
	suspect := wait("suspect", hashSuspect)
	reg1 := wait("reg1", hashRegist)
	reg2 := wait("reg2", hashRegist)
	if err := q.acquire(ctx, hashSuspect); !errors.Is(err, errHashBusy) {
		t.Fatalf("a full queue: %v", err)
	}
	login := wait("login", hashLogin) // displaces the suspect, the least important
	if err := <-suspect; !errors.Is(err, errHashBusy) {
		t.Fatalf("displaced waiter: %v", err)
	}
	for _, want := range []string{"login", "reg1", "reg2"} {
		q.release()
		if got := <-order; got != want {
			t.Fatalf("granted %s, want %s", got, want)
		}
	}
	for _, ch := range []chan error{login, reg1, reg2} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	// A waiter whose request ends leaves the line; the slot goes on.
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error, 1)
	go func() { gone <- q.acquire(cctx, hashLogin) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	q.release()
	if err := q.acquire(ctx, hashRegist); err != nil {
		t.Fatalf("slot lost with the cancelled waiter: %v", err)
	}
}

// A wait that outlasts its request's deadline is answered busy, and its
// place is given up.
func TestHashQueueDeadlineIsBusy(t *testing.T) {
	t.Parallel()
	q := newHashQueue(1, 3)
	if err := q.acquire(context.Background(), hashLogin); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := q.acquire(ctx, hashRegist); !errors.Is(err, errHashBusy) {
		t.Fatalf("a wait past the deadline: %v", err)
	}
	q.mu.Lock()
	n := q.waiters()
	q.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left", n)
	}
}

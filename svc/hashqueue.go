package svc

import (
	"context"
	"errors"
	"sync"
)

// Password hashes are the one expensive thing a request can ask for; they
// run a few at a time (login_concurrency) and wait in a bounded queue
// (hash_queue) served by class: logins first, then registrations, then
// the logins of an address over its failure budget. When the queue is
// full a request is answered "busy" at once instead of timing out; a
// login arriving at a full queue takes the place of the newest waiter of
// a lower class, so a registration flood never keeps users out.

// hashClass orders the waiters of the hash queue.
type hashClass int

const (
	hashLogin hashClass = iota
	hashRegist
	hashSuspect
	hashClasses
)

var errHashBusy = errors.New("password hash queue full")

type hashQueue struct {
	mu      sync.Mutex
	free    int // idle slots
	max     int // most waiters
	waiting [hashClasses][]chan bool
}

func newHashQueue(slots, waiters int) *hashQueue {
	return &hashQueue{free: slots, max: waiters}
}

func (q *hashQueue) waiters() int {
	n := 0
	for _, w := range q.waiting {
		n += len(w)
	}
	return n
}

// acquire takes a slot, waiting in class c's line; errHashBusy when the
// queue is full (or the wait was given to a more important request).
func (q *hashQueue) acquire(ctx context.Context, c hashClass) error {
	q.mu.Lock()
	if q.free > 0 {
		q.free--
		q.mu.Unlock()
		return nil
	}
	if q.waiters() >= q.max && !q.evictBelow(c) {
		q.mu.Unlock()
		return errHashBusy
	}
	ready := make(chan bool, 1)
	q.waiting[c] = append(q.waiting[c], ready)
	q.mu.Unlock()
	select {
	case ok := <-ready:
		if !ok {
			return errHashBusy
		}
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		removed := q.remove(c, ready)
		q.mu.Unlock()
		if !removed && <-ready { // granted meanwhile: give the slot on
			q.release()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errHashBusy // the request's time ran out in the line
		}
		return ctx.Err()
	}
}

// evictBelow turns away the newest waiter of the least important class
// below c; false when there is none.
func (q *hashQueue) evictBelow(c hashClass) bool {
	for low := hashClasses - 1; low > c; low-- {
		if n := len(q.waiting[low]); n > 0 {
			q.waiting[low][n-1] <- false
			q.waiting[low] = q.waiting[low][:n-1]
			return true
		}
	}
	return false
}

func (q *hashQueue) remove(c hashClass, ready chan bool) bool {
	for i, w := range q.waiting[c] {
		if w == ready {
			q.waiting[c] = append(q.waiting[c][:i], q.waiting[c][i+1:]...)
			return true
		}
	}
	return false
}

// release gives the slot to the first waiter of the most important class.
func (q *hashQueue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for c := range q.waiting {
		if len(q.waiting[c]) > 0 {
			ready := q.waiting[c][0]
			q.waiting[c] = q.waiting[c][1:]
			ready <- true
			return
		}
	}
	q.free++
}

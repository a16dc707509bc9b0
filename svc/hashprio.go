package svc

import "runtime"

// hashNice is the scheduling niceness of the threads that hash passwords.
// A bcrypt hash at cost 10 is tens of milliseconds of solid CPU: at the
// default priority a login storm took one of two cores away from the
// heartbeats and the other processes on the box, and the hot path's tail
// grew to hundreds of milliseconds. Niced, the hashes use what is left,
// which on a busy machine makes logins slower rather than heartbeats.
const hashNice = 19

// lowPriority runs fn on a fresh OS thread of lower scheduling priority
// and waits for it. The goroutine ends while locked to its thread, so the
// thread ends with it and the lowered priority never leaks to other work.
func lowPriority(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		lowerThreadPriority()
		done <- fn()
	}()
	return <-done
}

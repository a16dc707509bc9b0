package svc

import "syscall"

// lowerThreadPriority renices the calling thread (Linux: a thread's id
// names it for setpriority). Raising one's own niceness needs no privilege;
// a failure leaves the thread as it was.
func lowerThreadPriority() {
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), hashNice)
}

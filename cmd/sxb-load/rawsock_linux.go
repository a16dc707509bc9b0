//go:build linux && !race

package main

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawSock sends a request and reads its answer inside one wait of Go's
// poller: the request is written from within the read's wait, so the
// answer's arrival cannot be missed and no read is spent finding the
// socket still empty, and neither call is announced to the scheduler as a
// system call (a non-blocking call returns at once). net.Conn's path
// took a write, an empty read and a read per request, and the tool spent
// about as much CPU a request as the server it measures (BENCHMARKS.md).
// Under the race detector, and elsewhere than Linux, the connection is
// used as is (rawsock_other.go).
type rawSock struct {
	c   net.Conn
	rc  syscall.RawConn
	out []byte // the request not yet written

	p      []byte // the read in progress
	n      int
	errno  syscall.Errno
	stuck  bool // the socket took no more of out: written the slow way
	readFn func(fd uintptr) bool
}

func newRawSock(c net.Conn) *rawSock {
	s := &rawSock{c: c}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s.rc = rc
		}
	}
	s.readFn = s.read
	return s
}

// open reports whether the connection is still open, with nothing unread
// on it: one read that must find the socket empty.
func (s *rawSock) open() bool {
	if s.rc == nil {
		return true // no socket of its own (never so for TCP)
	}
	alive := false
	var b [1]byte
	err := s.rc.Read(func(fd uintptr) bool {
		for {
			_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), 1)
			if e != syscall.EINTR {
				alive = e == syscall.EAGAIN
				return true
			}
		}
	})
	return err == nil && alive
}

// send holds req until the next Read, which writes it first.
func (s *rawSock) send(req []byte) { s.out = req }

func (s *rawSock) read(fd uintptr) bool {
	for len(s.out) > 0 {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&s.out[0])), uintptr(len(s.out)))
		switch e {
		case 0:
			s.out = s.out[n:]
		case syscall.EINTR:
		case syscall.EAGAIN:
			s.stuck = true
			return true
		default:
			s.errno = e
			return true
		}
		if len(s.out) == 0 {
			return false // the answer cannot be here yet: wait for it
		}
	}
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.p[0])), uintptr(len(s.p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		s.n, s.errno = int(n), e
		return true
	}
}

func (s *rawSock) Read(p []byte) (int, error) {
	if s.rc == nil {
		return writeThenRead(s.c, &s.out, p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		s.p, s.n, s.errno, s.stuck = p, 0, 0, false
		err := s.rc.Read(s.readFn)
		s.p = nil
		switch {
		case err != nil:
			return 0, err
		case s.errno != 0:
			return 0, &net.OpError{Op: "write/read", Net: "tcp", Err: os.NewSyscallError("write/read", s.errno)}
		case s.stuck:
			if err := writeOut(s.c, &s.out); err != nil {
				return 0, err
			}
			continue
		case s.n == 0:
			return 0, io.EOF
		}
		return s.n, nil
	}
}

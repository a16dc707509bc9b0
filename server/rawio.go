//go:build linux && !race

package server

import (
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// rawIO reads and writes a connection's socket with raw system calls,
// waiting in Go's poller as net.Conn does (deadlines included). A
// non-blocking read or write returns at once, so it need not be announced
// to the scheduler as a system call; announced, the first one after an
// idle moment wakes the runtime's monitor thread, which then polls every
// 20 µs for a millisecond: at a classroom's pace that was 14 % of the
// server's CPU (BENCHMARKS.md).
type rawIO struct {
	rc syscall.RawConn

	// The calls in progress (a read and a write may overlap), kept here
	// so that the functions handed to the poller are bound once per
	// connection, not allocated per call.
	rd, wr  rawCall
	readFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool

	// Inside a wait of the poller (plainConn.pump): reads go straight to
	// fd and report errWouldBlock rather than wait; drained: the last
	// one found the socket empty or read less than it asked for.
	inside  bool
	fd      uintptr
	drained bool

	empty atomic.Int64 // reads that found nothing (tests)
}

func (r *rawIO) enter(fd uintptr) { r.inside, r.fd, r.drained = true, fd, false }

func (r *rawIO) leave() { r.inside = false }

type rawCall struct {
	p     []byte
	n     int
	errno syscall.Errno
}

// newRawIO returns c's raw reader-writer, or nil when c has no socket of
// its own.
func newRawIO(c net.Conn) *rawIO {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawIO{rc: rc}
	r.readFn, r.writeFn = r.read, r.write
	return r
}

func (r *rawIO) read(fd uintptr) bool {
	c := &r.rd
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.p[0])), uintptr(len(c.p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			r.empty.Add(1)
			return false // wait in the poller
		}
		c.n, c.errno = int(n), e
		return true
	}
}

func (r *rawIO) write(fd uintptr) bool {
	c := &r.wr
	for len(c.p) > 0 {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&c.p[0])), uintptr(len(c.p)))
		switch e {
		case 0:
			c.n += int(n)
			c.p = c.p[n:]
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.errno = e
			return true
		}
	}
	return true
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.rd = rawCall{p: p}
	var err error
	if r.inside {
		if !r.read(r.fd) {
			r.rd.p, r.drained = nil, true
			return 0, errWouldBlock
		}
		r.drained = r.rd.n < len(p)
	} else {
		err = r.rc.Read(r.readFn)
	}
	n, e := r.rd.n, r.rd.errno
	r.rd.p = nil
	switch {
	case err != nil:
		return 0, err
	case e != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", e)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (r *rawIO) Write(p []byte) (int, error) {
	r.wr = rawCall{p: p}
	err := r.rc.Write(r.writeFn)
	n, e := r.wr.n, r.wr.errno
	r.wr.p = nil
	switch {
	case err != nil:
		return n, err
	case e != 0:
		return n, &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", e)}
	}
	return n, nil
}

// abort ends a connection whose handler is running, without waiting for
// it: Close would wait for the read the handler runs inside (see
// plainConn.pump). The connection closes itself once the handler returns.
func (pc *plainConn) abort() {
	if sc, ok := pc.c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil &&
			rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) }) == nil {
			return
		}
	}
	pc.c.Close()
}

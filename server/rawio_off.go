//go:build !linux || race

package server

import (
	"io"
	"net"
	"syscall"
)

// rawIO is Linux's; elsewhere the connection is read and written as is.
// So it is under the race detector, which learns from net.Conn's reads
// and writes that what a client did before sending happened before the
// server read it (raw calls would make those look like races).
type rawIO struct {
	io.ReadWriter
	rc      syscall.RawConn
	drained bool
}

func newRawIO(net.Conn) *rawIO { return nil }

func (*rawIO) enter(uintptr) {}

func (*rawIO) leave() {}

// abort closes a connection whose handler is running (no read waits
// under it here).
func (pc *plainConn) abort() { pc.c.Close() }

package server

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// capListener serves at most max connections at once. One more is not
// left waiting in the kernel's queue (where its client hangs until it
// gives up): it is answered 503 at once and closed.
type capListener struct {
	net.Listener
	max      int64
	active   atomic.Int64
	refusing atomic.Int64 // connections being answered 503
}

// maxRefusing bounds the connections answered 503 at once: each holds a
// file for up to a second, and a flood past the cap must not take the
// files kept for the database (fileReserve). Past it they are closed.
const maxRefusing = 64

// busyAnswer is what a connection past the cap gets.
const busyAnswer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n" +
	"Retry-After: 1\r\nContent-Length: 58\r\n\r\n" +
	`{"errorCode":90000,"errorInfo":"Server busy, retry later"}`

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.active.Add(1) > l.max {
			l.active.Add(-1)
			if l.refusing.Add(1) > maxRefusing {
				l.refusing.Add(-1)
				c.Close()
				continue
			}
			go func() {
				refuse(c)
				l.refusing.Add(-1)
			}()
			continue
		}
		return &capConn{Conn: c, l: l}, nil
	}
}

// refuse answers a connection past the cap. It reads what the client
// sends first, briefly, so that the answer comes after the request.
func refuse(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var buf [4096]byte
	c.Read(buf[:])
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write([]byte(busyAnswer))
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	c.Close()
}

type capConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *capConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.active.Add(-1) })
	return err
}

// SyscallConn gives the plain server the socket (rawIO).
func (c *capConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errNoSocket
}

var errNoSocket = errors.New("not a socket")

// CloseWrite lets a refusal reach the client before the close.
func (c *capConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

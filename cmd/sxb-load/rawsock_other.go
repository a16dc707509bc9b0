//go:build !linux || race

package main

import (
	"errors"
	"net"
	"os"
	"time"
)

// rawSock is Linux's (rawsock_linux.go); here the request is written and
// the answer read through the connection as is.
type rawSock struct {
	c   net.Conn
	out []byte
}

func newRawSock(c net.Conn) *rawSock { return &rawSock{c: c} }

func (s *rawSock) send(req []byte) { s.out = req }

// open reports whether the connection is still open, with nothing unread
// on it: a read must wait out a millisecond's deadline.
func (s *rawSock) open() bool {
	var b [1]byte
	s.c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := s.c.Read(b[:])
	return errors.Is(err, os.ErrDeadlineExceeded)
}

func (s *rawSock) Read(p []byte) (int, error) { return writeThenRead(s.c, &s.out, p) }

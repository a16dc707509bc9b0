//go:build !linux || race

package main

import "net"

// rawSock is Linux's (rawsock_linux.go); here the request is written and
// the answer read through the connection as is.
type rawSock struct {
	c   net.Conn
	out []byte
}

func newRawSock(c net.Conn) *rawSock { return &rawSock{c: c} }

func (s *rawSock) send(req []byte) { s.out = req }

// open: the answer's read sees a close here.
func (s *rawSock) open() bool { return true }

func (s *rawSock) Read(p []byte) (int, error) { return writeThenRead(s.c, &s.out, p) }

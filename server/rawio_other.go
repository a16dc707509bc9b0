//go:build !linux

package server

import (
	"io"
	"net"
)

// rawIO is Linux's; elsewhere the connection is read and written as is.
type rawIO struct{ io.ReadWriter }

func newRawIO(net.Conn) *rawIO { return nil }

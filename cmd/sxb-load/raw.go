package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawPool is a lean HTTP/1.1 client for the classroom: a fixed set of
// kept-alive connections handed to callers through a channel, requests
// written and answers read by the calling goroutine itself. net/http's
// client costs two extra goroutines and a connection queue per request;
// with 50,000 users on the machine it measures, that was more CPU than
// the server's own handling (see BENCHMARKS.md).
type rawPool struct {
	addr, host string
	timeout    time.Duration
	conns      chan *rawConn // nil entries: not dialled yet
}

type rawConn struct {
	c    net.Conn
	sock *rawSock // under r: writes the request, then reads its answer
	r    *bufio.Reader
	req  bytes.Buffer
	// dl is the deadline set: moved only when it falls a hundredth of
	// the timeout behind (a timer reset per request was measurable).
	dl   time.Time
	used time.Time // its last answer
}

// quietAfter is how long a connection may rest before it is checked for
// a close by the server (an idle timeout) before its next request: a
// request written inside its answer's wait does not see a close that
// came before the wait began.
const quietAfter = time.Second

func newRawPool(base string, n int, timeout time.Duration) (*rawPool, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("raw client: %q is not an http:// URL", base)
	}
	p := &rawPool{addr: u.Host, host: u.Host, timeout: timeout, conns: make(chan *rawConn, n)}
	for range n {
		p.conns <- nil
	}
	return p, nil
}

var errRawAnswer = errors.New("raw client: malformed answer")

// writeThenRead writes what *out holds, if anything, then reads into p:
// rawSock's way through net.Conn's own calls.
func writeThenRead(c net.Conn, out *[]byte, p []byte) (int, error) {
	if err := writeOut(c, out); err != nil {
		return 0, err
	}
	return c.Read(p)
}

func writeOut(c net.Conn, out *[]byte) error {
	if len(*out) == 0 {
		return nil
	}
	b := *out
	*out = nil
	_, err := c.Write(b)
	return err
}

// post sends one POST of body to path and returns the status and body.
// The returned body is valid until buf is reused.
func (p *rawPool) post(ctx context.Context, path string, body []byte, buf *bytes.Buffer) (int, error) {
	var rc *rawConn
	select {
	case rc = <-p.conns:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if rc != nil && time.Since(rc.used) >= quietAfter {
		if rc.sock.open() {
			rc.dl = time.Time{} // the check may have moved it
		} else {
			rc.c.Close() // closed by the server while quiet: a new one
			rc = nil
		}
	}
	if rc == nil {
		c, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
		if err != nil {
			p.conns <- nil
			return 0, err
		}
		rc = &rawConn{c: c, sock: newRawSock(c)}
		rc.r = bufio.NewReaderSize(rc.sock, 16<<10)
	}
	status, keep, err := rc.roundTrip(p, path, body, buf)
	rc.used = time.Now()
	if err != nil || !keep {
		rc.c.Close()
		rc = nil
	}
	p.conns <- rc
	return status, err
}

func (rc *rawConn) roundTrip(p *rawPool, path string, body []byte, buf *bytes.Buffer) (status int, keep bool, err error) {
	if dl := time.Now().Add(p.timeout); dl.Sub(rc.dl) > p.timeout/100 {
		rc.dl = dl
		rc.c.SetDeadline(dl)
	}
	if rc.r.Buffered() > 0 {
		return 0, false, errRawAnswer // more than the last answer came
	}
	w := &rc.req
	w.Reset()
	w.WriteString("POST ")
	w.WriteString(path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(p.host)
	w.WriteString("\r\nContent-Type: application/json\r\nContent-Length: ")
	w.WriteString(strconv.Itoa(len(body)))
	w.WriteString("\r\n\r\n")
	w.Write(body)
	rc.sock.send(w.Bytes()) // written by the answer's first read
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, errRawAnswer
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errRawAnswer
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := rc.r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(h) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(bytes.TrimRight(h, "\r\n"), []byte(":"))
		if !ok {
			return 0, false, errRawAnswer
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return 0, false, errRawAnswer
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keep = !bytes.EqualFold(v, []byte("close"))
		}
	}
	buf.Reset()
	switch {
	case chunked:
		for {
			l, err := rc.r.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimRight(l, "\r\n")), 16, 64)
			if err != nil {
				return 0, false, errRawAnswer
			}
			if n == 0 {
				for { // trailers, then the empty line
					l, err := rc.r.ReadSlice('\n')
					if err != nil {
						return 0, false, err
					}
					if len(l) <= 2 {
						return status, keep, nil
					}
				}
			}
			if _, err := io.CopyN(buf, rc.r, n); err != nil {
				return 0, false, err
			}
			if _, err := rc.r.Discard(2); err != nil {
				return 0, false, err
			}
		}
	case length >= 0:
		if _, err := io.CopyN(buf, rc.r, int64(length)); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, errRawAnswer // HTTP/1.1 answers here always say their length
	}
	return status, keep, nil
}

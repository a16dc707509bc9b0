package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/textproto"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"
)

// plainServer answers plain-text HTTP/1.x with one goroutine per
// connection and nothing more per request. net/http's server starts a
// goroutine per request to watch the connection while the handler runs,
// and cancels that read when the handler ends: for a classroom's quiet
// keep-alive connections those wake-ups were most of a request's CPU
// (BENCHMARKS.md). Requests are parsed by net/http's own ReadRequest (a
// plain one whose header is all read: by parseWhole, which gives the
// same) and answered as its server answers them (framing, Date, sniffed
// Content-Type, 100-continue, keep-alive rules, its timeouts and header
// limit, taken from cfg). HTTPS and HTTP/2 stay with net/http.
type plainServer struct {
	cfg *http.Server

	mu      sync.Mutex
	lns     map[net.Listener]struct{}
	conns   map[*plainConn]struct{}
	closing atomic.Bool
}

func newPlainServer(cfg *http.Server) *plainServer {
	return &plainServer{cfg: cfg, lns: map[net.Listener]struct{}{}, conns: map[*plainConn]struct{}{}}
}

// Connection states: a connection waiting for a request can be closed by
// Shutdown; one running a request finishes it first.
const (
	connIdle int32 = iota
	connActive
	connClosed
)

// maxDrain is how much of a request body the handler left unread is read
// to keep the connection (net/http's figure); past it the connection
// closes after the answer.
const maxDrain = 256 << 10

// bufferBody is how much of an answer is held back so that its length
// can be sent; a longer one is sent chunked as it is written.
const bufferBody = 4 << 10

func (s *plainServer) Serve(ln net.Listener) error {
	if !s.enlist(func() { s.lns[ln] = struct{}{} }) {
		ln.Close()
		return http.ErrServerClosed
	}
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of files for a moment: wait, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("http: Accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		pc := &plainConn{s: s, c: c, remote: c.RemoteAddr().String()}
		if !s.enlist(func() { s.conns[pc] = struct{}{} }) {
			c.Close()
			return http.ErrServerClosed
		}
		go pc.serve()
	}
}

// enlist runs add under the lock, unless the server is closing.
func (s *plainServer) enlist(add func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	add()
	return true
}

// Shutdown stops accepting, closes idle connections and waits for the
// others to finish their request, until ctx ends.
func (s *plainServer) Shutdown(ctx context.Context) error {
	s.closeListeners()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if s.closeIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close closes every listener and connection at once.
func (s *plainServer) Close() {
	s.closeListeners()
	s.mu.Lock()
	defer s.mu.Unlock()
	for pc := range s.conns {
		if pc.state.Swap(connClosed) == connActive {
			pc.abort()
		} else {
			pc.c.Close()
		}
	}
}

func (s *plainServer) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for ln := range s.lns {
		ln.Close()
	}
}

// closeIdle closes the connections waiting for a request and reports
// whether none is left.
func (s *plainServer) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pc := range s.conns {
		if pc.state.CompareAndSwap(connIdle, connClosed) {
			pc.c.Close()
		}
	}
	return len(s.conns) == 0
}

func (s *plainServer) logf(format string, args ...any) {
	if s.cfg.ErrorLog != nil {
		s.cfg.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

var (
	readerPool sync.Pool
	writerPool sync.Pool
)

type plainConn struct {
	s        *plainServer
	c        net.Conn
	remote   string
	state    atomic.Int32
	raw      *rawIO           // the socket's, when it has one
	lr       io.LimitedReader // under br: bounds a request's header
	br       *bufio.Reader
	bw       *bufio.Writer
	body     plainBody
	whole    wholeReq // the request parseWhole read
	fastBody fastBody // and its body
	resp     plainResponse

	readDL, writeDL time.Time // the deadlines set
}

func (pc *plainConn) serve() {
	s := pc.s
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler {
			s.logf("http: panic serving %v: %v\n%s", pc.remote, p, debug.Stack())
		}
		pc.c.Close()
		if pc.br != nil {
			pc.br.Reset(nil)
			readerPool.Put(pc.br)
			pc.bw.Reset(nil)
			writerPool.Put(pc.bw)
		}
		s.mu.Lock()
		delete(s.conns, pc)
		s.mu.Unlock()
	}()
	var conn io.ReadWriter = pc.c
	raw := newRawIO(pc.c)
	if raw != nil {
		pc.raw, conn = raw, raw
	}
	pc.lr.R = conn
	if v := readerPool.Get(); v != nil {
		pc.br = v.(*bufio.Reader)
		pc.br.Reset(&pc.lr)
	} else {
		pc.br = bufio.NewReaderSize(&pc.lr, 4<<10)
	}
	if v := writerPool.Get(); v != nil {
		pc.bw = v.(*bufio.Writer)
		pc.bw.Reset(conn)
	} else {
		pc.bw = bufio.NewWriterSize(conn, 4<<10)
	}
	for first := true; ; first = false {
		var req *http.Request
		var t0 time.Time
		armed := false
		if raw != nil {
			var end bool
			if req, t0, armed, end = pc.pump(raw, &first); end {
				return
			}
		}
		if req == nil {
			var ok bool
			if req, t0, ok = pc.next(first, armed); !ok {
				return
			}
		}
		if !pc.answer(req, t0) {
			return
		}
	}
}

// pump answers requests inside one wait of the poller for as long as each
// arrives whole (header and body in what was read). Each new wait of
// net.Conn's reads forgets the readiness already reported, so they must
// read once more, finding the socket empty, before they wait; inside one
// wait the poller keeps it, and the read that returned less than it asked
// for leaves nothing behind unreported: the next wait needs no read. A
// request whose header or body is not all here goes to the blocking path:
// the request read so far (req, with its start t0), or none; armed: its
// deadline is set. end: the connection ends.
func (pc *plainConn) pump(raw *rawIO, first *bool) (req *http.Request, t0 time.Time, armed, end bool) {
	err := raw.rc.Read(func(fd uintptr) bool {
		raw.enter(fd)
		defer raw.leave()
		for {
			if !armed {
				pc.await(*first)
				armed = true
			}
			if pc.br.Buffered() == 0 {
				if raw.drained {
					return false
				}
				if _, err := pc.br.Peek(1); err != nil {
					// Nothing yet: wait. Anything else the blocking
					// path meets again and answers.
					return !errors.Is(err, errWouldBlock)
				}
			}
			if !pc.headerBuffered() {
				return true
			}
			var ok bool
			if req, t0, ok = pc.parse(true); !ok {
				end = true
				return true
			}
			if req.ContentLength < 0 || int64(pc.br.Buffered()) < req.ContentLength {
				return true
			}
			*first = false
			r := req
			req, armed = nil, false
			if !pc.answer(r, t0) {
				end = true
				return true
			}
		}
	})
	return req, t0, armed, end || err != nil
}

// next reads a request on the blocking path (armed: the wait's deadline
// is set already).
func (pc *plainConn) next(first, armed bool) (*http.Request, time.Time, bool) {
	if !armed {
		pc.await(first)
	}
	if _, err := pc.br.Peek(1); err != nil {
		if pc.lr.N <= 0 {
			pc.refuse(http.StatusRequestHeaderFieldsTooLarge, "")
		}
		return nil, time.Time{}, false
	}
	return pc.parse(pc.headerBuffered())
}

// await sets the deadline of the wait for the next request: the idle
// timeout (the header timeout for the first, which the client has just
// opened for), and the header's size limit.
func (pc *plainConn) await(first bool) {
	cfg := pc.s.cfg
	if wait := cmpPositive(cfg.IdleTimeout, cfg.ReadTimeout); wait > 0 && !first {
		pc.readBy(time.Now().Add(wait), wait)
	} else if cfg.ReadHeaderTimeout > 0 {
		pc.readBy(time.Now().Add(cfg.ReadHeaderTimeout), 0)
	}
	pc.lr.N = int64(cmpPositive(cfg.MaxHeaderBytes, http.DefaultMaxHeaderBytes)) + 4096
}

// parse reads the header of a request whose first bytes are here (whole:
// all of it is); a malformed one is refused as net/http refuses it, and
// the connection ends.
func (pc *plainConn) parse(whole bool) (*http.Request, time.Time, bool) {
	if !pc.state.CompareAndSwap(connIdle, connActive) {
		return nil, time.Time{}, false // closed by Shutdown
	}
	t0 := time.Now()
	cfg := pc.s.cfg
	if cfg.ReadHeaderTimeout > 0 && !whole {
		pc.readBy(t0.Add(cfg.ReadHeaderTimeout), 0)
	}
	if whole {
		b, _ := pc.br.Peek(pc.br.Buffered())
		if req, n, ok := pc.whole.parseWhole(b); ok && n <= cmpPositive(cfg.MaxHeaderBytes, http.DefaultMaxHeaderBytes) {
			pc.br.Discard(n)
			if req.ContentLength > 0 {
				pc.fastBody = fastBody{io.LimitedReader{R: pc.br, N: req.ContentLength}}
				req.Body = &pc.fastBody
			}
			pc.lr.N = math.MaxInt64
			return req, t0, true
		}
	}
	req, err := http.ReadRequest(pc.br)
	if err != nil {
		switch {
		case pc.lr.N <= 0:
			pc.refuse(http.StatusRequestHeaderFieldsTooLarge, "")
		case isNetError(err):
		case strings.Contains(err.Error(), "unsupported transfer encoding"):
			pc.refuse(http.StatusNotImplemented, "unsupported transfer encoding")
		default:
			pc.refuse(http.StatusBadRequest, "")
		}
		return nil, t0, false
	}
	pc.lr.N = math.MaxInt64
	return req, t0, true
}

// answer runs the handler for req, read at t0, and reports whether the
// connection carries another request.
func (pc *plainConn) answer(req *http.Request, t0 time.Time) bool {
	s := pc.s
	cfg := s.cfg
	switch {
	case req.ContentLength >= 0 && int64(pc.br.Buffered()) >= req.ContentLength:
		// The body is here: nothing more is read for this request.
	case cfg.ReadTimeout > 0:
		pc.readBy(t0.Add(cfg.ReadTimeout), 0)
	default:
		pc.readBy(time.Time{}, 0)
	}
	if cfg.WriteTimeout > 0 {
		pc.writeBy(t0.Add(cfg.WriteTimeout), cfg.WriteTimeout)
	}
	if code, why := checkRequest(req); code == http.StatusExpectationFailed {
		pc.bw.WriteString("HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: " + dateNow() + "\r\nContent-Length: 0\r\n\r\n")
		pc.bw.Flush()
		pc.closeWriteAndWait()
		return false
	} else if code != 0 {
		pc.refuse(code, why)
		return false
	}
	req.RemoteAddr = pc.remote
	pc.body = plainBody{src: req.Body, pc: pc}
	if field(req.Header, "Expect") == "100-continue" && req.ContentLength != 0 {
		pc.body.continueWanted = true
		req.Header.Del("Expect")
	}
	req.Body = &pc.body
	w := &pc.resp
	w.reset(pc, req)
	if req.RequestURI == "*" && req.Method == http.MethodOptions {
		w.Header().Set("Content-Length", "0") // as net/http: the server itself answers
	} else {
		cfg.Handler.ServeHTTP(w, req)
	}
	if err := w.finish(); err != nil || w.closeAfter || s.closing.Load() {
		return false
	}
	return pc.state.CompareAndSwap(connActive, connIdle)
}

// Setting a deadline re-arms a runtime timer; a connection carrying a
// request every few seconds keeps the one it has when it is at most a
// hundredth of the timeout earlier than wanted (span; 0: exactly).
func (pc *plainConn) readBy(t time.Time, span time.Duration) {
	if keepDeadline(pc.readDL, t, span) {
		return
	}
	pc.readDL = t
	pc.c.SetReadDeadline(t)
}

func (pc *plainConn) writeBy(t time.Time, span time.Duration) {
	if keepDeadline(pc.writeDL, t, span) {
		return
	}
	pc.writeDL = t
	pc.c.SetWriteDeadline(t)
}

func keepDeadline(have, want time.Time, span time.Duration) bool {
	if have.Equal(want) {
		return true
	}
	return span > 0 && !have.IsZero() && !have.After(want) && want.Sub(have) <= span/100
}

// headerBuffered reports whether a whole request header is already read,
// so that parsing it reads nothing more.
func (pc *plainConn) headerBuffered() bool {
	b, _ := pc.br.Peek(pc.br.Buffered())
	return bytes.Contains(b, []byte("\r\n\r\n"))
}

// checkRequest refuses what net/http's server refuses before a handler
// sees it.
func checkRequest(req *http.Request) (int, string) {
	switch {
	case req.ProtoMajor != 1:
		return http.StatusHTTPVersionNotSupported, "unsupported protocol version"
	case req.ProtoAtLeast(1, 1) && req.Host == "":
		return http.StatusBadRequest, "missing required Host header"
	case !httpguts.ValidHostHeader(req.Host):
		return http.StatusBadRequest, "malformed Host header"
	}
	// ReadRequest leaves this to the server (TestPlainServerAnswersAsNetHTTP).
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return http.StatusBadRequest, "invalid header name"
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return http.StatusBadRequest, "invalid header value"
			}
		}
	}
	if e := field(req.Header, "Expect"); e != "" && e != "100-continue" {
		return http.StatusExpectationFailed, ""
	}
	return 0, ""
}

// refuse answers a request that reaches no handler and ends the
// connection, in net/http's words.
func (pc *plainConn) refuse(code int, why string) {
	text := strconv.Itoa(code) + " " + http.StatusText(code)
	if why != "" {
		text += ": " + why
	}
	pc.writeBy(time.Now().Add(time.Second), 0)
	fmt.Fprintf(pc.bw, "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n%s", text, text)
	pc.bw.Flush()
	pc.closeWriteAndWait()
}

// closeWriteAndWait ends the sending side and lets the client read the
// refusal before the close: a close with its request still unread would
// reset the connection and lose the answer (net/http waits the same).
func (pc *plainConn) closeWriteAndWait() {
	if cw, ok := pc.c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		time.Sleep(rstAvoidanceDelay)
	}
}

const rstAvoidanceDelay = 500 * time.Millisecond

func isNetError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne)
}

func cmpPositive[T int | time.Duration](a, b T) T {
	if a > 0 {
		return a
	}
	return b
}

// plainBody is a request's body as its handler sees it: it asks for the
// body (100 Continue) on the first read, and closing it reads nothing
// (the connection decides what to do with the rest).
type plainBody struct {
	src            io.ReadCloser
	pc             *plainConn
	continueWanted bool
	continueSent   bool
	closed         bool
	sawEOF         bool
}

// fastBody is a declared body read from the connection's buffer.
type fastBody struct{ io.LimitedReader }

func (*fastBody) Close() error { return nil }

var errBodyClosed = errors.New("http: invalid Read on closed Body")

// errWouldBlock is a read inside the poller's wait that found nothing.
var errWouldBlock = errors.New("read would block")

func (b *plainBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errBodyClosed
	}
	if b.continueWanted && !b.continueSent && !b.pc.resp.sentHeader {
		b.continueSent = true
		b.pc.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := b.pc.bw.Flush(); err != nil {
			return 0, err
		}
	}
	n, err := b.src.Read(p)
	if err == io.EOF {
		b.sawEOF = true
	}
	return n, err
}

func (b *plainBody) Close() error {
	b.closed = true
	return nil
}

// drain reads what the handler left of the body, up to maxDrain, and
// reports whether the connection can carry another request.
func (b *plainBody) drain() bool {
	if b.sawEOF {
		return true
	}
	if b.continueWanted && !b.continueSent {
		return false // the client never sent it
	}
	if fb, ok := b.src.(*fastBody); ok && fb.N <= maxDrain {
		// The rest of a declared body: skipped in the buffer, without
		// io.CopyN's reader.
		n, err := fb.R.(*bufio.Reader).Discard(int(fb.N))
		fb.N -= int64(n)
		b.sawEOF = err == nil
		return b.sawEOF
	}
	_, err := io.CopyN(io.Discard, b.src, maxDrain+1)
	if err == io.EOF {
		b.sawEOF = true
		return true
	}
	return false
}

// plainResponse is the http.ResponseWriter of one request.
type plainResponse struct {
	pc         *plainConn
	req        *http.Request
	header     http.Header
	status     int
	wroteHead  bool // the status is decided
	sentHeader bool // the header is on its way to the client
	chunked    bool
	closeAfter bool
	declared   int64 // the Content-Length the handler set, or -1
	written    int64
	buf        []byte
	fields     [3]string // the values of the fields the server adds
	nfields    int
}

// set sets a field the server adds, its value held in w (http.Header.Set
// would allocate a slice for each, three an answer).
func (w *plainResponse) set(key, value string) {
	if w.nfields == len(w.fields) {
		w.header.Set(key, value)
		return
	}
	i := w.nfields
	w.nfields++
	w.fields[i] = value
	w.header[key] = w.fields[i : i+1 : i+1]
}

func (w *plainResponse) reset(pc *plainConn, req *http.Request) {
	buf := w.buf[:0]
	h := w.header
	if h == nil {
		h = make(http.Header, 4)
	} else {
		clear(h)
	}
	*w = plainResponse{pc: pc, req: req, header: h, declared: -1, buf: buf,
		closeAfter: req.Close}
}

func (w *plainResponse) Header() http.Header { return w.header }

func (w *plainResponse) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.wroteHead {
		w.pc.s.logf("http: superfluous response.WriteHeader call")
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// An informational answer goes out at once; the real one follows.
		w.pc.bw.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
		w.header.Write(w.pc.bw)
		w.pc.bw.WriteString("\r\n")
		w.pc.bw.Flush()
		return
	}
	w.wroteHead, w.status = true, code
	if cl := field(w.header, "Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.declared = v
		} else {
			w.pc.s.logf("http: invalid Content-Length of %q", cl)
			w.header.Del("Content-Length")
		}
	}
}

func (w *plainResponse) bodyAllowed() bool {
	return !(w.status >= 100 && w.status < 200 || w.status == http.StatusNoContent || w.status == http.StatusNotModified)
}

func (w *plainResponse) Write(p []byte) (int, error) {
	if !w.wroteHead {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !w.bodyAllowed() {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.declared >= 0 && w.written > w.declared {
		return 0, http.ErrContentLength
	}
	if !w.sentHeader {
		if len(w.buf)+len(p) <= bufferBody {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.sendHeader(false, p)
	}
	return w.writeBody(p)
}

func (w *plainResponse) WriteString(s string) (int, error) {
	if !w.wroteHead {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader && len(w.buf)+len(s) <= bufferBody && w.wroteHead && w.bodyAllowed() &&
		(w.declared < 0 || w.written+int64(len(s)) <= w.declared) {
		w.written += int64(len(s))
		w.buf = append(w.buf, s...)
		return len(s), nil
	}
	return w.Write([]byte(s))
}

func (w *plainResponse) writeBody(p []byte) (int, error) {
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	bw := w.pc.bw
	if w.chunked {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		bw.WriteString("\r\n")
		n, err := bw.Write(p)
		bw.WriteString("\r\n")
		return n, err
	}
	return bw.Write(p)
}

// sendHeader writes the status line and header. final: the handler has
// ended, so the whole body is known (held in buf).
func (w *plainResponse) sendHeader(final bool, next []byte) {
	w.sentHeader = true
	h := w.header
	req := w.req
	// A body the handler left unread is read now (or the connection
	// closes after the answer), before the client is told to keep it.
	if !w.closeAfter && !w.pc.body.drain() {
		w.closeAfter = true
	}
	if w.pc.s.closing.Load() {
		w.closeAfter = true
	}
	_, hasType := h["Content-Type"]
	hasTE := field(h, "Transfer-Encoding") != ""
	body := w.buf
	if len(body) == 0 {
		body = next
	}
	if !hasType && !hasTE && w.bodyAllowed() && len(body) > 0 {
		w.set("Content-Type", http.DetectContentType(body))
	}
	switch {
	case !w.bodyAllowed():
		h.Del("Transfer-Encoding")
		if w.status == http.StatusNoContent {
			h.Del("Content-Length")
		}
	case w.declared >= 0 || hasTE:
	case final && (req.Method != http.MethodHead || w.written > 0) && w.written <= bufferBody:
		w.set("Content-Length", strconv.FormatInt(w.written, 10))
	case final, req.Method == http.MethodHead:
	case req.ProtoAtLeast(1, 1):
		w.chunked = true
		h.Set("Transfer-Encoding", "chunked")
	default:
		w.closeAfter = true // an HTTP/1.0 answer of unknown length ends with the connection
	}
	if hasConnToken(h, "close") {
		w.closeAfter = true
	}
	// HTTP/1.0 closes unless asked not to: only a kept connection is said.
	switch {
	case w.closeAfter && req.ProtoAtLeast(1, 1):
		h.Set("Connection", "close")
	case !w.closeAfter && !req.ProtoAtLeast(1, 1):
		h.Set("Connection", "keep-alive")
	}
	if _, ok := h["Date"]; !ok {
		w.set("Date", dateNow())
	}
	bw := w.pc.bw
	if req.ProtoAtLeast(1, 1) {
		bw.WriteString("HTTP/1.1 ")
	} else {
		bw.WriteString("HTTP/1.0 ")
	}
	bw.WriteString(strconv.Itoa(w.status))
	bw.WriteByte(' ')
	if text := http.StatusText(w.status); text != "" {
		bw.WriteString(text)
	} else {
		bw.WriteString("status code " + strconv.Itoa(w.status))
	}
	bw.WriteString("\r\n")
	writeHeader(bw, h)
	bw.WriteString("\r\n")
	if len(w.buf) > 0 {
		w.writeBody(w.buf)
		w.buf = w.buf[:0]
	}
}

// writeHeader writes h as http.Header.Write does (keys sorted, invalid
// names dropped, line breaks in values made spaces, values trimmed)
// without its sorter and replacer, which were a tenth of an answer.
func writeHeader(bw *bufio.Writer, h http.Header) {
	var space [16]string
	keys := space[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range h[k] {
			if strings.ContainsAny(v, "\r\n") {
				v = strings.NewReplacer("\n", " ", "\r", " ").Replace(v)
			}
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(textproto.TrimString(v))
			bw.WriteString("\r\n")
		}
	}
}

// field is h.Get(key) for a key written canonically: the map's keys
// are, and a canonical key needs no canonicalizing on every request.
func field(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func hasConnToken(h http.Header, token string) bool {
	for _, v := range h["Connection"] {
		if httpguts.HeaderValuesContainsToken([]string{v}, token) {
			return true
		}
	}
	return false
}

// finish completes the answer once the handler has returned.
func (w *plainResponse) finish() error {
	if !w.wroteHead {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader {
		w.sendHeader(true, nil)
	} else if w.chunked {
		w.pc.bw.WriteString("0\r\n\r\n")
	}
	if w.req.Method != http.MethodHead && w.declared >= 0 && w.bodyAllowed() && w.written != w.declared {
		w.closeAfter = true // fewer bytes than announced: the client would wait for the rest
	}
	if cap(w.buf) > 2*bufferBody {
		w.buf = nil // a grown buffer is not kept for the next request
	}
	if err := w.pc.bw.Flush(); err != nil {
		return err
	}
	if !w.closeAfter && !w.pc.body.drain() {
		w.closeAfter = true
	}
	return nil
}

// Flush sends what was written so far (http.Flusher).
func (w *plainResponse) Flush() { w.FlushError() }

// FlushError is Flush reporting a failed write (http.ResponseController).
func (w *plainResponse) FlushError() error {
	if !w.wroteHead {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader {
		w.sendHeader(false, nil)
	}
	return w.pc.bw.Flush()
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *plainResponse) SetReadDeadline(t time.Time) error {
	w.pc.readDL = t
	return w.pc.c.SetReadDeadline(t)
}

func (w *plainResponse) SetWriteDeadline(t time.Time) error {
	w.pc.writeDL = t
	return w.pc.c.SetWriteDeadline(t)
}

// dateNow is the Date header, formatted once a second.
func dateNow() string {
	now := time.Now().Unix()
	if d := date.Load(); d != nil && d.unix == now {
		return d.text
	}
	d := &dateText{unix: now, text: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	date.Store(d)
	return d.text
}

type dateText struct {
	unix int64
	text string
}

var date atomic.Pointer[dateText]

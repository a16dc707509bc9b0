package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// wholeReq is a connection's storage for the requests parseWhole reads,
// used again for each: a request's handler has returned before the next
// is read (nothing here keeps a request past its handler).
type wholeReq struct {
	r    http.Request
	u    url.URL
	h    http.Header
	vals []string
}

// parseWhole parses the request header at the start of b when all of it
// is there and it is of the plain kind clients send (a rooted path,
// HTTP/1.0 or 1.1, one Content-Length or none, field names of letters,
// digits and dashes, printable values). It gives what http.ReadRequest
// would give for the same bytes (TestParseWholeAsReadRequest) without
// its allocations but one string that holds every name and value.
// Anything else (ok false) is left to http.ReadRequest. n is the
// header's length; the body is the caller's.
func (w *wholeReq) parseWhole(b []byte) (req *http.Request, n int, ok bool) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, 0, false
	}
	s := string(b[:end+2]) // every line, each with its CRLF
	i := strings.Index(s, "\r\n")
	method, rest, ok1 := strings.Cut(s[:i], " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !upperWord(method) {
		return nil, 0, false
	}
	w.r = http.Request{Method: method, RequestURI: target, Proto: proto, ProtoMajor: 1}
	r := &w.r
	switch proto {
	case "HTTP/1.1":
		r.ProtoMinor = 1
	case "HTTP/1.0":
	default:
		return nil, 0, false
	}
	if w.u, ok = plainTarget(target); !ok {
		return nil, 0, false
	}
	r.URL = &w.u
	lines := s[i+2:]
	count := strings.Count(lines, "\n")
	if w.h == nil || count > keptFields {
		w.h = make(http.Header, count)
	} else {
		clear(w.h)
	}
	if cap(w.vals) < count {
		w.vals = make([]string, max(count, keptFields/2))
	}
	clear(w.vals[:cap(w.vals)])
	h, vals := w.h, w.vals[:count]
	if count > keptFields {
		w.h, w.vals = nil, nil // a rare large header is not kept
	}
	for lines != "" {
		j := strings.Index(lines, "\r\n")
		line := lines[:j]
		lines = lines[j+2:]
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			return nil, 0, false
		}
		key, canon := fieldName(line[:colon])
		if key == "" {
			return nil, 0, false
		}
		v := line[colon+1:]
		if !printable(v) {
			return nil, 0, false
		}
		v = strings.Trim(v, " \t")
		if !canon {
			key = textprotoCanonical(key)
		}
		switch key {
		case "Host", "Content-Length":
			if h[key] != nil {
				return nil, 0, false // ReadRequest refuses two Hosts, folds equal lengths
			}
		case "Transfer-Encoding", "Trailer", "Pragma":
			return nil, 0, false // ReadRequest's own rules
		}
		if vv := h[key]; vv != nil {
			h[key] = append(vv, v)
		} else {
			vals[0] = v
			h[key], vals = vals[:1:1], vals[1:]
		}
	}
	r.Header = h
	if host := h["Host"]; host != nil {
		r.Host = host[0]
		delete(h, "Host") // as ReadRequest: the Host field is req.Host only
	}
	if cl, has := h["Content-Length"]; has {
		if r.ContentLength, ok = contentLength(cl[0]); !ok {
			return nil, 0, false
		}
	}
	conn := h["Connection"]
	r.Close = httpguts.HeaderValuesContainsToken(conn, "close") ||
		r.ProtoMinor == 0 && !httpguts.HeaderValuesContainsToken(conn, "keep-alive")
	if r.ContentLength == 0 {
		r.Body = http.NoBody
	}
	return r, end + 4, true
}

// upperWord: a method of capital letters.
func upperWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// plainTarget is the URL of a rooted request target whose path has no
// byte url.ParseRequestURI would escape or unescape (so its Path is the
// target's and RawPath is empty) and whose query is printable.
func plainTarget(t string) (url.URL, bool) {
	if t == "" || t[0] != '/' {
		return url.URL{}, false
	}
	path, query, hasQuery := strings.Cut(t, "?")
	if hasQuery && query == "" {
		return url.URL{}, false // ParseRequestURI's ForceQuery
	}
	for i := 0; i < len(path); i++ {
		if !pathByte(path[i]) {
			return url.URL{}, false
		}
	}
	for i := 0; i < len(query); i++ {
		if query[i] <= ' ' || query[i] >= 0x7f {
			return url.URL{}, false
		}
	}
	return url.URL{Path: path, RawQuery: query}, true
}

// keptFields is the most header fields whose storage a connection keeps.
const keptFields = 16

func pathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.~$&+,/:;=@", c) >= 0
}

// fieldName checks a field name of letters, digits and dashes and
// reports whether it is in canonical form already (Content-Length).
func fieldName(k string) (string, bool) {
	canon, upper := true, true
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z':
			canon = canon && !upper
		case 'A' <= c && c <= 'Z':
			canon = canon && upper
		case '0' <= c && c <= '9' || c == '-':
		default:
			return "", false
		}
		upper = c == '-'
	}
	return k, canon
}

// textprotoCanonical is textproto.CanonicalMIMEHeaderKey for a name of
// letters, digits and dashes, sharing the strings of common names.
func textprotoCanonical(k string) string {
	var buf [48]byte
	if len(k) > len(buf) {
		return http.CanonicalHeaderKey(k)
	}
	b := buf[:len(k)]
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	if c, ok := commonFields[string(b)]; ok {
		return c
	}
	return string(b)
}

var commonFields = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Content-Length", "Content-Type", "Cookie", "Expect",
		"Host", "Origin", "Referer", "User-Agent", "X-Forwarded-For", "X-Forwarded-Proto",
		"X-Real-Ip", "X-Requested-With"} {
		m[k] = k
	}
	return m
}()

// printable: a field value of visible ASCII, spaces and tabs (what
// httpguts.ValidHeaderFieldValue and textproto both accept).
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// contentLength is a declared length of 1 to 18 digits.
func contentLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}

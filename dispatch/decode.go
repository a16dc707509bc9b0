package dispatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"sxb-edu/svc"
)

// MaxDepth is PHP's json_decode depth the reference used: the leaf counts
// as a level, so at most MaxDepth-1 arrays and objects may nest.
const MaxDepth = 12

var errJSON = errors.New("body is not JSON")

// Decode parses a raw request body with the PHP rules of docs/protocol.md §1–2:
// an empty body (PHP empty(): "" or "0") is an empty object; invalid JSON,
// invalid UTF-8, null, or nesting deeper than MaxDepth is an error; valid
// JSON that is not an object is an empty object. Numbers stay json.Number.
func Decode(raw []byte) (svc.Body, error) {
	if len(raw) == 0 || (len(raw) == 1 && raw[0] == '0') {
		return svc.Body{}, nil
	}
	if !utf8.Valid(raw) || !scan(raw) {
		return nil, errJSON
	}
	if b, ok := decodeFlat(raw); ok {
		return b, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errJSON // trailing data
	}
	switch x := v.(type) {
	case nil:
		return nil, errJSON
	case map[string]any:
		return svc.Body(x), nil
	default:
		return svc.Body{}, nil
	}
}

// scan checks what encoding/json lets through but PHP refuses: nesting of
// MaxDepth or more arrays and objects, and a \u escape that is a lone
// UTF-16 surrogate. Other malformed input is left to the decoder.
func scan(b []byte) bool {
	d, inStr := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr:
			if c == '"' {
				inStr = false
			} else if c == '\\' && i+1 < len(b) {
				i++
				if b[i] == 'u' {
					n, ok := surrogatePair(b, i+1)
					if !ok {
						return false
					}
					i += n
				}
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			if d++; d >= MaxDepth {
				return false
			}
		case c == ']' || c == '}':
			d--
		}
	}
	return true
}

// surrogatePair reads the hex of a \u escape at b[i:] and, for a high
// surrogate, the low one that must follow. It returns the bytes read and
// false for a lone surrogate.
func surrogatePair(b []byte, i int) (int, bool) {
	r, ok := hex4(b, i)
	if !ok {
		return 0, true // malformed: the decoder refuses it
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, false
	case r >= 0xD800 && r <= 0xDBFF:
		if i+10 > len(b) || b[i+4] != '\\' || b[i+5] != 'u' {
			return 0, false
		}
		lo, ok := hex4(b, i+6)
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return 0, false
		}
		return 10, true
	}
	return 4, true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// decodeFlat is the fast path for what nearly every request is: one flat
// object whose strings have no escapes. It gives what encoding/json gives
// for such input (json.Number for numbers, the last of duplicate keys)
// and declines (ok false) on anything else: nesting, escapes, control
// characters, malformed input. The general decoder then has the last word.
// For a heartbeat it is most of the decoding cost gone, and decoding was
// the largest share of the handler's own work.
func decodeFlat(body []byte) (m svc.Body, ok bool) {
	// One copy of the body holds every key and value (a string each
	// was most of a heartbeat's allocations).
	b := string(body)
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	// Nesting or escapes anywhere: the general decoder, without first
	// half-decoding here (a '[', '{' or '\\' inside a string only costs
	// the fast path).
	if strings.IndexByte(b[i+1:], '{') >= 0 || strings.IndexByte(b, '[') >= 0 || strings.IndexByte(b, '\\') >= 0 {
		return nil, false
	}
	m = make(svc.Body, 8)
	if i = skipWS(b, i+1); i < len(b) && b[i] == '}' {
		return m, skipWS(b, i+1) == len(b)
	}
	for {
		key, j, ok := plainString(b, i)
		if !ok {
			return nil, false
		}
		if i = skipWS(b, j); i >= len(b) || b[i] != ':' {
			return nil, false
		}
		if i = skipWS(b, i+1); i >= len(b) {
			return nil, false
		}
		var v any
		switch c := b[i]; {
		case c == '"':
			if v, i, ok = plainString(b, i); !ok {
				return nil, false
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if j, ok = number(b, i); !ok {
				return nil, false
			}
			v, i = json.Number(b[i:j]), j
		case strings.HasPrefix(b[i:], "true"):
			v, i = true, i+4
		case strings.HasPrefix(b[i:], "false"):
			v, i = false, i+5
		case strings.HasPrefix(b[i:], "null"):
			v, i = nil, i+4
		default:
			return nil, false
		}
		m[key] = v
		if i = skipWS(b, i); i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return m, skipWS(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

func skipWS(b string, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads the string starting at b[i] ('"'); ok is false when
// it is not one or has an escape or a control character in it.
func plainString(b string, i int) (s string, end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// number reads a JSON number at b[i] exactly as the grammar has it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func number(b string, i int) (end int, ok bool) {
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

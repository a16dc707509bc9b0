package dispatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"sxb-edu/svc"
)

// MaxDepth is PHP's json_decode depth the reference used: the leaf counts
// as a level, so at most MaxDepth-1 arrays and objects may nest.
const MaxDepth = 12

var errJSON = errors.New("body is not JSON")

// Decode parses a raw request body with the PHP rules of PROTOCOL §1–2:
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

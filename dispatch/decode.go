package dispatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"sxb-edu/svc"
)

// MaxDepth is the deepest nesting of arrays and objects a body may have
// (the reference decoded with PHP's json_decode depth 12).
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
	if !utf8.Valid(raw) || depth(raw) > MaxDepth {
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

// depth is the deepest nesting of [ and { outside strings. It only bounds
// the work of decoding; malformed input is left to the decoder.
func depth(b []byte) int {
	d, max, inStr, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			d++
			if d > max {
				max = d
				if max > MaxDepth {
					return max
				}
			}
		case c == ']' || c == '}':
			d--
		}
	}
	return max
}

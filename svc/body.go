package svc

import (
	"encoding/json"
	"strings"
)

// Body is a decoded request object. Numbers stay json.Number so that the
// PHP distinction between int and float survives decoding.
type Body map[string]any

// Has reports whether k is present and not null (PHP isset).
func (b Body) Has(k string) bool {
	v, ok := b[k]
	return ok && v != nil
}

// Empty reports whether k counts as missing under PHP empty(), except that
// the string "0" is not empty (a deliberate deviation, docs/protocol.md §2).
func (b Body) Empty(k string) bool {
	return isEmpty(b[k])
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// IsInt reports whether a JSON number is a PHP int: written without a
// fraction or exponent and within int64.
func IsInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(string(n), ".eE") {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// Int returns k when it is a PHP int.
func (b Body) Int(k string) (int64, bool) { return IsInt(b[k]) }

// Str returns k when it is a JSON string.
func (b Body) Str(k string) (string, bool) {
	s, ok := b[k].(string)
	return s, ok
}

// Obj returns k when it is a JSON object.
func (b Body) Obj(k string) (Body, bool) {
	m, ok := b[k].(map[string]any)
	return Body(m), ok
}

// IntOrString returns k as an int, converting a string like PHP intval.
func (b Body) IntOrString(k string) (int64, bool) {
	switch x := b[k].(type) {
	case string:
		return Intval(x), true
	default:
		return IsInt(x)
	}
}

// Intval converts a string like PHP intval: optional whitespace and sign,
// then leading digits; anything else gives 0. Overflow saturates.
func Intval(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := int64(s[i] - '0')
		if n > (1<<63-1-d)/10 {
			if neg {
				return -1 << 63
			}
			return 1<<63 - 1
		}
		n = n*10 + d
	}
	if neg {
		return -n
	}
	return n
}

package dispatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// loneSurrogate finds \u escapes of UTF-16 surrogates, paired or not.
var loneSurrogate = regexp.MustCompile(`(?i)\\ud[89a-f]`)

// fffd finds U+FFFD written as an escape (literal ones are checked apart).
var fffd = regexp.MustCompile(`(?i)\\ufffd|\x{FFFD}`)

// tokensHaveFFFD reports whether any key or string of valid JSON reads
// as holding U+FFFD, token by token (a duplicate key hides a value from
// the decoded map, not from PHP's decoder).
func tokensHaveFFFD(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, utf8.RuneError) {
			return true
		}
	}
}

// nesting is the deepest nesting of arrays and objects of valid JSON, read
// with the standard decoder (an oracle independent of scan()).
func nesting(raw []byte) int {
	dec := json.NewDecoder(bytes.NewReader(raw))
	d, max := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return max
		}
		if dl, ok := tok.(json.Delim); ok {
			if dl == '[' || dl == '{' {
				d++
				max = maxInt(max, d)
			} else {
				d--
			}
		}
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// FuzzDecode checks the body decoder against encoding/json: it accepts
// exactly the valid UTF-8 JSON documents (other than null) nested at most
// MaxDepth deep, and what it returns is what the standard decoder reads.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "0", "null", "{}", "[]", `"x"`, "1", "1.5e3", `{"a":1}`,
		`{"appid":1400000001,"timeStamp":"12","id":"\u00e9\ud83d\ude00","pwd":"0"}`,
		`{"a":[[[[[[[[[[[1]]]]]]]]]]]}`, `{"a":[[[[[[[[[[[[1]]]]]]]]]]]]}`, `{"a":"[[[[[[[[[[[[[[[["}`,
		`{"a":1} x`, `{"a":1}{}`, "{\"a\":\"\xff\"}", `{"a":"\"{[}"}`, " \t\n{}\n", `{"a":1,"a":2}`,
		`{"n":-0,"m":1e400,"k":12345678901234567890123}`, "\ufeff{}", `{"a":"\ud800"}`,
		`{"a":"\ud83d\ude00"}`, `{"\udc00":1}`, `{"a":"\ud800\u0041"}`, `{"a":"\ufffd\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Decode(raw)
		if len(raw) == 0 || string(raw) == "0" {
			if err != nil || b == nil || len(b) != 0 {
				t.Fatalf("empty body %q: %v %v", raw, b, err)
			}
			return
		}
		valid := json.Valid(raw) && utf8.Valid(raw) && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
		if valid && nesting(raw) >= MaxDepth {
			valid = false
		}
		if valid && loneSurrogate.Match(raw) {
			// encoding/json reads a lone surrogate as U+FFFD; PHP (and
			// Decode) refuse it. Where the body cannot hold U+FFFD by
			// itself, a U+FFFD read means a lone surrogate.
			if fffd.Match(raw) {
				return
			}
			if tokensHaveFFFD(raw) {
				valid = false
			}
		}
		if valid != (err == nil) {
			t.Fatalf("Decode(%q): err %v, but valid=%v (nesting %d)", raw, err, valid, nesting(raw))
		}
		if err != nil {
			if !errors.Is(err, errJSON) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatal("trailing data accepted")
		}
		m, isObj := want.(map[string]any)
		if !isObj {
			m = map[string]any{}
		}
		if !reflect.DeepEqual(map[string]any(b), m) {
			t.Fatalf("Decode(%q) = %v, want %v", raw, b, m)
		}
	})
}

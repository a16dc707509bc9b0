package dispatch

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sxb-edu/svc"
)

func TestDecode(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	ok := []struct {
		in   string
		want svc.Body
	}{
		{"", svc.Body{}},
		{"0", svc.Body{}}, // PHP empty("0"): no body
		{" 0", svc.Body{}},
		{"{}", svc.Body{}},
		{" \r\n\t{} ", svc.Body{}},
		{"[1,2]", svc.Body{}},
		{`"str"`, svc.Body{}},
		{"12", svc.Body{}},
		{"false", svc.Body{}},
		{`{"a":1,"b":1.0,"c":"1","d":null,"e":[],"f":{},"g":true}`, svc.Body{"a": json.Number("1"),
			"b": json.Number("1.0"), "c": "1", "d": nil, "e": []any{}, "f": map[string]any{}, "g": true}},
		{`{"a":1,"a":"x"}`, svc.Body{"a": "x"}},
		{`{"k":-0,"big":123456789012345678901234,"exp":1E400}`, svc.Body{"k": json.Number("-0"),
			"big": json.Number("123456789012345678901234"), "exp": json.Number("1E400")}},
		{`{"u":"\u5b66\"\\"}`, svc.Body{"u": "学\"\\"}},
		{`{"a":` + nest(11) + `}`, nil},                   // depth 12
		{nest(12), svc.Body{}},                            // depth 12 list
		{`{"s":"` + strings.Repeat("[{", 40) + `"}`, nil}, // brackets in strings do not count
		{`{"s":"\"[[[[[[[[[[[[[[["}`, nil},
	}
	for _, c := range ok {
		got, err := Decode([]byte(c.in))
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if c.want != nil && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %#v, want %#v", c.in, got, c.want)
		}
		if got == nil {
			t.Errorf("%q: nil body", c.in)
		}
	}
	bad := []string{
		"null", " null ", "nul", "{", `{"a":1`, `{"a":1}}`, `{"a":1} {}`, "1 2", "{'a':1}", `{"a":01}`,
		`{"a":NaN}`, `{"a":1,}`, "00", "{\"a\":\"\xff\"}", "\xef\xbb\xbf{}", `{"a":` + nest(12) + `}`,
		nest(13), `{"a":[{"b":[{"c":[{"d":[{"e":[{"f":[{}]}]}]}]}]}]}`, "\x00",
	}
	for _, in := range bad {
		if b, err := Decode([]byte(in)); err == nil {
			t.Errorf("%q: accepted as %#v", in, b)
		}
	}
}

func TestDepth(t *testing.T) {
	for in, want := range map[string]int{
		``: 0, `1`: 0, `{}`: 1, `[[]]`: 2, `{"a":[{"b":1}]}`: 3, `["]]]"]`: 1, `["\"[["]`: 1,
		`["\\"]`: 1, `[[],[[]]]`: 3,
	} {
		if got := depth([]byte(in)); got != want {
			t.Errorf("depth(%s) = %d, want %d", in, got, want)
		}
	}
}

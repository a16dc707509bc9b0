package dispatch

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sxb-edu/svc"
)

func TestDecode(t *testing.T) {
	t.Parallel()
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
		{`{"a":` + nest(10) + `}`, nil}, // 11 levels
		{nest(11), svc.Body{}},          // 11 levels, a list
		{`{"p":"\ud83d\ude00 \u00e9"}`, svc.Body{"p": "😀 é"}},
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
		`{"a":NaN}`, `{"a":1,}`, "00", "{\"a\":\"\xff\"}", "\xef\xbb\xbf{}", `{"a":` + nest(11) + `}`,
		nest(12), `{"a":[{"b":[{"c":[{"d":[{"e":[{"f":[{}]}]}]}]}]}]}`, "\x00",
		`{"a":"\ud800"}`, `{"a":"\udc00"}`, `{"a":"\ud800\u0041"}`, `{"a":"x\ud83d"}`,
	}
	for _, in := range bad {
		if b, err := Decode([]byte(in)); err == nil {
			t.Errorf("%q: accepted as %#v", in, b)
		}
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		``: true, `1`: true, `{}`: true, nest(11): true, nest(12): false, `["]]]"]`: true,
		`["\"[["]`: true, `["\\"]`: true, `["` + strings.Repeat("[", 20) + `"]`: true,
		`["\ud83d\ude00"]`: true, `["\uD83D\uDE00"]`: true, `["\ud800"]`: false, `["\udfff"]`: false,
		`["\ud800\n"]`: false, `["\\ud800"]`: true, `["\u12"]`: true,
	} {
		if got := scan([]byte(in)); got != want {
			t.Errorf("scan(%s) = %v, want %v", in, got, want)
		}
	}
}

// nest is n empty arrays, one inside the other.
func nest(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

package svc

import (
	"encoding/json"
	"testing"
)

func TestBodyEmptyAndHas(t *testing.T) {
	t.Parallel()
	b := Body{"zero": json.Number("0"), "zerof": json.Number("0.0"), "negzero": json.Number("-0"),
		"empty": "", "false": false, "null": nil, "list": []any{}, "obj": map[string]any{},
		"strzero": "0", "one": json.Number("1"), "small": json.Number("0.001"), "true": true,
		"str": "x", "fulllist": []any{nil}, "fullobj": map[string]any{"a": nil}, "space": " "}
	for k, want := range map[string]bool{"zero": true, "zerof": true, "negzero": true, "empty": true,
		"false": true, "null": true, "list": true, "obj": true, "missing": true,
		"strzero": false, "one": false, "small": false, "true": false, "str": false,
		"fulllist": false, "fullobj": false, "space": false} {
		if got := b.Empty(k); got != want {
			t.Errorf("Empty(%s) = %v, want %v", k, got, want)
		}
	}
	for k, want := range map[string]bool{"zero": true, "null": false, "missing": false, "empty": true, "false": true} {
		if got := b.Has(k); got != want {
			t.Errorf("Has(%s) = %v, want %v", k, got, want)
		}
	}
}

func TestBodyTypes(t *testing.T) {
	t.Parallel()
	b := Body{"i": json.Number("12"), "neg": json.Number("-3"), "f": json.Number("1.0"), "e": json.Number("1e2"),
		"E": json.Number("1E2"), "big": json.Number("9223372036854775807"), "over": json.Number("9223372036854775808"),
		"s": "12", "t": true, "o": map[string]any{"a": "b"}, "l": []any{"x"}}
	for k, want := range map[string]struct {
		n  int64
		ok bool
	}{"i": {12, true}, "neg": {-3, true}, "f": {0, false}, "e": {0, false}, "E": {0, false},
		"big": {9223372036854775807, true}, "over": {0, false}, "s": {0, false}, "t": {0, false},
		"o": {0, false}, "missing": {0, false}} {
		n, ok := b.Int(k)
		if ok != want.ok || (ok && n != want.n) {
			t.Errorf("Int(%s) = %d, %v; want %d, %v", k, n, ok, want.n, want.ok)
		}
	}
	if s, ok := b.Str("s"); !ok || s != "12" {
		t.Errorf("Str(s) = %q, %v", s, ok)
	}
	for _, k := range []string{"i", "t", "o", "missing"} {
		if _, ok := b.Str(k); ok {
			t.Errorf("Str(%s) ok", k)
		}
	}
	if o, ok := b.Obj("o"); !ok || o["a"] != "b" {
		t.Errorf("Obj(o) = %v, %v", o, ok)
	}
	for _, k := range []string{"l", "s", "missing"} {
		if _, ok := b.Obj(k); ok {
			t.Errorf("Obj(%s) ok", k)
		}
	}
	for k, want := range map[string]struct {
		n  int64
		ok bool
	}{"i": {12, true}, "s": {12, true}, "f": {0, false}, "t": {0, false}, "l": {0, false}} {
		n, ok := b.IntOrString(k)
		if ok != want.ok || n != want.n {
			t.Errorf("IntOrString(%s) = %d, %v; want %d, %v", k, n, ok, want.n, want.ok)
		}
	}
}

func TestIntval(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"": 0, "abc": 0, "12": 12, "12abc": 12, "  42": 42, "\n\t7x": 7, "+5": 5, "-5": -5, "--5": 0,
		"1.9": 1, "0x1A": 0, "007": 7, " - 5": 0, "9223372036854775807": 9223372036854775807,
		"99999999999999999999": 9223372036854775807, "-99999999999999999999": -9223372036854775808,
		"１２": 0, "12 34": 12,
	} {
		if got := Intval(in); got != want {
			t.Errorf("Intval(%q) = %d, want %d", in, got, want)
		}
	}
}

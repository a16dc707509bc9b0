package svc

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

// intvalOracle is PHP intval of a string, computed with big integers and
// clamped: optional leading whitespace, an optional sign, leading digits.
func intvalOracle(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0
	}
	n, _ := new(big.Int).SetString(sign+s[:i], 10)
	if n.IsInt64() {
		return n.Int64()
	}
	if n.Sign() < 0 {
		return -1 << 63
	}
	return 1<<63 - 1
}

func FuzzIntval(f *testing.F) {
	for _, s := range []string{"", "0", "12", " 12abc", "-7", "+7", "--1", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "\t\n 42", "1e3", "0x1A", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Intval(s), intvalOracle(s); got != want {
			t.Fatalf("Intval(%q) = %d, want %d", s, got, want)
		}
		n, ok := Body{"k": s}.IntOrString("k")
		if !ok || n != intvalOracle(s) {
			t.Fatalf("IntOrString(%q) = %d %v", s, n, ok)
		}
		// As a JSON number: an int only without fraction or exponent, in range.
		num := json.Number(s)
		i, isInt := IsInt(num)
		if isInt {
			if strings.ContainsAny(s, ".eE") {
				t.Fatalf("IsInt(%q) accepted a float", s)
			}
			if p, err := strconv.ParseInt(s, 10, 64); err != nil || p != i {
				t.Fatalf("IsInt(%q) = %d, ParseInt says %d %v", s, i, p, err)
			}
		}
	})
}

// FuzzVerifyCallback: a callback passes exactly when sign is the hex MD5
// of key and the decimal t, and t is not in the past.
func FuzzVerifyCallback(f *testing.F) {
	const key = "k3y"
	now := time.Unix(1_800_000_000, 0)
	good := func(t int64) string {
		s := md5.Sum([]byte(key + strconv.FormatInt(t, 10)))
		return hex.EncodeToString(s[:])
	}
	f.Add("1800000100", good(1800000100), false)
	f.Add("1800000100", strings.ToUpper(good(1800000100)), true)
	f.Add("1799999999", good(1799999999), false)
	f.Add("1800000000", good(1800000000), true)
	f.Add("1.8e9", good(1800000000), false)
	f.Add("", "", true)
	s := &Service{Cfg: &Config{CallbackKey: key}, clock: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, tRaw, sign string, asString bool) {
		b := Body{"sign": sign}
		var tv int64
		var parsed bool
		if asString {
			b["t"] = tRaw
			p, err := strconv.ParseInt(tRaw, 10, 64)
			tv, parsed = p, err == nil
		} else {
			b["t"] = json.Number(tRaw)
			tv, parsed = IsInt(json.Number(tRaw))
		}
		want := parsed && tv >= now.Unix() && strings.ToLower(sign) == good(tv)
		err := s.VerifyCallback(b)
		if (err == nil) != want {
			t.Fatalf("t=%q (string %v) sign=%q: err %v, want pass=%v", tRaw, asString, sign, err, want)
		}
		if err != nil && err != ErrForbidden {
			t.Fatalf("error %v is not Forbidden", err)
		}
	})
}

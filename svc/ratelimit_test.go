package svc

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"::ffff:203.0.113.9":   "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"not-an-ip":            "not-an-ip",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoginLimiterWindow(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := &Service{clock: func() time.Time { return now }, limiter: newLoginLimiter()}
	// One address of a /64 spends the budget of the whole /64.
	for i := 0; i < LoginFailuresPerAddr; i++ {
		if s.addrOver("2001:db8::1") != 0 {
			t.Fatalf("failure %d: over the budget early", i)
		}
		s.loginFailed(fmt.Sprint("id", i), "2001:db8::1", false)
		now = now.Add(time.Second)
	}
	if s.addrOver("2001:db8::ffff") <= 0 {
		t.Fatal("address not over its budget")
	}
	if s.addrOver("2001:db9::1") != 0 {
		t.Fatal("another /64 was limited")
	}
	// Unknown ids count against the address only.
	if s.idAllowed("id0", "2001:db8::1") != nil {
		t.Fatal("an unknown id counted against the id")
	}
	// The oldest failure leaves the window at first+window: one try frees.
	now = time.Unix(1_800_000_000, 0).Add(LoginWindow).Add(time.Millisecond)
	if s.addrOver("2001:db8::1") != 0 {
		t.Fatal("after the window slid: still over")
	}
	s.loginFailed("fresh", "2001:db8::1", true)
	if s.addrOver("2001:db8::1") <= 0 {
		t.Fatal("the budget did not fill again")
	}
	// Wrong passwords count against the id.
	for i := 0; i < LoginFailuresPerID; i++ {
		if err := s.idAllowed("victim", "203.0.113.1"); err != nil {
			t.Fatalf("failure %d refused early: %v", i, err)
		}
		s.loginFailed("victim", "203.0.113.1", true)
	}
	err := s.idAllowed("victim", "203.0.113.2")
	if err == nil || err.(*Error).Code != CodePassword || !strings.Contains(err.Error(), "retry later") {
		t.Fatalf("id over its budget: %v", err)
	}
	s.loginSucceeded("victim")
	if s.idAllowed("victim", "203.0.113.2") != nil {
		t.Fatal("a success did not clear the id")
	}
	// Registrations per address.
	for i := 0; i < RegistsPerAddr; i++ {
		if err := s.registAllowed("198.51.100.1"); err != nil {
			t.Fatalf("registration %d refused: %v", i, err)
		}
	}
	if err := s.registAllowed("198.51.100.1"); err == nil || !strings.Contains(err.Error(), "Too many registrations") {
		t.Fatalf("registration over the limit: %v", err)
	}
	if s.registAllowed("127.0.0.1") != nil {
		t.Fatal("loopback registrations limited")
	}
}

func TestLoginLimiterMemoryBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := &Service{clock: func() time.Time { return now }, limiter: newLoginLimiter()}
	const sweep = 1000
	s.limiter.byID.sweep, s.limiter.byID.floor = sweep, sweep
	for i := 0; i < 3*sweep; i++ {
		s.loginFailed(fmt.Sprint("spray", i), "", true)
		if i%sweep == 0 {
			now = now.Add(LoginWindow + time.Second) // the earlier ones expire
		}
	}
	if n := len(s.limiter.byID.m); n > sweep+1 {
		t.Fatalf("%d ids tracked, the sweep keeps at most %d", n, sweep+1)
	}
	// Keys that stay alive make the sweeps rarer, not every call.
	sweeps := 0
	for i := 0; i < 64*sweep; i++ {
		before := s.limiter.byID.sweep
		s.loginFailed(fmt.Sprint("alive", i), "", true)
		if s.limiter.byID.sweep != before {
			sweeps++
		}
	}
	if sweeps > 8 {
		t.Fatalf("%d sweeps for %d live keys: not amortised", sweeps, 64*sweep)
	}
}

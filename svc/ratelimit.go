package svc

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Rate limits of logins and registrations, within any window of
// LoginWindow:
//
//   - An id may fail LoginFailuresPerID times (wrong password); then every
//     login of it answers 10006 until the oldest failure leaves the window,
//     even with the right password. A correct login clears the id's count.
//   - A client address (IPv6 counted per /64) may fail LoginFailuresPerAddr
//     times (unknown ids and wrong passwords). Past that its logins of
//     unknown ids answer 10006, its wrong passwords are answered
//     failureDelay late and its password checks wait behind everyone
//     else's; a correct password is never refused for the address, so one
//     student behind a school's NAT cannot lock the school out.
//   - An address may register RegistsPerAddr accounts.
//
// Loopback clients are not limited: they are the operator's own tools and
// tests, or a local reverse proxy that was not named in trusted_proxies
// (whose clients cannot be told apart, so limiting it would lock everyone
// out). Behind a local proxy, list it in trusted_proxies to limit clients.
const (
	LoginWindow          = 15 * time.Minute
	LoginFailuresPerID   = 10
	LoginFailuresPerAddr = 50
	RegistsPerAddr       = 100
	// failureDelay slows the failed logins of an address over its budget.
	failureDelay = time.Second
	// limiterSweep is the number of tracked keys above which expired ones
	// are dropped, so a spray of ids cannot grow memory without bound.
	limiterSweep = 1 << 16
)

// failures remembers, per key, the times of the newest failures (at most
// max of them: older ones cannot matter).
type failures struct {
	max    int
	window time.Duration
	m      map[string][]time.Time
	sweep  int // size of m at which expired keys are dropped
	floor  int // the smallest sweep size
}

func newFailures(max int, window time.Duration) *failures {
	return &failures{max: max, window: window, m: map[string][]time.Time{}, sweep: limiterSweep, floor: limiterSweep}
}

// live drops the failures of key that left the window and returns the rest.
func (f *failures) live(key string, now time.Time) []time.Time {
	ts := f.m[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-f.window)) {
		i++
	}
	if i > 0 {
		ts = ts[i:]
		if len(ts) == 0 {
			delete(f.m, key)
		} else {
			f.m[key] = ts
		}
	}
	return ts
}

// blocked says how long key must wait, 0 when it may try now.
func (f *failures) blocked(key string, now time.Time) time.Duration {
	ts := f.live(key, now)
	if len(ts) < f.max {
		return 0
	}
	return ts[0].Add(f.window).Sub(now)
}

func (f *failures) add(key string, now time.Time) {
	ts := append(f.live(key, now), now)
	if len(ts) > f.max {
		ts = ts[len(ts)-f.max:]
	}
	f.m[key] = ts
	if len(f.m) > f.sweep {
		for k := range f.m {
			f.live(k, now)
		}
		// Sweep again only after as many new keys as remain: amortised
		// O(1) per failure even when a spray keeps every key alive.
		f.sweep = max(f.floor, 2*len(f.m))
	}
}

// loginLimiter holds the failures of logins by id and by address, and
// the registrations by address.
type loginLimiter struct {
	mu      sync.Mutex
	byID    *failures
	byAddr  *failures
	regists *failures
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{
		byID:    newFailures(LoginFailuresPerID, LoginWindow),
		byAddr:  newFailures(LoginFailuresPerAddr, LoginWindow),
		regists: newFailures(RegistsPerAddr, LoginWindow),
	}
}

// addrKey is the unit an address is limited by: an IPv4 address, or the
// /64 of an IPv6 one (one subscriber usually holds a whole /64).
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// exempt reports whether logins from addr are never limited (loopback).
func exempt(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	return err == nil && ip.Unmap().IsLoopback()
}

func retryIn(wait time.Duration) int64 { return int64((wait + time.Second - 1) / time.Second) }

// idAllowed answers 10006 when id had too many failed logins.
func (s *Service) idAllowed(id, addr string) error {
	if exempt(addr) {
		return nil
	}
	l := s.limiter
	l.mu.Lock()
	wait := l.byID.blocked(id, s.clock())
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	return E(CodePassword, fmt.Sprintf("Too many failed logins, please retry later (in %d s)", retryIn(wait)))
}

// addrOver says how long addr stays over its budget of failed logins (0:
// it is not).
func (s *Service) addrOver(addr string) time.Duration {
	if exempt(addr) || addr == "" {
		return 0
	}
	l := s.limiter
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byAddr.blocked(addrKey(addr), s.clock())
}

// loginFailed counts a failed login of id from addr; a wrong password
// (known) counts against the id too.
func (s *Service) loginFailed(id, addr string, known bool) {
	if exempt(addr) {
		return
	}
	l := s.limiter
	now := s.clock()
	l.mu.Lock()
	if known {
		l.byID.add(id, now)
	}
	if addr != "" {
		l.byAddr.add(addrKey(addr), now)
	}
	l.mu.Unlock()
}

// loginSucceeded forgets the failures of id: the owner got in.
func (s *Service) loginSucceeded(id string) {
	l := s.limiter
	l.mu.Lock()
	delete(l.byID.m, id)
	l.mu.Unlock()
}

// registAllowed counts a registration from addr, or answers 10003 when
// the address registered too many accounts.
func (s *Service) registAllowed(addr string) error {
	if exempt(addr) || addr == "" {
		return nil
	}
	l := s.limiter
	now := s.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	key := addrKey(addr)
	if wait := l.regists.blocked(key, now); wait > 0 {
		return E(CodeReqData, fmt.Sprintf("Too many registrations from this address, please retry later (in %d s)", retryIn(wait)))
	}
	l.regists.add(key, now)
	return nil
}

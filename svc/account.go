package svc

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sxb-edu/sig"
	"sxb-edu/store"
)

const maxIDLen = 50 // bytes, as t_account.uid

// LoginData answers login.
type LoginData struct {
	UserSig string `json:"userSig"`
	Token   string `json:"token"`
	Role    int    `json:"role"`
}

// credentials reads id and pwd (regist and login check them alike).
func credentials(b Body) (id, pwd string, err error) {
	if b.Empty("id") {
		return "", "", E(CodeReqData, "Lack of id")
	}
	id, ok := b.Str("id")
	if !ok {
		return "", "", E(CodeReqData, "Invalid id")
	}
	if b.Empty("pwd") {
		return "", "", E(CodeReqData, "Lack of pwd")
	}
	pwd, ok = b.Str("pwd")
	if !ok {
		return "", "", E(CodeReqData, "Invalid pwd")
	}
	return id, pwd, nil
}

// pwdKey makes any password a fixed-size bcrypt input (bcrypt reads at
// most 72 bytes).
func pwdKey(pwd string) []byte {
	h := sha256.Sum256([]byte(pwd))
	return []byte(base64.StdEncoding.EncodeToString(h[:]))
}

// busy answers a request the password-hash queue has no room for.
var busy = E(CodeServer, "Server busy, please retry later")

// hashing runs fn in a slot of the hash queue (see hashqueue.go), so
// password hashing never takes all CPUs from the other requests.
func (s *Service) hashing(ctx context.Context, c hashClass, fn func() error) error {
	if err := s.hashes.acquire(ctx, c); err != nil {
		return err
	}
	defer s.hashes.release()
	if s.onHash != nil {
		s.onHash(1)
		defer s.onHash(-1)
	}
	return lowPriority(fn)
}

// newHash hashes a new account's password in the hash queue.
func (s *Service) newHash(ctx context.Context, pwd string) (string, error) {
	var hash []byte
	err := s.hashing(ctx, hashRegist, func() (err error) {
		hash, err = bcrypt.GenerateFromPassword(pwdKey(pwd), cmp.Or(s.Cfg.HashCost, DefaultHashCost))
		return err
	})
	if errors.Is(err, errHashBusy) {
		return "", busy
	}
	if err != nil {
		return "", internal("hash password", err)
	}
	return string(hash), nil
}

// Regist registers an account (a Common command).
func (s *Service) Regist(ctx context.Context, r *Req) (any, error) {
	id, pwd, err := credentials(r.Body)
	if err != nil {
		return nil, err
	}
	if len(id) > maxIDLen {
		return nil, E(CodeReqData, "Invalid id: longer than 50 bytes")
	}
	if strings.TrimSpace(id) != id {
		// MySQL's comparisons ignore trailing spaces: 'erin ' would be
		// another account on SQLite and erin's twin on MySQL.
		return nil, E(CodeReqData, "Invalid id: spaces at the start or end")
	}
	if !r.Body.Has("role") {
		return nil, E(CodeReqData, "Lack of role")
	}
	role, ok := r.Body.Int("role")
	if !ok || (role != 0 && role != 1) {
		return nil, E(CodeReqData, "Invalid role")
	}
	if err := s.registAllowed(r.Addr); err != nil {
		return nil, err
	}
	hash, err := s.newHash(ctx, pwd)
	if err != nil {
		return nil, err
	}
	a := &store.Account{UID: id, AppID: r.AppID, Role: int(role), PwdHash: hash}
	err = s.Store.CreateAccount(ctx, a, s.now())
	if errors.Is(err, store.ErrExists) {
		return nil, E(CodeUserExist, "Register user id existed")
	}
	if err != nil {
		return nil, internal("register", err)
	}
	return nil, nil
}

// CheckPassword checks id's password as login does (rate limits, the hash
// queue, the original server's reversible passwords turned to hashes),
// for the other fronts that log in the server's accounts. check, when
// set, may refuse the account before its password is hashed.
func (s *Service) CheckPassword(ctx context.Context, id, pwd, addr string, check func(*store.Account) error) (*store.Account, error) {
	if len(id) > maxIDLen || strings.TrimSpace(id) != id {
		// No such id can exist; refused before the rate limiter, which
		// would otherwise keep the id in memory for its window.
		return nil, E(CodeUserNotExist, "User not exist")
	}
	if err := s.idAllowed(id, addr); err != nil {
		return nil, err
	}
	over := s.addrOver(addr)
	a, err := s.Store.AccountByUID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if over > 0 {
			return nil, E(CodePassword, fmt.Sprintf("Too many failed logins, please retry later (in %d s)", retryIn(over)))
		}
		s.loginFailed(id, addr, false)
		return nil, E(CodeUserNotExist, "User not exist")
	}
	if err != nil {
		return nil, internal("read account", err)
	}
	if check != nil {
		if err := check(a); err != nil {
			return nil, err
		}
	}
	class := hashLogin
	if over > 0 {
		class = hashSuspect
	}
	legacy := !strings.HasPrefix(a.PwdHash, "$2")
	var rehash []byte
	err = s.hashing(ctx, class, func() error {
		if !legacy {
			return bcrypt.CompareHashAndPassword([]byte(a.PwdHash), pwdKey(pwd))
		}
		if !legacyPasswordMatch(a.PwdHash, pwd) {
			return bcrypt.ErrMismatchedHashAndPassword
		}
		var err error
		rehash, err = bcrypt.GenerateFromPassword(pwdKey(pwd), cmp.Or(s.Cfg.HashCost, DefaultHashCost))
		return err
	})
	if errors.Is(err, errHashBusy) {
		return nil, busy
	}
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		s.loginFailed(id, addr, true)
		if over > 0 {
			select { // slow a guesser down; a correct password never waits
			case <-time.After(failureDelay):
			case <-ctx.Done():
			}
		}
		return nil, E(CodePassword, "User password error")
	}
	if err != nil {
		return nil, internal("check password", err)
	}
	if rehash != nil {
		// The original server's reversible password becomes a hash on
		// the first login that proves it.
		if err := s.Store.SetPassword(ctx, a.Uin, string(rehash)); err != nil {
			return nil, internal("rehash password", err)
		}
	}
	return a, nil
}

// EnsureAccount makes the account id (role 0 of appID) with password
// pwd unless it exists, then checks the password: the AUI fronts' demo
// login, whose first login registers.
func (s *Service) EnsureAccount(ctx context.Context, id, pwd, addr string, appID int64) (*store.Account, error) {
	if len(id) > maxIDLen || strings.TrimSpace(id) != id {
		return nil, E(CodeReqData, "Invalid id")
	}
	_, err := s.Store.AccountByUID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.registAllowed(addr); err != nil {
			return nil, err
		}
		hash, err := s.newHash(ctx, pwd)
		if err != nil {
			return nil, err
		}
		err = s.Store.CreateAccount(ctx, &store.Account{UID: id, AppID: appID, PwdHash: hash}, s.now())
		if err != nil && !errors.Is(err, store.ErrExists) {
			return nil, internal("register", err)
		}
	} else if err != nil {
		return nil, internal("read account", err)
	}
	return s.CheckPassword(ctx, id, pwd, addr, nil)
}

// Login checks a password and issues a token and an IM userSig (a Common command).
func (s *Service) Login(ctx context.Context, r *Req) (any, error) {
	id, pwd, err := credentials(r.Body)
	if err != nil {
		return nil, err
	}
	a, err := s.CheckPassword(ctx, id, pwd, r.Addr, func(a *store.Account) error {
		if a.AppID != r.AppID {
			// An account serves its own app only: a userSig for another app
			// would also end the session the account has there.
			return E(CodeReqData, "appid is diff from appid of the user.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d, err := s.SignIn(ctx, a)
	if err != nil {
		return nil, err
	}
	s.loginSucceeded(id)
	return d, nil
}

// SignIn opens a session for an account whose owner was vouched for
// otherwise (a password, or a school's single sign-on): a new token
// (the account's previous one ends) and an IM userSig of its app.
func (s *Service) SignIn(ctx context.Context, a *store.Account) (LoginData, error) {
	app, ok := s.App(a.AppID)
	if !ok {
		return LoginData{}, E(CodeReqData, "appid is diff from appid of the user.")
	}
	userSig, err := sig.UserSig(app.SDKAppID, app.Key, a.UID, s.Cfg.UserSigExpire)
	if err != nil {
		return LoginData{}, internal("gen sig fail", err)
	}
	token, err := newToken()
	if err != nil {
		return LoginData{}, internal("token", err)
	}
	if err := s.Store.Login(ctx, a, token, userSig, s.now()); err != nil {
		return LoginData{}, internal("login", err)
	}
	return LoginData{UserSig: userSig, Token: token, Role: a.Role}, nil
}

// newToken makes a 128-bit random token.
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Logout clears a token (a Common command).
func (s *Service) Logout(ctx context.Context, r *Req) (any, error) {
	if r.Body.Empty("token") {
		return nil, E(CodeReqData, "Lack of token")
	}
	token, ok := r.Body.Str("token")
	if !ok {
		return nil, E(CodeReqData, "Invalid token")
	}
	uid, err := s.Store.Logout(ctx, token, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, E(CodeRepeatLogout, "Repeat logout")
	}
	if err != nil {
		return nil, internal("logout", err)
	}
	r.LogUID = uid
	return nil, nil
}

// legacyPasswordMatch checks a password against what the original PHP
// server stored: the first line of the base64 of the password followed by
// a newline (its registration piped `echo` into `base64`, its login read
// the first line back from `base64 -d`).
func legacyPasswordMatch(stored, pwd string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(stored))
	if err != nil || len(raw) == 0 {
		return false
	}
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	return subtle.ConstantTimeCompare(line, []byte(pwd)) == 1
}

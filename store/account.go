package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

// Account is a row of t_account.
type Account struct {
	Uin     int64
	UID     string
	AppID   int64
	Role    int
	PwdHash string
}

// Session is a logged-in account found by its token. LastRequest is the
// newest activity time, kept in memory and written behind.
type Session struct {
	Account
	Token       string
	lastRequest atomic.Int64
	flushed     atomic.Int64
}

// LastRequest is the time of the token's newest request.
func (se *Session) LastRequest() int64 { return se.lastRequest.Load() }

// Touch records activity of the token at now (write-behind).
func (se *Session) Touch(now int64) {
	for {
		old := se.lastRequest.Load()
		if now <= old || se.lastRequest.CompareAndSwap(old, now) {
			return
		}
	}
}

const accountCols = "uin, uid, appid, role, pwd"

func scanAccount(row interface{ Scan(...any) error }) (*Account, error) {
	a := &Account{}
	err := row.Scan(&a.Uin, &a.UID, &a.AppID, &a.Role, &a.PwdHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// CreateAccount adds an account; a uid taken in any ASCII case gives ErrExists.
func (s *Store) CreateAccount(ctx context.Context, a *Account, now int64) error {
	res, err := s.exec(ctx,
		"INSERT INTO t_account (uid, appid, role, pwd, register_time) VALUES (?, ?, ?, ?, ?)",
		a.UID, a.AppID, a.Role, a.PwdHash, now)
	if s.d.unique(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	a.Uin, err = res.LastInsertId()
	return err
}

// AccountByUID finds an account by its exact uid (case-sensitive).
func (s *Store) AccountByUID(ctx context.Context, uid string) (*Account, error) {
	return scanAccount(s.r.QueryRowContext(ctx,
		"SELECT "+accountCols+" FROM t_account WHERE "+s.d.exactUID, s.d.uidArgList(uid)...))
}

// SetPassword replaces an account's password hash.
func (s *Store) SetPassword(ctx context.Context, uin int64, hash string) error {
	_, err := s.exec(ctx, "UPDATE t_account SET pwd = ? WHERE uin = ?", hash, uin)
	return err
}

// Login gives the account a new token and user sig; the previous token of
// the account stops working.
func (s *Store) Login(ctx context.Context, a *Account, token, userSig string, now int64) error {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	var old sql.NullString
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT token FROM t_account WHERE uin = ?", a.Uin).Scan(&old); err != nil {
			return fmt.Errorf("login: read old token: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			"UPDATE t_account SET token = ?, user_sig = ?, login_time = ?, last_request_time = ? WHERE uin = ?",
			token, userSig, now, now, a.Uin); err != nil {
			return fmt.Errorf("login: store token: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.sessGen.Add(1)
	if old.Valid {
		s.sessions.Delete(old.String)
	}
	return nil
}

// Logout clears a token and returns the uid that held it; ErrNotFound
// when no account holds it.
func (s *Store) Logout(ctx context.Context, token string, now int64) (string, error) {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	var uid string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT uid FROM t_account WHERE token = ?", token).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("logout: find token: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			"UPDATE t_account SET token = NULL, logout_time = ? WHERE token = ?", now, token); err != nil {
			return fmt.Errorf("logout: clear token: %w", err)
		}
		return nil
	})
	s.sessGen.Add(1)
	s.sessions.Delete(token)
	return uid, err
}

// SessionByToken finds the account holding token, from memory when it can.
func (s *Store) SessionByToken(ctx context.Context, token string) (*Session, error) {
	if v, ok := s.sessions.Load(token); ok {
		return v.(*Session), nil
	}
	// Read without a lock (on MySQL a round trip: ten thousand students
	// entering must not queue behind one another), cached only if no login
	// or logout committed meanwhile, so a replaced token is never cached.
	gen := s.sessGen.Load()
	se := &Session{Token: token}
	var last int64
	err := s.r.QueryRowContext(ctx,
		"SELECT "+accountCols+", last_request_time FROM t_account WHERE token = ?", token).
		Scan(&se.Uin, &se.UID, &se.AppID, &se.Role, &se.PwdHash, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	se.lastRequest.Store(last)
	se.flushed.Store(last)
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	if v, ok := s.sessions.Load(token); ok {
		return v.(*Session), nil
	}
	if s.sessGen.Load() == gen {
		s.sessions.Store(token, se)
	}
	return se, nil
}

// ExpireSession clears a token whose activity is too old.
func (s *Store) ExpireSession(ctx context.Context, se *Session, now int64) error {
	_, err := s.Logout(ctx, se.Token, now)
	if errors.Is(err, ErrNotFound) {
		return nil // logged out meanwhile
	}
	return err
}

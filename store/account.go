package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
// newest activity time, kept in memory and written behind. Its PwdHash is
// empty: sessions stay in memory for every token used lately, and only a
// login needs the hash (read with the account).
type Session struct {
	Account
	Token       string
	lastRequest atomic.Int64
	flushed     atomic.Int64
}

// LastRequest is the time of the token's newest request.
func (se *Session) LastRequest() int64 { return se.lastRequest.Load() }

const accountCols = "uin, uid, appid, role, pwd"

// sessionCols are a session's account columns (no hash: see Session).
const sessionCols = "uin, uid, appid, role"

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
	res, err := s.execUnlisted(ctx,
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
	_, err := s.execUnlisted(ctx, "UPDATE t_account SET pwd = ? WHERE uin = ?", hash, uin)
	return err
}

// Login gives the account a new token and user sig; the previous token of
// the account stops working.
func (s *Store) Login(ctx context.Context, a *Account, token, userSig string, now int64) error {
	s.sessMu.Lock()
	var old sql.NullString
	err := s.txUnlisted(ctx, func(tx *sql.Tx) error {
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
		s.sessMu.Unlock()
		return err
	}
	s.sessGen.Add(1)
	if old.Valid {
		s.sessions.Delete(old.String)
	}
	delete(s.sessUins, a.Uin)
	s.sessMu.Unlock()
	return s.publish(ctx, Change{Uins: []int64{a.Uin}})
}

// Logout clears a token and returns the uid that held it; ErrNotFound
// when no account holds it.
func (s *Store) Logout(ctx context.Context, token string, now int64) (string, error) {
	s.sessMu.Lock()
	var uid string
	var uin int64
	err := s.txUnlisted(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT uid, uin FROM t_account WHERE token = ?", token).Scan(&uid, &uin)
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
	if err == nil {
		delete(s.sessUins, uin)
	}
	s.sessMu.Unlock()
	if err != nil {
		return uid, err
	}
	return uid, s.publish(ctx, Change{Uins: []int64{uin}})
}

// SessionByToken finds the account holding token, from memory when it can.
func (s *Store) SessionByToken(ctx context.Context, token string) (*Session, error) {
	caching := s.caching()
	if se, ok := s.sessions.Load(token); ok && caching {
		return se, nil
	}
	// Read without a lock, together with the other first sights of the
	// moment (see sessionReads).
	b, err := s.readSessions(ctx, token)
	if err != nil {
		return nil, err
	}
	if se, ok := b.found[token]; ok {
		return se, nil
	}
	if !s.d.foldsText {
		return nil, ErrNotFound // the batch compared as the database does
	}
	// No row holds exactly this token; the database's comparison may still
	// match one (MySQL's is case-insensitive and ignores trailing spaces),
	// so ask it alone, as every lookup did before the batches.
	gen := s.sessGen.Load()
	se := &Session{}
	var last int64
	err = s.r.QueryRowContext(ctx,
		"SELECT "+sessionCols+", last_request_time FROM t_account WHERE token = ?", token).
		Scan(&se.Uin, &se.UID, &se.AppID, &se.Role, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	se.Token = token
	se.lastRequest.Store(last)
	se.flushed.Store(last)
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	return s.keepSession(se, gen), nil
}

// ExpireSession clears a token whose activity is too old.
func (s *Store) ExpireSession(ctx context.Context, se *Session, now int64) error {
	_, err := s.Logout(ctx, se.Token, now)
	if errors.Is(err, ErrNotFound) {
		return nil // logged out meanwhile
	}
	return err
}

// UserRow is an account as the console lists it.
type UserRow struct {
	Uin, AppID   int64
	UID          string
	Role         int
	LoginTime    int64
	LastRequest  int64
	SignedIn     bool
	Classes      int64 // classes it teaches
	RegisterTime int64
}

// Users lists accounts whose id contains q, by id, with the total.
func (s *Store) Users(ctx context.Context, q string, offset, limit int64) (int64, []UserRow, error) {
	// "!" escapes: a backslash means different things to the two engines.
	like := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(q) + "%"
	cond := " FROM t_account a WHERE a.uid LIKE ? ESCAPE '!'"
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*)"+cond, like).Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.uin, a.appid, a.uid, a.role, a.login_time, a.last_request_time,
		a.token IS NOT NULL, (SELECT COUNT(*) FROM t_course c WHERE c.host_uin = a.uin), a.register_time`+cond+
		" ORDER BY a.uid LIMIT ? OFFSET ?", like, limit, offset)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []UserRow
	for rows.Next() {
		var u UserRow
		if err := rows.Scan(&u.Uin, &u.AppID, &u.UID, &u.Role, &u.LoginTime, &u.LastRequest, &u.SignedIn,
			&u.Classes, &u.RegisterTime); err != nil {
			return 0, nil, err
		}
		out = append(out, u)
	}
	return total, out, rows.Err()
}

// SignOut ends an account's session everywhere (its token stops working
// on every server before it returns); false when it had none.
func (s *Store) SignOut(ctx context.Context, uin, now int64) (bool, error) {
	var tok sql.NullString
	if err := s.w.QueryRowContext(ctx, "SELECT token FROM t_account WHERE uin = ?", uin).Scan(&tok); err != nil {
		return false, err
	}
	if !tok.Valid || tok.String == "" {
		return false, nil
	}
	_, err := s.Logout(ctx, tok.String, now)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// UID is the id of account uin.
func (s *Store) UID(ctx context.Context, uin int64) (string, error) {
	var uid string
	err := s.r.QueryRowContext(ctx, "SELECT uid FROM t_account WHERE uin = ?", uin).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return uid, err
}

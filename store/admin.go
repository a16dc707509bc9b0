package store

import (
	"context"
	"database/sql"
	"errors"
)

// The operator console's accounts and their sessions.

// Admin is a console account.
type Admin struct {
	ID   int64
	Name string
	Pwd  string // bcrypt hash
}

// AdminCount counts the console accounts.
func (s *Store) AdminCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_admin").Scan(&n)
	return n, err
}

// CreateAdmin adds a console account; a taken name is ErrExists.
func (s *Store) CreateAdmin(ctx context.Context, name, hash string, now int64) error {
	_, err := s.execUnlisted(ctx, "INSERT INTO t_admin (name, pwd, created) VALUES (?, ?, ?)", name, hash, now)
	if s.d.unique(err) {
		return ErrExists
	}
	return err
}

// AdminByName finds a console account (ErrNotFound).
func (s *Store) AdminByName(ctx context.Context, name string) (*Admin, error) {
	var a Admin
	err := s.w.QueryRowContext(ctx, "SELECT id, name, pwd FROM t_admin WHERE name = ?", name).Scan(&a.ID, &a.Name, &a.Pwd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &a, err
}

// AdminSession is a console login.
type AdminSession struct {
	AdminID int64
	Name    string
	CSRF    string
	Expires int64
}

// CreateAdminSession stores a session by its token's hash.
func (s *Store) CreateAdminSession(ctx context.Context, tokenHash string, se AdminSession, now int64) error {
	_, err := s.execUnlisted(ctx, "INSERT INTO t_admin_session (token_hash, admin_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
		tokenHash, se.AdminID, se.CSRF, now, se.Expires)
	if err == nil {
		_, err = s.execUnlisted(ctx, "DELETE FROM t_admin_session WHERE expires < ?", now)
	}
	return err
}

// AdminSessionByHash finds a live session and slides its expiry to
// expires (ErrNotFound when missing or expired).
func (s *Store) AdminSessionByHash(ctx context.Context, tokenHash string, now, expires int64) (*AdminSession, error) {
	var se AdminSession
	err := s.w.QueryRowContext(ctx, `SELECT s.admin_id, a.name, s.csrf, s.expires FROM t_admin_session s
		JOIN t_admin a ON a.id = s.admin_id WHERE s.token_hash = ?`, tokenHash).Scan(&se.AdminID, &se.Name, &se.CSRF, &se.Expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && se.Expires <= now {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if expires-se.Expires > 60 { // written at most once a minute
		s.execUnlisted(ctx, "UPDATE t_admin_session SET expires = ? WHERE token_hash = ?", expires, tokenHash)
		se.Expires = expires
	}
	return &se, nil
}

// DeleteAdminSession ends a session.
func (s *Store) DeleteAdminSession(ctx context.Context, tokenHash string) error {
	_, err := s.execUnlisted(ctx, "DELETE FROM t_admin_session WHERE token_hash = ?", tokenHash)
	return err
}

// ExpireAdminSessions ends every session at now (tests and "sign out all").
func (s *Store) ExpireAdminSessions(ctx context.Context, now int64) error {
	_, err := s.execUnlisted(ctx, "UPDATE t_admin_session SET expires = ?", now)
	return err
}

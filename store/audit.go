package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The audit list: what operators did, each entry written in the same
// transaction as the action it records.

type auditKey struct{}

type pendingAudit struct {
	entry AuditEntry
	done  bool
}

// WithAudit returns a ctx whose first write records e in the same
// transaction: an action and its audit row are committed together or not
// at all. An action that writes nothing is not recorded.
func WithAudit(ctx context.Context, e AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, &pendingAudit{entry: e})
}

func auditOf(ctx context.Context) *pendingAudit {
	a, _ := ctx.Value(auditKey{}).(*pendingAudit)
	return a
}

// AuditEntry is one recorded console action.
type AuditEntry struct {
	ID                            int64
	At                            int64
	Admin, Action, Target, Detail string
}

// Audit records a console event that changes nothing else (a failed
// sign-in); an action's entry goes with its change (WithAudit).
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return s.txUnlisted(ctx, func(tx *sql.Tx) error { return insertAudit(ctx, tx, e) })
}

func insertAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO t_audit (at, admin, action, target, detail) VALUES (?, ?, ?, ?, ?)",
		e.At, e.Admin, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditList lists console actions, newest first, with the total.
func (s *Store) AuditList(ctx context.Context, offset, limit int64) (int64, []AuditEntry, error) {
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM t_audit").Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT id, at, admin, action, target, detail FROM t_audit ORDER BY id DESC LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Admin, &e.Action, &e.Target, &e.Detail); err != nil {
			return 0, nil, err
		}
		out = append(out, e)
	}
	return total, out, rows.Err()
}

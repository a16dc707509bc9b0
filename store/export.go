package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"sxb-edu/schema"
)

// exportTables are the original server's tables, in the order an export
// writes them.
var exportTables = []string{"t_account", "t_course", "t_class_member", "t_video_record", "t_bind_file"}

// exportWider are what the original's columns cannot hold of sxb-edu's
// data (recordings over 2 GB, long VOD ids and URLs); the PHP server
// reads the wider columns as before.
var exportWider = []string{
	"ALTER TABLE t_video_record MODIFY video_url TEXT NOT NULL",
	"ALTER TABLE t_video_record MODIFY video_id VARCHAR(255) NOT NULL DEFAULT ''",
	"ALTER TABLE t_video_record MODIFY file_size BIGINT NOT NULL DEFAULT 0",
}

// Export writes this store's 随心播 data into an empty MySQL database in
// the original PHP server's schema: the way back. The PHP server cannot
// check a bcrypt password, so an account that logged in here since the
// move has its password left empty; rehashed lists them (they need a new
// password). It returns the rows per table read back from the target.
func (s *Store) Export(ctx context.Context, toURL string, progress Progress) (counts map[string]int64, rehashed []string, err error) {
	dst, dbName, err := DialMySQL(toURL, false)
	if err != nil {
		return nil, nil, err
	}
	defer dst.Close()
	var n int
	if err := dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?", dbName).Scan(&n); err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	if n > 0 {
		return nil, nil, fmt.Errorf("export: the target database %s is not empty (%d tables); export into a new one", dbName, n)
	}
	ms, err := schema.Migrations("mysql")
	if err != nil || len(ms) == 0 || !strings.Contains(ms[0].Name, "reference") {
		return nil, nil, fmt.Errorf("export: the original schema is not embedded: %v", err)
	}
	for _, stmt := range append(ms[0].Statements(), exportWider...) {
		if _, err := dst.ExecContext(ctx, stmt); err != nil {
			return nil, nil, fmt.Errorf("export: create the schema: %w", err)
		}
	}
	for _, t := range exportTables {
		r, err := s.exportTable(ctx, dst, t, progress)
		if err != nil {
			return nil, nil, fmt.Errorf("export %s: %w", t, err)
		}
		rehashed = append(rehashed, r...)
	}
	counts = map[string]int64{}
	for _, t := range exportTables {
		var c int64
		if err := dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&c); err != nil {
			return nil, nil, err
		}
		counts[t] = c
	}
	return counts, rehashed, nil
}

func (s *Store) exportTable(ctx context.Context, dst *sql.DB, table string, progress Progress) (rehashed []string, err error) {
	cols := referenceColumns[table]
	var total int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&total); err != nil {
		return nil, err
	}
	order := exportOrder[table]
	if table == "t_class_member" {
		order = "m.room_id, " + s.d.memberOrder
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+table+" m ORDER BY "+order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pwd, uid := -1, -1
	for i, c := range cols {
		switch c {
		case "pwd":
			pwd = i
		case "uid":
			uid = i
		}
	}
	err = copyRows(ctx, rows, dst, table, cols, total, progress, func(vals []any, _ int64) error {
		if pwd >= 0 {
			if p, _ := vals[pwd].(string); strings.HasPrefix(p, "$2") {
				vals[pwd] = ""
				rehashed = append(rehashed, fmt.Sprint(vals[uid]))
			}
		}
		return nil
	})
	return rehashed, err
}

// exportOrder keeps ids in order (members: in their entry order).
var exportOrder = map[string]string{"t_account": "uin", "t_course": "room_id", "t_video_record": "id", "t_bind_file": "id"}

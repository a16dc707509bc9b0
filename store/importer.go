package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// importTables are the tables an import copies, in order (accounts first:
// courses take their appid from their teacher's account).
var importTables = []string{"t_account", "t_course", "t_class_member", "t_video_record", "t_bind_file", "t_setting"}

// importBatch is how many rows one transaction of an import writes.
const importBatch = 2000

// Progress is told how far an import is: rows of table copied so far of total.
type Progress func(table string, done, total int64)

// Import copies a MySQL database of the original server (or one sxb-edu
// migrated) into this store, which must be empty. The source is only
// read: it is not migrated, and the PHP server may keep running on it
// until the cutover. Numbers (uins, rooms, ids) are kept, and the store's
// numbering continues after the highest. It returns the rows per table,
// counted in this store after the copy.
func (s *Store) Import(ctx context.Context, fromURL string, progress Progress) (map[string]int64, error) {
	if s.d.shared {
		return nil, fmt.Errorf("import: the target must be a SQLite file (a MySQL database is served in place)")
	}
	for _, t := range importTables {
		var n int64
		if err := s.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("import: count %s: %w", t, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("import: the target database is not empty (%s has %d rows); import into a new file", t, n)
		}
	}
	src, dbName, err := DialMySQL(fromURL, false)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	cols, err := sourceColumns(ctx, src, dbName)
	if err != nil {
		return nil, err
	}
	for t, want := range referenceColumns {
		for _, col := range want {
			if !cols[t][col] {
				return nil, fmt.Errorf("import: %s is not the original server's schema: %s lacks %s", dbName, t, col)
			}
		}
	}
	appids := map[int64]int64{} // uin -> appid, for courses
	for _, t := range importTables {
		if cols[t] == nil { // t_setting exists only once sxb-edu ran on it
			continue
		}
		if err := s.importTable(ctx, src, t, cols[t], appids, progress); err != nil {
			return nil, fmt.Errorf("import %s: %w", t, err)
		}
	}
	counts := map[string]int64{}
	for _, t := range importTables {
		var n int64
		if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return nil, err
		}
		counts[t] = n
	}
	return counts, nil
}

func sourceColumns(ctx context.Context, src *sql.DB, dbName string) (map[string]map[string]bool, error) {
	rows, err := src.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = ?`, dbName)
	if err != nil {
		return nil, fmt.Errorf("import: read the source's schema: %w", err)
	}
	defer rows.Close()
	cols := map[string]map[string]bool{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		t, c = strings.ToLower(t), strings.ToLower(c)
		if cols[t] == nil {
			cols[t] = map[string]bool{}
		}
		cols[t][c] = true
	}
	return cols, rows.Err()
}

// importColumns are the columns copied per table (the target's names);
// t_course's appid and order_time are computed when the source lacks them.
var importColumns = map[string][]string{
	"t_account":      referenceColumns["t_account"],
	"t_course":       append(append([]string{}, referenceColumns["t_course"]...), "appid", "order_time"),
	"t_class_member": referenceColumns["t_class_member"],
	"t_video_record": referenceColumns["t_video_record"],
	"t_bind_file":    referenceColumns["t_bind_file"],
	"t_setting":      {"name", "value"},
}

// importOrder keeps the order that matters: members in order of first
// entry (the SQLite list order is insertion order).
var importOrder = map[string]string{
	"t_account": "uin", "t_course": "room_id", "t_video_record": "id", "t_bind_file": "id", "t_setting": "name",
}

func (s *Store) importTable(ctx context.Context, src *sql.DB, table string, have map[string]bool,
	appids map[int64]int64, progress Progress) error {
	var total int64
	if err := src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&total); err != nil {
		return err
	}
	want := importColumns[table]
	var sel []string
	for _, c := range want {
		if have[c] {
			sel = append(sel, c)
		} else {
			sel = append(sel, "NULL")
		}
	}
	order := importOrder[table]
	if table == "t_class_member" {
		order = "room_id, uin"
		if have["entered_at"] {
			order = "entered_at, room_id, uin"
		}
	}
	rows, err := src.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+table+" ORDER BY "+order)
	if err != nil {
		return err
	}
	defer rows.Close()
	return copyRows(ctx, rows, s.w, table, want, total, progress, func(vals []any, n int64) error {
		fill(table, want, vals, appids)
		if err := checkRow(table, want, vals); err != nil {
			return fmt.Errorf("row %d of the source: %w; fix it there, or leave it out, and import again", n, err)
		}
		return nil
	})
}

// Bounds of what an import takes: what the protocol itself would have
// let in (numbers are the original's INT columns; an id past them once
// made every later registration fail).
const maxNumber = 1<<31 - 1

// importLimits bound the strings of the imported rows, in bytes.
var importLimits = map[string]int{"uid": 50, "title": 128, "cover": 128, "file_name": 256, "url": 4096,
	"video_id": 255, "video_url": 4096, "replay_idx_url": 4096, "im_group_id": 64}

// positive are the number columns that name something and must be 1 or more.
var positive = map[string]map[string]bool{
	"t_account":      {"uin": true},
	"t_course":       {"room_id": true},
	"t_class_member": {"uin": true, "room_id": true},
	"t_video_record": {"uin": true},
	"t_bind_file":    {"uin": true},
}

// textColumns are the imported columns that hold text; the others hold
// numbers.
var textColumns = map[string]bool{"title": true, "cover": true, "im_group_id": true, "replay_idx_url": true,
	"video_id": true, "video_url": true, "file_name": true, "url": true, "value": true, "uid": true, "pwd": true,
	"name": true, "token": true, "user_sig": true}

// checkRow refuses a row the protocol could not have stored: numbers out
// of range, ids that are empty, too long, not UTF-8 or hold a NUL.
func checkRow(table string, cols []string, vals []any) error {
	for i, c := range cols {
		if vals[i] == nil {
			continue // token and user_sig may be NULL
		}
		if !textColumns[c] {
			var n int64
			var err error
			switch v := vals[i].(type) {
			case int64:
				n = v
			case string:
				n, err = strconv.ParseInt(v, 10, 64)
			default:
				err = fmt.Errorf("%T", v)
			}
			limit := int64(maxNumber)
			if c == "file_size" {
				limit = 1 << 50 // recordings of more than 2 GB are real
			}
			lo := int64(0)
			if positive[table][c] {
				lo = 1
			}
			if err != nil || n < lo || n > limit {
				return fmt.Errorf("%s.%s is %v, not a number in %d..%d", table, c, vals[i], lo, limit)
			}
			vals[i] = n
			continue
		}
		v, _ := vals[i].(string)
		if n, ok := importLimits[c]; ok && len(v) > n {
			return fmt.Errorf("%s.%s is %d bytes long, more than %d", table, c, len(v), n)
		}
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return fmt.Errorf("%s.%s %q is not text (a NUL or invalid UTF-8)", table, c, v)
		}
		if c == "uid" && v == "" {
			return fmt.Errorf("%s.uid is empty", table)
		}
	}
	return nil
}

// copyRows inserts every row of rows into table's cols of dst, in
// transactions of importBatch rows, after each (numbered from 1) passes
// through each; progress hears after every transaction.
func copyRows(ctx context.Context, rows *sql.Rows, dst *sql.DB, table string, cols []string, total int64,
	progress Progress, each func(vals []any, n int64) error) error {
	insert := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(cols)-1) + ")"
	var done int64
	var tx *sql.Tx
	var stmt *sql.Stmt
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	flush := func() error {
		if tx == nil {
			return nil
		}
		stmt.Close()
		err := tx.Commit()
		tx, stmt = nil, nil
		if progress != nil {
			progress(table, done, total)
		}
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if err := each(vals, done+1); err != nil {
			return err
		}
		var err error
		if tx == nil {
			if tx, err = dst.BeginTx(ctx, nil); err != nil {
				return err
			}
			if stmt, err = tx.PrepareContext(ctx, insert); err != nil {
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return fmt.Errorf("row %d: %w", done+1, err)
		}
		if done++; done%importBatch == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if progress != nil && total == 0 {
		progress(table, 0, 0)
	}
	return nil
}

// fill completes a row for the SQLite schema: NULLs of NOT NULL columns
// become their defaults, and a course without appid or order time gets
// its teacher's appid and its start (else creation) time.
func fill(table string, cols []string, vals []any, appids map[int64]int64) {
	idx := func(name string) int {
		for i, c := range cols {
			if c == name {
				return i
			}
		}
		return -1
	}
	num := func(v any) int64 {
		switch x := v.(type) {
		case int64:
			return x
		case string:
			var n int64
			fmt.Sscan(x, &n)
			return n
		}
		return 0
	}
	for i, c := range cols {
		if vals[i] != nil || (table == "t_account" && (c == "token" || c == "user_sig")) {
			continue
		}
		switch c {
		case "title", "cover", "im_group_id", "replay_idx_url", "video_id", "video_url", "file_name", "url", "value", "uid", "pwd", "name":
			vals[i] = ""
		default:
			vals[i] = int64(0)
		}
	}
	switch table {
	case "t_account":
		appids[num(vals[idx("uin")])] = num(vals[idx("appid")])
	case "t_course":
		if a := idx("appid"); num(vals[a]) == 0 {
			vals[a] = appids[num(vals[idx("host_uin")])]
		}
		if o := idx("order_time"); num(vals[o]) == 0 {
			if start := num(vals[idx("start_time")]); start > 0 {
				vals[o] = start
			} else {
				vals[o] = num(vals[idx("create_time")])
			}
		}
	}
}

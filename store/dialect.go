package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// dialect is everything that differs between the engines: their SQL,
// their errors, and whether several servers share the database.
// Everything else is written once, in the subset both speak; a third
// engine is one more dialect value.
type dialect struct {
	name string
	// shared: several servers may use the database at once (they then
	// lock rooms and places across servers and check tokens there).
	shared bool
	// foldsText: "=" on text ignores case and trailing spaces (MySQL's
	// collations), so a token may match a row that is not byte-equal.
	foldsText bool
	// insertIgnore begins an insert that skips a row whose key exists.
	insertIgnore string
	// forUpdate ends a select whose rows the transaction locks ("" where
	// a transaction holds the whole database, as SQLite's writer does).
	forUpdate string
	// enterSeq: the enter statement takes the entry order as an argument.
	enterSeq bool
	// uidArgs are how many times exactUID takes the uid.
	uidArgs int
	// unique recognises a duplicate-key error; retryable a transaction
	// that wrote nothing and may succeed if run again (a deadlock victim).
	unique, retryable func(error) bool
	// size is the database's size on disk.
	size func(ctx context.Context, s *Store) (int64, error)
	// enter makes (uin, room) a present member with a heartbeat, when the
	// room is living; args uin, now, (MySQL: the entry order,) room.
	enter string
	// exactUID finds an account by its exact uid through an index.
	exactUID string
	// memberOrder orders member rows by first entry; memberSeq is the
	// column that orders them across servers (0 where one server writes).
	memberOrder, memberSeq string
	// flush builds the statement and arguments that write one chunk of
	// write-behind rows (see heartbeat.go); kind is members, rooms or tokens.
	flush func(kind flushKind, rows [][3]any) (string, []any)
	// flushChunk is the most rows one statement of a flush writes. Each
	// is its own short transaction, so the enters and exits waiting for
	// the writer get it between chunks instead of after the whole flush
	// (hundreds of milliseconds for a school of 10,000 as one transaction
	// of single-row updates). SQLite writes each page a chunk touched once
	// a chunk: a school's member rows fill a few hundred pages, which
	// chunks of 500 random rows wrote ten times a second (BENCHMARKS.md).
	flushChunk int
	// scanTx are the options of a transaction that scans many rows to
	// change few (nil: the default); stmtBinlog recognises a server that
	// refuses them (statement-based binary logging).
	scanTx     *sql.TxOptions
	stmtBinlog func(error) bool
}

// uidArgList are the arguments of exactUID for uid.
func (d dialect) uidArgList(uid string) []any {
	args := make([]any, d.uidArgs)
	for i := range args {
		args[i] = uid
	}
	return args
}

type flushKind int

const (
	flushMembers flushKind = iota
	flushRooms
	flushTokens
)

var sqliteDialect = dialect{
	name:         "sqlite",
	insertIgnore: "INSERT OR IGNORE",
	uidArgs:      1,
	flushChunk:   2000,
	unique: func(err error) bool {
		var se sqlite3.Error
		return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
	},
	retryable: func(error) bool { return false },
	size:      sqliteSize,
	enter: `INSERT INTO t_class_member (uin, room_id, has_exited, last_heartbeat_time)
		 SELECT ?, room_id, 0, ? FROM t_course WHERE room_id = ? AND state = 1
		 ON CONFLICT (uin, room_id) DO UPDATE SET has_exited = 0,
		 last_heartbeat_time = MAX(last_heartbeat_time, excluded.last_heartbeat_time)`,
	exactUID:    "uid = ? COLLATE BINARY",
	memberOrder: "m.rowid",
	memberSeq:   "0",
	flush:       sqliteFlush,
}

// sqliteSize adds the database file and its WAL.
func sqliteSize(ctx context.Context, s *Store) (int64, error) {
	var file string
	if err := s.r.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return 0, err
	}
	var total int64
	for _, p := range []string{file, file + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	return total, nil
}

// The SQLite flush statements take their rows as one JSON array and update
// by primary key (or the token index) from json_each: one statement per
// chunk instead of one per row.
var sqliteFlushSQL = [...]string{
	flushMembers: `UPDATE t_class_member AS m SET last_heartbeat_time = v.t
		FROM (SELECT value->>0 AS room, value->>1 AS uin, value->>2 AS t FROM json_each(?)) AS v
		WHERE m.uin = v.uin AND m.room_id = v.room AND m.last_heartbeat_time < v.t`,
	flushRooms: `UPDATE t_course AS c SET last_update_time = v.t
		FROM (SELECT value->>0 AS room, value->>1 AS t FROM json_each(?)) AS v
		WHERE c.room_id = v.room AND c.last_update_time < v.t`,
	flushTokens: `UPDATE t_account AS a SET last_request_time = v.t
		FROM (SELECT value->>0 AS uin, value->>1 AS token, value->>2 AS t FROM json_each(?)) AS v
		WHERE a.uin = v.uin AND a.token = v.token AND a.last_request_time < v.t`,
}

// sqliteFlush passes a chunk as a JSON array of arrays (int64 and string
// values; nil ends a row).
func sqliteFlush(kind flushKind, rows [][3]any) (string, []any) {
	buf := make([]byte, 0, 64*len(rows))
	buf = append(buf, '[')
	for i, r := range rows {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '[')
		for j, v := range r {
			if v == nil {
				break
			}
			if j > 0 {
				buf = append(buf, ',')
			}
			switch x := v.(type) {
			case int64:
				buf = strconv.AppendInt(buf, x, 10)
			case string:
				q, _ := json.Marshal(x)
				buf = append(buf, q...)
			}
		}
		buf = append(buf, ']')
	}
	buf = append(buf, ']')
	return sqliteFlushSQL[kind], []any{string(buf)}
}

var mysqlDialect = dialect{
	name:         "mysql",
	shared:       true,
	foldsText:    true,
	insertIgnore: "INSERT IGNORE",
	forUpdate:    " FOR UPDATE",
	enterSeq:     true,
	flushChunk:   500,
	uidArgs:      2,
	unique: func(err error) bool {
		var me *mysql.MySQLError
		return errors.As(err, &me) && me.Number == 1062 // ER_DUP_ENTRY
	},
	// A deadlock's victim (1213) or a lock wait timeout (1205) wrote
	// nothing.
	retryable: func(err error) bool {
		var me *mysql.MySQLError
		return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
	},
	size: func(ctx context.Context, s *Store) (int64, error) {
		var n sql.NullInt64
		err := s.r.QueryRowContext(ctx, `SELECT SUM(data_length + index_length) FROM information_schema.tables
			WHERE table_schema = DATABASE()`).Scan(&n)
		return n.Int64, err
	},
	// entered_at is set once, at the first entry: the list order.
	enter: `INSERT INTO t_class_member (uin, room_id, has_exited, last_heartbeat_time, entered_at)
		 SELECT ?, room_id, 0, ?, ? FROM t_course WHERE room_id = ? AND state = 1
		 ON DUPLICATE KEY UPDATE has_exited = 0,
		 last_heartbeat_time = GREATEST(t_class_member.last_heartbeat_time, VALUES(last_heartbeat_time))`,
	// The unique index is case-insensitive and pads with spaces; it finds
	// the candidates, the byte comparison keeps the exact one (utf8mb4_bin
	// pads too: 'erin ' would be 'erin').
	exactUID:    "uid = ? AND CAST(uid AS BINARY) = CAST(? AS BINARY)",
	memberOrder: "m.entered_at, m.uin",
	memberSeq:   "m.entered_at",
	flush:       mysqlFlush,
	scanTx:      &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	stmtBinlog: func(err error) bool {
		var me *mysql.MySQLError
		return errors.As(err, &me) && me.Number == 1665 // ER_BINLOG_STMT_MODE_AND_ROW_ENGINE
	},
}

// mysqlFlush joins the rows as a derived table of UNION ALL selects: one
// statement per chunk, in the MySQL subset TiDB speaks too.
func mysqlFlush(kind flushKind, rows [][3]any) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 3*len(rows))
	width := 3
	if kind == flushRooms {
		width = 2
	}
	for i, r := range rows {
		if i == 0 {
			switch kind {
			case flushMembers:
				b.WriteString("SELECT ? AS room, ? AS uin, ? AS t")
			case flushRooms:
				b.WriteString("SELECT ? AS room, ? AS t")
			case flushTokens:
				b.WriteString("SELECT ? AS uin, ? AS token, ? AS t")
			}
		} else {
			b.WriteString(" UNION ALL SELECT ?" + strings.Repeat(", ?", width-1))
		}
		args = append(args, r[:width]...)
	}
	switch kind {
	case flushMembers:
		return `UPDATE t_class_member m JOIN (` + b.String() + `) v ON m.uin = v.uin AND m.room_id = v.room
			SET m.last_heartbeat_time = v.t WHERE m.last_heartbeat_time < v.t`, args
	case flushRooms:
		return `UPDATE t_course c JOIN (` + b.String() + `) v ON c.room_id = v.room
			SET c.last_update_time = v.t WHERE c.last_update_time < v.t`, args
	default:
		return `UPDATE t_account a JOIN (` + b.String() + `) v ON a.uin = v.uin AND a.token = v.token
			SET a.last_request_time = v.t WHERE a.last_request_time < v.t`, args
	}
}

package store

import (
	"encoding/json"
	"strconv"
	"strings"
)

// dialect is what differs between the engines' SQL. Everything else is
// written once, in the subset both speak.
type dialect struct {
	name string
	// enter makes (uin, room) a present member with a heartbeat, when the
	// room is living; args uin, now, (MySQL: the entry order,) room.
	enter string
	// exactUID finds an account by its exact uid through an index.
	exactUID string
	// memberOrder orders member rows by first entry.
	memberOrder string
	addSetting  string // insert unless the name is there
	// flush builds the statement and arguments that write one chunk of
	// write-behind rows (see heartbeat.go); kind is members, rooms or tokens.
	flush func(kind flushKind, rows [][3]any) (string, []any)
}

type flushKind int

const (
	flushMembers flushKind = iota
	flushRooms
	flushTokens
)

var sqliteDialect = dialect{
	name: "sqlite",
	enter: `INSERT INTO t_class_member (uin, room_id, has_exited, last_heartbeat_time)
		 SELECT ?, room_id, 0, ? FROM t_course WHERE room_id = ? AND state = 1
		 ON CONFLICT (uin, room_id) DO UPDATE SET has_exited = 0,
		 last_heartbeat_time = MAX(last_heartbeat_time, excluded.last_heartbeat_time)`,
	exactUID:    "uid = ? COLLATE BINARY",
	memberOrder: "m.rowid",
	addSetting:  "INSERT OR IGNORE INTO t_setting (name, value) VALUES (?, ?)",
	flush:       sqliteFlush,
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
		FROM (SELECT value->>0 AS token, value->>1 AS t FROM json_each(?)) AS v
		WHERE a.token = v.token AND a.last_request_time < v.t`,
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
	name: "mysql",
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
	addSetting:  "INSERT IGNORE INTO t_setting (name, value) VALUES (?, ?)",
	flush:       mysqlFlush,
}

// mysqlFlush joins the rows as a derived table of UNION ALL selects: one
// statement per chunk, in the MySQL subset TiDB speaks too.
func mysqlFlush(kind flushKind, rows [][3]any) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 3*len(rows))
	width := 2
	if kind == flushMembers {
		width = 3
	}
	for i, r := range rows {
		if i == 0 {
			switch kind {
			case flushMembers:
				b.WriteString("SELECT ? AS room, ? AS uin, ? AS t")
			case flushRooms:
				b.WriteString("SELECT ? AS room, ? AS t")
			case flushTokens:
				b.WriteString("SELECT ? AS token, ? AS t")
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
		return `UPDATE t_account a JOIN (` + b.String() + `) v ON a.token = v.token
			SET a.last_request_time = v.t WHERE a.last_request_time < v.t`, args
	}
}

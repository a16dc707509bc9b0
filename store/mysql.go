package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"sxb-edu/schema"
)

// IsMySQL reports whether a -db value names a MySQL database.
func IsMySQL(db string) bool { return strings.HasPrefix(db, "mysql://") }

// MySQLConfig turns mysql://user:password@host:port/dbname into the
// driver's configuration.
func MySQLConfig(dbURL string) (*mysql.Config, error) {
	u, err := url.Parse(dbURL)
	if err != nil || u.Scheme != "mysql" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, fmt.Errorf("database %q: want mysql://user:password@host:port/dbname", Redact(dbURL))
	}
	c := mysql.NewConfig()
	c.Net = "tcp"
	c.Addr = u.Host
	if u.Port() == "" {
		c.Addr = u.Host + ":3306"
	}
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.DBName = strings.Trim(u.Path, "/")
	// One round trip per query: arguments are escaped by the driver.
	c.InterpolateParams = true
	// RowsAffected counts the rows a WHERE matched, as SQLite does (not only
	// those whose values changed): a repeated exit still finds its row.
	c.ClientFoundRows = true
	c.Collation = "utf8mb4_unicode_ci"
	c.Timeout = 5 * time.Second
	return c, nil
}

// Redact hides the password of a database URL (for logs and errors).
func Redact(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		return db
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// DialMySQL opens a connection pool to the MySQL server of a mysql://
// URL, as it is: nothing is migrated. serverOnly connects without
// selecting the database (to create or drop it). It returns the database's
// name too.
func DialMySQL(dbURL string, serverOnly bool) (*sql.DB, string, error) {
	c, err := MySQLConfig(dbURL)
	if err != nil {
		return nil, "", err
	}
	name := c.DBName
	if serverOnly {
		c.DBName = ""
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, "", err
	}
	return sql.OpenDB(conn), name, nil
}

// lockConns bounds the rooms whose state changes run at once on one
// server (each holds a named lock's connection); the rest wait for one.
const lockConns = 16

func openMySQL(dbURL string, o Options) (*Store, error) {
	db, dbName, err := DialMySQL(dbURL, false)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxLifetime(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", Redact(dbURL), err)
	}
	s := &Store{w: db, r: db, d: mysqlDialect, dbName: dbName}
	if c, err := MySQLConfig(dbURL); err == nil {
		s.dial, _ = mysql.NewConnector(c)
	}
	// Servers started together on one database migrate one at a time:
	// the others wait and find it done.
	unlock, err := s.namedLock(ctx, "migrate", 60)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", Redact(dbURL), err)
	}
	err = s.migrateMySQL(ctx, dbName, cmp.Or(o.Log, slog.Default()))
	unlock()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", Redact(dbURL), err)
	}
	// The leases have connections of their own: a pool busy with a storm
	// must not delay a renewal until the lease lapses (the server would
	// then read through, adding to the storm).
	if s.lease, _, err = DialMySQL(dbURL, false); err != nil {
		db.Close()
		return nil, err
	}
	s.lease.SetMaxOpenConns(2)
	s.lease.SetMaxIdleConns(2)
	if s.locks, _, err = DialMySQL(dbURL, false); err != nil {
		db.Close()
		s.lease.Close()
		return nil, err
	}
	s.locks.SetMaxOpenConns(lockConns)
	s.locks.SetMaxIdleConns(lockConns)
	s.live.init()
	s.members.init()
	return s, nil
}

// referenceColumns are the original server's tables and columns: a
// database holding any of these tables must hold them all, with at least
// these columns, before it is migrated in place.
var referenceColumns = map[string][]string{
	"t_account": {"uin", "uid", "appid", "role", "pwd", "token", "user_sig", "register_time", "login_time",
		"logout_time", "last_request_time"},
	"t_course": {"room_id", "create_time", "start_time", "start_imseq", "end_time", "end_imseq", "last_rec_imseq",
		"last_update_time", "can_trigger_replay_idx_time", "trigger_replay_idx_time", "trigger_replay_idx_result",
		"title", "cover", "host_uin", "state", "im_group_id", "replay_idx_created_time", "replay_idx_created_result",
		"replay_idx_url"},
	"t_class_member": {"uin", "room_id", "has_exited", "last_heartbeat_time"},
	"t_video_record": {"id", "uin", "room_id", "video_id", "video_url", "start_time", "end_time", "media_start_time",
		"file_size", "duration"},
	"t_bind_file": {"id", "uin", "room_id", "bind_time", "type", "file_name", "url"},
}

// migrateMySQL brings the database to the newest schema: an empty one
// gets every table, the original server's is kept and extended. The
// version is kept in t_sxb_schema.
func (s *Store) migrateMySQL(ctx context.Context, dbName string, log *slog.Logger) error {
	version, err := s.mysqlVersion(ctx, dbName)
	if err != nil {
		return err
	}
	ms, err := schema.Migrations("mysql")
	if err != nil {
		return err
	}
	if err := guard(version, ms); err != nil {
		return err
	}
	if version == 0 {
		php, err := s.recognise(ctx, dbName)
		if err != nil {
			return err
		}
		if php {
			log.Warn("recognised the PHP server's schema (sxb_edu_db.sql): migrating it in place; no row is dropped or rewritten",
				"adds", "t_account.pwd VARCHAR(255); t_course.appid, t_course.order_time (filled); t_class_member.entered_at; "+
					"t_video_record.video_url TEXT, video_id VARCHAR(255), file_size BIGINT, utf8mb4; t_bind_file utf8mb4; "+
					"indexes idx_course_list, idx_course_state, idx_member_room, idx_record_room, idx_bind_room; "+
					"tables t_setting, t_sxb_schema, t_edu_room, t_edu_member, t_admin, t_admin_session, t_audit, t_removed_member, t_server, "+
					"t_live_room, t_aui_class*, t_api_key, t_lcic_*")
		} else {
			log.Info("empty MySQL database: creating the schema", "db", dbName)
		}
		if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS t_sxb_schema (
			id INT NOT NULL PRIMARY KEY, version INT NOT NULL) ENGINE=InnoDB`); err != nil {
			return err
		}
		if _, err := s.w.ExecContext(ctx, "INSERT IGNORE INTO t_sxb_schema (id, version) VALUES (1, 0)"); err != nil {
			return err
		}
	}
	for _, m := range ms {
		if m.Version <= version {
			continue
		}
		// MySQL commits each DDL statement by itself: a migration that
		// stopped half way is run again, and what already took effect is
		// recognised by its error and skipped.
		for _, stmt := range m.Statements() {
			if _, err := s.w.ExecContext(ctx, stmt); err != nil && !alreadyDone(err) {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		if _, err := s.w.ExecContext(ctx, "UPDATE t_sxb_schema SET version = ? WHERE id = 1", m.Version); err != nil {
			return err
		}
	}
	return nil
}

// alreadyDone recognises a DDL statement that took effect before: a
// duplicate column, key or table.
func alreadyDone(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1050, 1060, 1061: // table exists, duplicate column, duplicate key name
		return true
	}
	return false
}

func (s *Store) mysqlVersion(ctx context.Context, dbName string) (int, error) {
	var n int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = ? AND table_name = 't_sxb_schema'`, dbName).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	err := s.w.QueryRowContext(ctx, "SELECT version FROM t_sxb_schema WHERE id = 1").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// recognise checks a database sxb-edu never migrated: either none of the
// original's tables is there (an empty database), or all are, each with
// the original's columns (php is true). Anything else is refused, naming
// every difference.
func (s *Store) recognise(ctx context.Context, dbName string) (php bool, err error) {
	rows, err := s.w.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = ?`, dbName)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	have := map[string]map[string]bool{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return false, err
		}
		t, c = strings.ToLower(t), strings.ToLower(c)
		if have[t] == nil {
			have[t] = map[string]bool{}
		}
		have[t][c] = true
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	present := 0
	for t := range referenceColumns {
		if have[t] != nil {
			present++
		}
	}
	if present == 0 {
		return false, nil
	}
	var problems []string
	for t, cols := range referenceColumns {
		if have[t] == nil {
			problems = append(problems, "no table "+t)
			continue
		}
		for _, c := range cols {
			if !have[t][c] {
				problems = append(problems, t+" lacks column "+c)
			}
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return false, fmt.Errorf("database %s is not the original server's schema (sxb_edu_db.sql) nor empty: %s; refusing to change it",
			dbName, strings.Join(problems, ", "))
	}
	return true, nil
}

// seconds

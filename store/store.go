// Package store owns the database, SQLite or MySQL: the schema, every
// query (engine differences in dialect.go), the caches, and the in-memory
// liveness data (heartbeats, token activity) flushed in batches. Files go
// by what they store: accounts, rooms, members, bindings, GO课堂 rooms,
// admins, the audit list; and by cache: members, room states, room lists.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"sxb-edu/schema"
)

// Errors callers act on.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	ErrConflict = errors.New("store: state changed")
	ErrFull     = errors.New("store: limit reached")
)

// Store is the database and the caches in front of it.
type Store struct {
	w      *sql.DB // SQLite: the one writer connection; MySQL: the pool
	r      *sql.DB // SQLite: readers (WAL lets them run beside the writer); MySQL: the pool
	d      dialect
	dbName string // MySQL: the database (names its server-wide locks)

	sessMu    sync.Mutex   // held by login and logout, and to cache a session
	sessGen   atomic.Int64 // counts logins and logouts (see SessionByToken)
	sessions  sessionMap   // token -> *Session
	sessReads sessionReads // first sights of tokens, read together

	memberReadHook func()           // tests: runs after a member list was read
	enterBatchHook func(n int)      // tests: runs after a batch of n enters
	sessUins       map[int64]string // under sessMu: uin -> its cached token (other servers name accounts, not tokens)
	owners         ownerCache       // room id -> Owner (changes only when a scheduled class is given another teacher)

	live       liveness
	lists      roomLists
	members    memberCache
	enters     enterBatch                   // SQLite: enters committed together
	memberGen  atomic.Int64                 // moves when every room's members change (see memberCache)
	memberGens [memberGenSlots]atomic.Int64 // moves with a room's member writes (see roomGen)
	states     roomStates
	ckpt       checkpointer
	watch      *watch           // SQLite: the database file's identity (see watch.go)
	dial       driver.Connector // MySQL: a new connection, for Ping

	publisher  Publisher    // MySQL: tells the other servers of writes (see peer.go)
	lease      *sql.DB      // MySQL: the leases' own connections
	locks      *sql.DB      // MySQL: the named locks' own connections (see namedLock)
	noScanTx   atomic.Bool  // MySQL: the server refused txScan's isolation (see txScan)
	epoch      time.Time    // cacheUntil counts from it (monotonic)
	cacheUntil atomic.Int64 // MySQL: the caches may be used until epoch+this
}

// Options are the store's settings.
type Options struct {
	// BusyTimeout is how long a write waits for a locked database before
	// it fails (0: DefaultBusyTimeout).
	BusyTimeout time.Duration `json:"busy_timeout_ms" unit:"ms"`
	// Log hears what the store does on its own: a new database file made,
	// the database file lost (nil: slog.Default()).
	Log *slog.Logger `json:"-"`
}

// DefaultBusyTimeout is the busy timeout when Options names none.
const DefaultBusyTimeout = 5 * time.Second

// stmtCacheSize is how many compiled statements each SQLite connection
// keeps, the least recently used dropped first: more than the texts a
// classroom's requests run.
const stmtCacheSize = 64

// writerCacheKiB is the writer connection's page cache. Heartbeat, token
// and enter writes touch pages all over a school's tables; with SQLite's
// default 2 MiB the writer read most of them back from the file at every
// touch (BENCHMARKS.md). The readers keep the default: each commit empties
// their caches anyway.
const writerCacheKiB = 32 << 10

// Open opens a database and applies the embedded migrations: a MySQL (or
// MariaDB, TiDB) database named by a mysql://user:password@host:port/dbname
// URL, else the SQLite file at path (created if needed).
func Open(path string, o Options) (*Store, error) {
	open := openSQLite
	if IsMySQL(path) {
		open = openMySQL
	}
	s, err := open(path, o)
	if err == nil {
		s.epoch = time.Now()
	}
	return s, err
}

func openSQLite(path string, o Options) (*Store, error) {
	busy := cmp.Or(o.BusyTimeout, DefaultBusyTimeout)
	log := cmp.Or(o.Log, slog.Default())
	// A new database is readable by its owner only; SQLite gives the WAL
	// and shared-memory files the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		// Said loudly: a start on a path whose database was deleted or
		// mistyped makes an empty one, and the operator must know.
		abs, _ := filepath.Abs(path)
		log.Warn("no database file at the path given: created a new, empty database", "db", abs)
		if _, serr := os.Stat(path + "-wal"); serr == nil {
			log.Error("a WAL file of an earlier database lies beside the new one: was the database file deleted? "+
				"Stop the server and restore it", "wal", abs+"-wal")
		}
	} else if errors.Is(err, os.ErrExist) {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	// NORMAL in WAL mode: a committed transaction survives a crash of the
	// process (the WAL is in the OS); only a power loss may drop the last ones.
	q.Set("_synchronous", "NORMAL")
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	q.Set("_txlock", "immediate")
	// Each connection keeps its statements compiled: the store's queries
	// are fixed texts, and compiling them on every call was most of
	// SQLite's CPU in a school's entry (BENCHMARKS.md).
	q.Set("_stmt_cache_size", strconv.Itoa(stmtCacheSize))
	q.Set("_cache_size", strconv.Itoa(-writerCacheKiB))
	dsn := "file:" + path + "?" + q.Encode()
	q.Del("_cache_size")
	w, err := sql.Open(sqliteDriverName, dsn)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{w: w, d: sqliteDialect}
	// The writer never checkpoints; s.ckpt does (see checkpoint.go).
	for _, p := range []string{"PRAGMA wal_autocheckpoint = 0",
		"PRAGMA journal_size_limit = " + strconv.Itoa(walSizeLimit)} {
		if _, err := w.Exec(p); err != nil {
			w.Close()
			return nil, err
		}
	}
	if err := s.migrate(); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	q.Set("_query_only", "1")
	q.Del("_txlock")
	r, err := sql.Open(sqliteDriverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s.r = r
	if err := s.startWatch(path, log); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	// A TRUNCATE checkpoint holds new writers while it waits for readers:
	// it waits briefly (250 ms) and tries again on the next tick, so
	// writers never wait on it near their own busy timeout.
	q.Del("_query_only")
	q.Del("_stmt_cache_size")
	q.Set("_busy_timeout", strconv.Itoa(int(checkpointBusy.Milliseconds())))
	s.ckpt.hold = func(ctx context.Context) (func(), error) {
		c, err := s.w.Conn(ctx)
		if err != nil {
			return nil, err
		}
		return func() { c.Close() }, nil
	}
	if err := s.ckpt.start("file:"+path+"?"+q.Encode(), path+"-wal"); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	s.live.init()
	s.members.init()
	return s, nil
}

// startWatch records the database file's identity; the checkpointer's
// tick checks it (see watch.go).
func (s *Store) startWatch(path string, log *slog.Logger) error {
	id, err := identify(path)
	if err != nil {
		return err
	}
	s.watch = &watch{path: path, id: id}
	s.ckpt.tick = func() {
		if err, now := s.watch.check(); now {
			log.Error("DATABASE FILE LOST: every write is refused from now on", "err", err)
		}
	}
	return nil
}

// Close flushes liveness data and closes the database.
func (s *Store) Close() error {
	ferr := s.flush(context.Background(), 0)
	if s.Lost() != nil {
		ferr = nil // nothing could be written; the loss was logged when found
	}
	cerr := s.ckpt.close()
	rerr := s.r.Close()
	if s.lease != nil {
		s.lease.Close()
	}
	if s.locks != nil {
		s.locks.Close()
	}
	werr := s.w.Close()
	return errors.Join(ferr, cerr, rerr, werr)
}

// Ping checks that the database answers and is writable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.Lost(); err != nil {
		return err
	}
	if s.dial != nil {
		// The pool's idle connections may work while no new one can be
		// made (the server's connection limit reached): that database
		// cannot serve a load, and the health check says so.
		c, err := s.dial.Connect(ctx)
		if err != nil {
			return fmt.Errorf("a new database connection: %w", err)
		}
		c.Close()
	}
	_, err := s.w.ExecContext(ctx, "UPDATE t_setting SET value = value WHERE name = ''")
	return err
}

func (s *Store) migrate() error {
	var version int
	if err := s.w.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	ms, err := schema.Migrations("sqlite")
	if err != nil {
		return err
	}
	if err := guard(version, ms); err != nil {
		return err
	}
	for _, m := range ms {
		if m.Version <= version {
			continue
		}
		tx, err := s.w.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(m.SQL); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// guard refuses a database migrated by a newer binary: its schema may
// mean things this binary does not know.
func guard(version int, ms []schema.Migration) error {
	if len(ms) > 0 && version > ms[len(ms)-1].Version {
		return fmt.Errorf("the database has schema version %d, newer than this binary knows (%d): "+
			"it was migrated by a newer sxb-edu; run that one, or restore a backup made before the upgrade",
			version, ms[len(ms)-1].Version)
	}
	return nil
}

// txChange runs fn in one write transaction that changes c: every
// server's caches learn of it before it returns (this server's here, the
// others' through publish). On MySQL a transaction chosen as a deadlock's
// victim is run again (a few times): concurrent writers on one room (an
// end beside leaves) can meet that way.
func (s *Store) txChange(ctx context.Context, c Change, fn func(*sql.Tx) error) error {
	err := s.txUnlisted(ctx, fn)
	s.Forget(ctx, c) // even on failure: a failed commit may have committed
	if err != nil {
		return err
	}
	return s.publish(ctx, c)
}

// txUnlisted is tx for writes that change nothing a room list shows
// (members, GO课堂 rooms): cached room lists stay.
func (s *Store) txUnlisted(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.txWith(ctx, nil, fn)
}

// txScan is txUnlisted for a transaction that scans many rows to change
// a few (the reaper): on MySQL it reads committed rows, so the rows it
// passes over are not locked while it runs (under the default isolation
// every enter, leave and heartbeat flush would wait for the scan).
func (s *Store) txScan(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.d.scanTx == nil || s.noScanTx.Load() {
		return s.txUnlisted(ctx, fn)
	}
	err := s.txWith(ctx, s.d.scanTx, fn)
	if s.d.stmtBinlog(err) {
		// A server logging statements refuses writes read committed:
		// the reaper then runs as everything else does.
		s.noScanTx.Store(true)
		return s.txUnlisted(ctx, fn)
	}
	return err
}

func (s *Store) txWith(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.txOnce(ctx, opts, fn)
		if attempt < txAttempts && s.d.retryable(err) {
			continue
		}
		return err
	}
}

// txAttempts bounds the runs of a transaction that keeps losing deadlocks.
const txAttempts = 3

func (s *Store) txOnce(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	if err := s.Lost(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	a := auditOf(ctx)
	if a != nil && !a.done {
		if err := insertAudit(ctx, tx, a.entry); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if a != nil {
		a.done = true
	}
	return nil
}

// execUnlisted is exec for a write that changes nothing a room list
// shows (who is present: list counts come from the member cache).
func (s *Store) execUnlisted(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := s.Lost(); err != nil {
		return nil, err
	}
	if a := auditOf(ctx); a != nil && !a.done {
		// The audit row goes in the same transaction.
		var res sql.Result
		err := s.txUnlisted(ctx, func(tx *sql.Tx) (err error) {
			res, err = tx.ExecContext(ctx, query, args...)
			return err
		})
		return res, err
	}
	for attempt := 1; ; attempt++ {
		res, err := s.w.ExecContext(ctx, query, args...)
		if attempt < txAttempts && s.d.retryable(err) {
			continue
		}
		return res, err
	}
}

// exec runs one write statement that may change what a room list shows.
// Writes go through exec, execChange or txChange, so that every server's
// caches learn of them (see peer.go); the heartbeat flush does not: it
// changes nothing a cache holds.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.execChange(ctx, Change{Lists: true}, query, args...)
}

// execChange is exec for a write that changes c (see txChange).
func (s *Store) execChange(ctx context.Context, c Change, query string, args ...any) (sql.Result, error) {
	res, err := s.execUnlisted(ctx, query, args...)
	s.Forget(ctx, c)
	if err != nil {
		return nil, err
	}
	return res, s.publish(ctx, c)
}

// Setting reads a stored server setting.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.w.QueryRowContext(ctx, "SELECT value FROM t_setting WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v, err
}

// AddSetting stores a setting unless it is there already, and returns the
// stored value: several servers starting at once agree on one.
func (s *Store) AddSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := s.execUnlisted(ctx, s.d.insertIgnore+" INTO t_setting (name, value) VALUES (?, ?)", name, value); err != nil {
		return "", err
	}
	return s.Setting(ctx, name)
}

// TakeSetting removes a setting if it still holds value, and says whether
// this call removed it: of several takers at once, one wins.
func (s *Store) TakeSetting(ctx context.Context, name, value string) (bool, error) {
	res, err := s.execUnlisted(ctx, "DELETE FROM t_setting WHERE name = ? AND value = ?", name, value)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeleteSetting removes a stored server setting.
func (s *Store) DeleteSetting(ctx context.Context, name string) error {
	_, err := s.execUnlisted(ctx, "DELETE FROM t_setting WHERE name = ?", name)
	return err
}

// Size is the database's size on disk, in bytes.
func (s *Store) Size(ctx context.Context) (int64, error) { return s.d.size(ctx, s) }

// SeveralServers reports whether several servers may use the database
// at once (MySQL).
func (s *Store) SeveralServers() bool { return s.d.shared }

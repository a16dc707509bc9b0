package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// phpPwd is what the original server stored for a password: the first
// line of `echo $pwd | base64`.
func phpPwd(pwd string) string {
	s := base64.StdEncoding.EncodeToString([]byte(pwd + "\n"))
	if len(s) > 76 {
		s = s[:76]
	}
	return s
}

// legacyDatabase makes a MySQL database as the original PHP server left
// it: its schema, accounts with base64 passwords and PHP tokens (one in
// use, one expired), courses in every state, members, bindings and
// recordings. It returns the database's URL.
func legacyDatabase(t *testing.T, now int64) string {
	t.Helper()
	db := tests.NewMySQLDatabase(t)
	ddl, err := os.ReadFile("testdata/legacy/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	// The legacy tables have no charset of their own: an old MySQL's
	// 3-byte utf8 is what many PHP schools have.
	u, _ := url.Parse(db)
	stmts := []string{"ALTER DATABASE `" + strings.TrimPrefix(u.Path, "/") + "` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"}
	for _, s := range strings.Split(string(ddl), ";") {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		if q := strings.TrimSpace(strings.Join(lines, "\n")); q != "" {
			stmts = append(stmts, q)
		}
	}
	phpToken := func(uid string, at int64) string {
		return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s%d\n", uid, at)))
	}
	day := int64(24 * 3600)
	stmts = append(stmts,
		fmt.Sprintf(`INSERT INTO t_account (uin, uid, appid, role, pwd, token, user_sig, register_time, login_time, last_request_time) VALUES
		(10001, 'oldteacher', %d, 1, '%s', '%s', 'sig', %d, %d, %d),
		(10002, 'oldstudent', %d, 0, '%s', '%s', 'sig', %d, %d, %d),
		(10003, 'sleeper', %d, 0, '%s', '%s', 'sig', %d, %d, %d),
		(10004, 'Mixed.Case', %d, 0, '%s', NULL, NULL, %d, 0, 0)`,
			tests.AppA, phpPwd("c2VjcmV0"), phpToken("oldteacher", now-3600), now-30*day, now-3600, now-60,
			tests.AppA, phpPwd("cGFzcw=="), phpToken("oldstudent", now-day), now-30*day, now-day, now-day,
			tests.AppA, phpPwd("zzz"), phpToken("sleeper", now-9*day), now-30*day, now-9*day, now-8*day,
			tests.AppB, phpPwd("0123"), now-30*day),
		fmt.Sprintf(`INSERT INTO t_course (room_id, create_time, start_time, start_imseq, end_time, end_imseq, last_update_time,
		can_trigger_replay_idx_time, title, cover, host_uin, state, im_group_id, replay_idx_url) VALUES
		(10001, %d, 0, 0, 0, 0, 0, 0, 'created', 'c0', 10001, 0, '10001', ''),
		(10002, %d, %d, 11, 0, 0, %d, 0, 'living', 'c1', 10001, 1, '10002', ''),
		(10003, %d, %d, 21, %d, 22, %d, %d, 'ended', 'c2', 10001, 2, '10003', ''),
		(10004, %d, %d, 31, %d, 32, %d, 0, 'playback', 'c3', 10001, 3, '10004', 'http://idx/10004')`,
			now-5*day, now-4*day, now-600, now-30,
			now-3*day, now-3*day, now-3*day+3600, now-3*day+3600, now-3*day+3900,
			now-2*day, now-2*day, now-2*day+3600, now-2*day+3600),
		`INSERT INTO t_class_member (uin, room_id, has_exited, last_heartbeat_time) VALUES
		(10001, 10002, 0, `+fmt.Sprint(now-30)+`), (10002, 10002, 0, `+fmt.Sprint(now-30)+`)`,
		`INSERT INTO t_bind_file (uin, room_id, bind_time, type, file_name, url) VALUES
		(10001, 10002, 100, 0, 'a.ppt', 'http://f/a.ppt'), (10001, 0, 101, 1, 'lib.mp4', 'http://f/lib.mp4')`,
		`INSERT INTO t_video_record (uin, room_id, video_id, video_url, start_time, end_time, file_size, duration) VALUES
		(10001, 10004, 'v1', 'http://v/1.mp4', 1, 2, 3, 4)`,
	)
	tests.Exec(t, db, stmts...)
	return db
}

// A PHP school's database keeps every recording and binding after the
// takeover: 2 GB files, long VOD ids, 4-byte characters on its 3-byte
// tables are stored, and what is acknowledged is there.
func TestLegacyRecordingsStored(t *testing.T) {
	now := time.Now().Unix()
	db := legacyDatabase(t, now)
	h := tests.NewWith(t, tests.Options{DB: db})
	videoID := strings.Repeat("v", 60) + "🎬"
	body, _ := json.Marshal(tests.M{"event_type": 100, "stream_id": "s", "start_time": now - 60, "end_time": now,
		"media_start_time": 1, "file_size": int64(3_000_000_000), "duration": 3600, "video_id": videoID,
		"video_url": "http://v/big.mp4", "stream_param": "groupid=10002&userid=" + base64.StdEncoding.EncodeToString([]byte("oldteacher"))})
	if a := h.PostRaw("live", "reccall", body); a.Status != 200 || string(a.Raw) != `{"code":0}` {
		t.Fatalf("reccall: %d %s", a.Status, a.Raw)
	}
	if n := tests.QueryInt(t, db, "SELECT COUNT(*) FROM t_video_record WHERE file_size = 3000000000 AND video_id = ?", videoID); n != 1 {
		t.Fatalf("the acknowledged recording is not stored as sent (%d rows)", n)
	}
	teacher := h.Login(tests.AppA, "oldteacher", "c2VjcmV0").Token
	h.Call(tests.AppA, teacher, "live", "reportbind", tests.M{"roomnum": 10002, "operate": 0,
		"bind_file": tests.M{"type": 1, "file_name": "课件📚.pptx", "url": "http://f/emoji.pptx"}}).Want(t, 0)
	if n := tests.QueryInt(t, db, "SELECT COUNT(*) FROM t_bind_file WHERE file_name = ?", "课件📚.pptx"); n != 1 {
		t.Fatal("the acknowledged binding is not stored as sent")
	}
}

var legacyTables = []string{"t_account", "t_course", "t_class_member", "t_video_record", "t_bind_file"}

// The server takes over the original PHP server's MySQL database in
// place: every row stays, legacy passwords and tokens keep working, new
// numbers continue after the old ones.
func TestTakeoverInPlace(t *testing.T) {
	now := time.Now().Unix()
	db := legacyDatabase(t, now)
	before := map[string]int64{}
	for _, tb := range legacyTables {
		before[tb] = tests.QueryInt(t, db, "SELECT COUNT(*) FROM "+tb)
	}
	h := tests.NewWith(t, tests.Options{DB: db})
	for _, tb := range legacyTables {
		if n := tests.QueryInt(t, db, "SELECT COUNT(*) FROM "+tb); n != before[tb] {
			t.Fatalf("%s: %d rows after the takeover, %d before", tb, n, before[tb])
		}
	}

	// A token issued by the PHP server keeps working; an expired one does not.
	student := tests.QueryString(t, db, "SELECT token FROM t_account WHERE uid = 'oldstudent'")
	l := h.Rooms(t, tests.AppA, student, nil)
	tests.Eq(t, "rooms", tests.RoomNums(l), []int64{10002, 10004, 10003, 10001})
	tests.Eq(t, "members", tests.IDs(h.Members(t, student, 10002, 0, 50)), []string{"oldteacher", "oldstudent"})
	tests.Eq(t, "courseware", tests.URLs(h.Binds(t, student, tests.M{"roomnum": 10002})), []string{"http://f/a.ppt"})
	h.Call(tests.AppA, student, "live", "heartbeat", tests.M{"roomnum": 10002}).Want(t, 0)
	sleeper := tests.QueryString(t, db, "SELECT token FROM t_account WHERE uid = 'sleeper'")
	h.Call(tests.AppA, sleeper, "live", "heartbeat", tests.M{"roomnum": 10002}).WantInfo(t, svc.CodeTokenExpire, "User token expired")

	// Legacy passwords: a wrong one is 10006 (never 90000) and changes
	// nothing; the right one logs in and becomes a bcrypt hash.
	h.Call(tests.AppA, "", "account", "login", tests.M{"id": "oldteacher", "pwd": "wrong"}).WantInfo(t, svc.CodePassword, "User password error")
	if p := tests.QueryString(t, db, "SELECT pwd FROM t_account WHERE uid = 'oldteacher'"); p != phpPwd("c2VjcmV0") {
		t.Fatalf("a wrong password changed the stored one: %q", p)
	}
	h.Login(tests.AppA, "oldteacher", "c2VjcmV0")
	if p := tests.QueryString(t, db, "SELECT pwd FROM t_account WHERE uid = 'oldteacher'"); !strings.HasPrefix(p, "$2") {
		t.Fatalf("not re-hashed: %q", p)
	}
	teacher := h.Login(tests.AppA, "oldteacher", "c2VjcmV0").Token // now the hash checks
	h.Login(tests.AppB, "Mixed.Case", "0123")
	h.Call(tests.AppB, "", "account", "login", tests.M{"id": "mixed.case", "pwd": "0123"}).Want(t, svc.CodeUserNotExist)

	// The class goes on; new numbers continue after the old ones.
	h.Call(tests.AppA, teacher, "live", "exitroom", tests.M{"roomnum": 10002}).Want(t, 0)
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "new"}).Want(t, 0).Decode(t, &d)
	tests.Eq(t, "next room", d.RoomNum, int64(10005))
	h.Regist(tests.AppA, "newcomer", "pw", 0)
	tests.Eq(t, "next uin", tests.QueryInt(t, db, "SELECT uin FROM t_account WHERE uid = 'newcomer'"), int64(10005))

	// A restart finds the schema migrated and changes nothing more.
	digest := tests.Digest(t, db)
	h.Restart()
	if tests.Digest(t, db) != digest {
		t.Fatal("a restart on a migrated database changed it")
	}
}

// A database that is neither empty nor the original's schema, or that a
// newer binary migrated, is refused with the reason.
func TestTakeoverRefusals(t *testing.T) {
	cfg := func() *server.Config {
		c, err := server.LoadConfig("")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	open := func(db string) error {
		srv, err := server.New(cfg(), server.Options{DB: db, KeepMaxProcs: true, Log: slog.New(slog.DiscardHandler)})
		if err == nil {
			srv.Close()
		}
		return err
	}
	odd := tests.NewMySQLDatabase(t)
	tests.Exec(t, odd, "CREATE TABLE t_account (uin INT PRIMARY KEY, uid VARCHAR(50))")
	if err := open(odd); err == nil || !strings.Contains(err.Error(), "t_account lacks column pwd") || !strings.Contains(err.Error(), "no table t_course") {
		t.Fatalf("unrecognised schema: %v", err)
	}
	if n := tests.QueryInt(t, odd, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"); n != 1 {
		t.Fatalf("the refused database has %d tables", n)
	}
	newer := tests.NewMySQLDatabase(t)
	if err := open(newer); err != nil {
		t.Fatal(err)
	}
	tests.Exec(t, newer, "UPDATE t_sxb_schema SET version = 99")
	if err := open(newer); err == nil || !strings.Contains(err.Error(), "newer than this binary knows") {
		t.Fatalf("newer MySQL schema: %v", err)
	}
	file := t.TempDir() + "/newer.db"
	if err := open(file); err != nil {
		t.Fatal(err)
	}
	tests.Exec(t, file, "PRAGMA user_version = 99")
	if err := open(file); err == nil || !strings.Contains(err.Error(), "newer than this binary knows") {
		t.Fatalf("newer SQLite schema: %v", err)
	}
}

// sxb-edu import copies the original server's database into a new SQLite
// file without touching the source; legacy passwords and tokens, numbers
// and lists carry over, and a non-empty target is refused.
func TestImport(t *testing.T) {
	bin := tests.Build(t)
	now := time.Now().Unix()
	src := legacyDatabase(t, now)
	target := filepath.Join(t.TempDir(), "imported.db")
	out, err := exec.Command(bin, "import", "-from", src, "-db", target).CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"t_account: 4/4 rows", "t_account       4", "t_course        4", "t_class_member  2",
		"t_video_record  1", "t_bind_file     2", "t_setting       0"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("import output lacks %q:\n%s", want, out)
		}
	}
	// The source was only read.
	if n := tests.QueryInt(t, src, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"); n != 5 {
		t.Fatalf("the source has %d tables after the import", n)
	}
	if p := tests.QueryString(t, src, "SELECT pwd FROM t_account WHERE uid = 'oldteacher'"); p != phpPwd("c2VjcmV0") {
		t.Fatalf("the source changed: %q", p)
	}

	// A second import into the same file is refused and changes nothing.
	digest := tests.Digest(t, target)
	out, err = exec.Command(bin, "import", "-from", src, "-db", target).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not empty") {
		t.Fatalf("import into a non-empty file: %v\n%s", err, out)
	}
	if tests.Digest(t, target) != digest {
		t.Fatal("a refused import changed the target")
	}

	h := tests.NewWith(t, tests.Options{DB: target})
	student := tests.QueryString(t, target, "SELECT token FROM t_account WHERE uid = 'oldstudent'")
	l := h.Rooms(t, tests.AppA, student, nil)
	tests.Eq(t, "rooms", tests.RoomNums(l), []int64{10002, 10004, 10003, 10001})
	tests.Eq(t, "states", []int{l.Rooms[0].State, l.Rooms[1].State, l.Rooms[2].State, l.Rooms[3].State}, []int{1, 3, 2, 0})
	tests.Eq(t, "members", tests.IDs(h.Members(t, student, 10002, 0, 50)), []string{"oldteacher", "oldstudent"})
	tests.Eq(t, "library", tests.URLs(h.Binds(t, tests.QueryString(t, target, "SELECT token FROM t_account WHERE uid = 'oldteacher'"), tests.M{})), []string{"http://f/lib.mp4"})
	sleeper := tests.QueryString(t, target, "SELECT token FROM t_account WHERE uid = 'sleeper'")
	h.Call(tests.AppA, sleeper, "live", "heartbeat", tests.M{"roomnum": 10002}).WantInfo(t, svc.CodeTokenExpire, "User token expired")
	h.Call(tests.AppA, "", "account", "login", tests.M{"id": "oldteacher", "pwd": "bad"}).Want(t, svc.CodePassword)
	teacher := h.Login(tests.AppA, "oldteacher", "c2VjcmV0").Token
	if p := tests.QueryString(t, target, "SELECT pwd FROM t_account WHERE uid = 'oldteacher'"); !strings.HasPrefix(p, "$2") {
		t.Fatalf("not re-hashed after the import: %q", p)
	}
	var d struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "new"}).Want(t, 0).Decode(t, &d)
	tests.Eq(t, "next room", d.RoomNum, int64(10005))
	h.Regist(tests.AppA, "newcomer", "pw", 0)
	tests.Eq(t, "next uin", tests.QueryInt(t, target, "SELECT uin FROM t_account WHERE uid = 'newcomer'"), int64(10005))
}

// An import refuses what the protocol could not have stored, naming the
// row, and leaves no file behind.
func TestImportRefusesBadRows(t *testing.T) {
	bin := tests.Build(t)
	now := time.Now().Unix()
	for name, bad := range map[string][]string{
		"huge uin":      {"ALTER TABLE t_account MODIFY uin BIGINT NOT NULL AUTO_INCREMENT", "INSERT INTO t_account (uin, uid, appid, role, pwd) VALUES (9223372036854775807, 'big', 1, 0, 'x')"},
		"long uid":      {"ALTER TABLE t_account MODIFY uid VARCHAR(2000) NOT NULL", "INSERT INTO t_account (uid, appid, role, pwd) VALUES (REPEAT('u', 1500), 1, 0, 'x')"},
		"NUL in uid":    {"INSERT INTO t_account (uid, appid, role, pwd) VALUES (CONCAT('a', CHAR(0), 'b'), 1, 0, 'x')"},
		"negative room": {"INSERT INTO t_course (room_id, create_time, title, cover, host_uin, state, im_group_id) VALUES (-5, 1, 't', 'c', 10001, 0, '-5')"},
	} {
		t.Run(name, func(t *testing.T) {
			src := legacyDatabase(t, now)
			tests.Exec(t, src, bad...)
			target := filepath.Join(t.TempDir(), "imported.db")
			out, err := exec.Command(bin, "import", "-from", src, "-db", target).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "of the source") || !strings.Contains(string(out), "nothing was written") {
				t.Fatalf("import of a bad row: %v\n%s", err, out)
			}
			entries, _ := os.ReadDir(filepath.Dir(target))
			if len(entries) != 0 {
				t.Fatalf("a failed import left %v", entries)
			}
		})
	}
}

// PHP and sxb-edu on one database during a switch: a course the PHP
// server inserts (no appid) is given to its teacher's app and listed.
func TestPHPCourseAdopted(t *testing.T) {
	now := time.Now().Unix()
	db := legacyDatabase(t, now)
	h := tests.NewWith(t, tests.Options{DB: db})
	student := h.Login(tests.AppA, "oldstudent", "cGFzcw==").Token
	tests.Exec(t, db, fmt.Sprintf(`INSERT INTO t_course (room_id, create_time, title, cover, host_uin, state, im_group_id)
		VALUES (10050, %d, 'from php', 'c', 10001, 0, '10050')`, now))
	if err := h.Svc.Reap(t.Context()); err != nil {
		t.Fatal(err)
	}
	l := h.Rooms(t, tests.AppA, student, nil)
	if nums := tests.RoomNums(l); len(nums) == 0 || nums[0] != 10050 {
		t.Fatalf("the PHP server's course is not listed: %v", nums)
	}
	if a := tests.QueryInt(t, db, "SELECT appid FROM t_course WHERE room_id = 10050"); a != tests.AppA {
		t.Fatalf("appid %d", a)
	}
}

// The way back: a database moved to sxb-edu is exported into the PHP
// server's schema; accounts rehashed since the move are named and left
// without a password, the others log in as before, and every row is there.
func TestExportBackToPHP(t *testing.T) {
	bin := tests.Build(t)
	now := time.Now().Unix()
	src := legacyDatabase(t, now)
	db := filepath.Join(t.TempDir(), "moved.db")
	if out, err := exec.Command(bin, "import", "-from", src, "-db", db).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	h := tests.NewWith(t, tests.Options{DB: db})
	h.Login(tests.AppA, "oldteacher", "c2VjcmV0") // rehashed to bcrypt now
	teacher := h.Login(tests.AppA, "oldteacher", "c2VjcmV0").Token
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "after the move"}).Want(t, 0)
	h.Stop()

	back := tests.NewMySQLDatabase(t)
	out, err := exec.Command(bin, "export", "-db", db, "-to", back).CombinedOutput()
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	for _, want := range []string{"t_account       4", "t_course        5", "t_class_member  2", "t_video_record  1",
		"t_bind_file     2", "give these users a new password:\n  oldteacher\n"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("export output lacks %q:\n%s", want, out)
		}
	}
	if p := tests.QueryString(t, back, "SELECT pwd FROM t_account WHERE uid = 'oldteacher'"); p != "" {
		t.Fatalf("a bcrypt hash was exported: %q", p)
	}
	if p := tests.QueryString(t, back, "SELECT pwd FROM t_account WHERE uid = 'oldstudent'"); p != phpPwd("cGFzcw==") {
		t.Fatalf("a PHP password changed: %q", p)
	}
	if n := tests.QueryInt(t, back, "SELECT COUNT(*) FROM t_course WHERE title = 'after the move'"); n != 1 {
		t.Fatal("a course made after the move is missing")
	}
	// The exported database is the PHP server's schema: sxb-edu takes it
	// over in place again, and the PHP-era password still works.
	h2 := tests.NewWith(t, tests.Options{DB: back})
	h2.Login(tests.AppA, "oldstudent", "cGFzcw==")
	// A second export into a database that is not empty is refused.
	if out, err := exec.Command(bin, "export", "-db", db, "-to", back).CombinedOutput(); err == nil || !strings.Contains(string(out), "not empty") {
		t.Fatalf("export into a full database: %v\n%s", err, out)
	}
}

// The start-up log says what happened to a PHP database and warns that IM
// and replay indexes are off when a config written from the PHP settings
// left them out.
func TestTakeoverSaysWhatHappened(t *testing.T) {
	db := legacyDatabase(t, time.Now().Unix())
	cfg, err := server.LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Apps = []svc.App{{SDKAppID: tests.AppA, Key: tests.KeyA, Admin: "admin"}}
	var log bytes.Buffer
	srv, err := server.New(cfg, server.Options{DB: db, KeepMaxProcs: true, Log: slog.New(slog.NewJSONHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	for _, want := range []string{"recognised the PHP server's schema", "t_course.appid", "IM IS OFF", "https://console.tim.qq.com",
		"replay indexes are off", "https://test.tim.qq.com"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the start-up log lacks %q:\n%s", want, log.String())
		}
	}
}

package server_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/store"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// healthOf is the status /healthz answers.
func healthOf(t *testing.T, h *tests.Env) int {
	t.Helper()
	resp, err := http.Get(h.HTTP.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond (the server notices a lost file on its own tick).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 10 s", what)
}

// A SQLite database file deleted or replaced under the running server:
// the server notices, refuses every write with 90000 (nothing is
// acknowledged that would be lost), /healthz says 503 and the log says
// so loudly. A restart on the missing path says it made a new database.
func TestHardDatabaseFileLost(t *testing.T) {
	for _, how := range []string{"deleted", "replaced"} {
		t.Run(how, func(t *testing.T) {
			h := tests.New(t, nil)
			teacher := h.User(tests.AppA, "teach", 1)
			var rd struct{ RoomNum int64 }
			h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "t"}).Want(t, 0).Decode(t, &rd)
			h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)
			health := func() int { return healthOf(t, h) }
			if health() != 200 {
				t.Fatal("healthz before")
			}
			switch how {
			case "deleted":
				if err := os.Remove(h.DBPath); err != nil {
					t.Fatal(err)
				}
			case "replaced":
				other := h.DBPath + ".old"
				if err := os.WriteFile(other, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(other, h.DBPath); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "healthz 503 after the file was "+how, func() bool { return health() == http.StatusServiceUnavailable })
			h.Post("account", "regist", tests.M{"appid": tests.AppA, "timeStamp": 1, "id": "after", "pwd": "pw", "role": 0}).
				Want(t, svc.CodeServer)
			h.Call(tests.AppA, teacher, "live", "heartbeat", tests.M{"roomnum": rd.RoomNum}).Want(t, svc.CodeServer)
			h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "lost"}).Want(t, svc.CodeServer)
			// A recording that cannot be stored is not acknowledged: the
			// sender is asked to send it again.
			rec := fmt.Sprintf(`{"event_type":100,"stream_id":"s","start_time":1,"end_time":2,"media_start_time":3,`+
				`"file_size":4,"duration":5,"video_id":"v","video_url":"http://v/1.mp4","stream_param":"groupid=%d&userid=%s"}`,
				rd.RoomNum, base64.StdEncoding.EncodeToString([]byte("teach")))
			if a := h.PostRaw("live", "reccall", []byte(rec)); string(a.Raw) != `{"code":90000}` {
				t.Fatalf("reccall on a lost database: %s", a.Raw)
			}
			if log := h.LogText(); !strings.Contains(log, "DATABASE FILE LOST") {
				t.Fatalf("no loud log line:\n%s", log)
			}
		})
	}
	t.Run("restart on a missing file", func(t *testing.T) {
		h := tests.New(t, nil)
		h.Stop()
		if err := os.Remove(h.DBPath); err != nil {
			t.Fatal(err)
		}
		h.Restart()
		if log := h.LogText(); strings.Count(log, "created a new, empty database") != 2 {
			t.Fatalf("the restart made a new database without saying so:\n%s", log)
		}
	})
}

// Behind a row lock a request is abandoned at its deadline and answered
// 90000; it does not wait for MySQL's lock timeout (50 s) or its client.
func TestHardRequestDeadline(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	h := tests.NewWith(t, tests.Options{DB: db, Edit: func(c *server.Config) { c.RequestTimeout = time.Second }})
	teacher := h.User(tests.AppA, "teach", 1)
	student := h.User(tests.AppA, "stud", 0)
	var rd struct{ RoomNum int64 }
	h.Call(tests.AppA, teacher, "live", "create", tests.M{"title": "t"}).Want(t, 0).Decode(t, &rd)
	h.Call(tests.AppA, teacher, "live", "startcourse", tests.M{"roomnum": rd.RoomNum}).Want(t, 0)

	sqldb, _, err := store.DialMySQL(db, false)
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	ctx := context.Background()
	tx, err := sqldb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT * FROM t_course WHERE room_id = ? FOR UPDATE", rd.RoomNum); err != nil {
		t.Fatal(err)
	}
	h.Call(tests.AppA, student, "live", "reportmemid", tests.M{"roomnum": rd.RoomNum, "operate": 0}).Want(t, svc.CodeServer)
	// Ended by the request's deadline, not by MySQL's lock wait timeout.
	if log := h.LogText(); !strings.Contains(log, "deadline exceeded") || strings.Contains(log, "Lock wait timeout") {
		t.Fatalf("the enter was not ended by its deadline:\n%s", log)
	}
	tx.Rollback()
	// Nothing of it stayed; the enter works now.
	h.Call(tests.AppA, student, "live", "reportmemid", tests.M{"roomnum": rd.RoomNum, "operate": 0}).Want(t, 0)
}

// /healthz reflects whether the database can serve now: at the MySQL
// account's connection limit (error 1226 for every new connection) it is
// 503 even while the pool's idle connections still answer.
func TestHardHealthAtConnectionLimit(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	admin, _, err := store.DialMySQL(db, false)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, _ := url.Parse(db)
	name := strings.TrimPrefix(u.Path, "/")
	user := "lim_" + name[len(name)-min(len(name), 20):]
	for _, q := range []string{"DROP USER IF EXISTS '" + user + "'@'%'",
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 8",
		"GRANT ALL ON " + name + ".* TO '" + user + "'@'%'"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	defer admin.Exec("DROP USER IF EXISTS '" + user + "'@'%'")
	u.User = url.UserPassword(user, "pw")
	h := tests.NewWith(t, tests.Options{DB: u.String()})
	health := func() int { return healthOf(t, h) }
	if c := health(); c != 200 {
		t.Fatalf("healthz before: %d", c)
	}
	// Another client takes the connections the server's pool does not hold.
	other, _, err := store.DialMySQL(u.String(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var held []*sql.Conn
	for {
		c, err := other.Conn(context.Background())
		if err != nil {
			break // 1226: the limit is reached
		}
		if err := c.PingContext(context.Background()); err != nil {
			c.Close()
			break
		}
		held = append(held, c)
	}
	if c := health(); c != http.StatusServiceUnavailable {
		t.Fatalf("healthz at the connection limit: %d", c)
	}
	for _, c := range held {
		c.Close()
	}
	other.Close()
	if c := health(); c != 200 {
		t.Fatalf("healthz after: %d", c)
	}
}

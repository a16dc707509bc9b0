package server_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"sxb-edu/svc"
	"sxb-edu/tests"
)

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
			health := func() int {
				resp, err := http.Get(h.HTTP.URL + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
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

package lcic_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sxb-edu/lcic"
	"sxb-edu/server"
	"sxb-edu/store"
	"sxb-edu/tests"
)

// receiver is a school's callback handler: it checks every callback's
// signature as LCIC's are checked, and keeps them in arrival order.
type receiver struct {
	t    testing.TB
	key  string
	srv  *httptest.Server
	mu   sync.Mutex
	got  []M
	fail int // answer HTTP 500 to this many callbacks first
	now  func() time.Time
}

func newReceiver(t testing.TB, key string, now func() time.Time) *receiver {
	r := &receiver{t: t, key: key, now: now}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var m M
		if err := json.Unmarshal(raw, &m); err != nil {
			r.t.Errorf("callback body %s: %v", raw, err)
			w.WriteHeader(400)
			return
		}
		exp := int64(m["ExpireTime"].(float64))
		sum := md5.Sum([]byte(r.key + strconv.FormatInt(exp, 10)))
		q := req.URL.Query()
		if m["Sign"] != hex.EncodeToString(sum[:]) || q.Get("Sign") != m["Sign"] || q.Get("ExpireTime") != strconv.FormatInt(exp, 10) ||
			exp < r.now().Unix() || m["SdkAppId"] != float64(tests.AppA) || m["Timestamp"] == nil {
			r.t.Errorf("a callback that does not check: %s %s", req.URL.RawQuery, raw)
			w.WriteHeader(403)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			w.WriteHeader(500)
			return
		}
		r.got = append(r.got, m)
		w.Write([]byte(`{"code":0}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.got {
		out = append(out, m["EventType"].(string))
	}
	return out
}

// Every event of a class reaches the school's handler, signed, in order;
// a handler that fails gets it again later, after a restart too; a
// day of failures gives up.
func TestCallbacks(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, sc, id, key := tests.NewLCIC(t, nil)
		rcv := newReceiver(t, "school-key", h.Now)
		app := int64(tests.AppA)
		sc.Call("ModifyApp", M{"SdkAppId": app, "Callback": rcv.srv.URL + "/lcic?from=sxb", "CallbackKey": "school-key"})
		tid := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "T", "OriginId": "t"})["UserId"].(string)
		sid := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "S", "OriginId": "s"})["UserId"].(string)
		now := h.Unix()
		room := int64(sc.Call("CreateRoom", M{"SdkAppId": app, "Name": "R", "StartTime": now + 60, "EndTime": now + 3000,
			"TeacherId": tid, "Assistants": []string{}})["RoomId"].(float64))
		tt := sc.Call("LoginUser", M{"UserId": tid})["Token"].(string)
		st := sc.Call("LoginUser", M{"UserId": sid})["Token"].(string)
		h.Call(tests.AppA, tt, "live", "startcourse", M{"roomnum": room}).Want(t, 0)
		h.Call(tests.AppA, st, "live", "reportmemid", M{"roomnum": room, "operate": 0}).Want(t, 0)
		h.Call(tests.AppA, st, "live", "reportmemid", M{"roomnum": room, "operate": 1}).Want(t, 0)
		h.Call(tests.AppA, tt, "live", "exitroom", M{"roomnum": room}).Want(t, 0)
		doc := sc.Call("CreateDocument", M{"SdkAppId": app, "DocumentUrl": "https://cdn.example/a.png", "DocumentName": "A"})["DocumentId"]

		// The handler is down for the first two attempts.
		rcv.fail = 2
		h.App.LCIC.Deliver(t.Context())
		if got := rcv.types(); len(got) != 0 {
			t.Fatalf("delivered while the handler fails: %v", got)
		}
		// A restart in between: the outbox is in the database.
		h.Restart()
		sc = tests.NewSchool(t, h, id, key)
		for range 4 {
			h.Advance(time.Minute)
			h.App.LCIC.Deliver(t.Context())
		}
		// Order holds within a class; the document's event may come between.
		var class []M
		docs := 0
		for _, m := range rcv.got {
			if strings.HasPrefix(m["EventType"].(string), "Document") {
				docs++
			} else {
				class = append(class, m)
			}
		}
		if got := fmt.Sprint(rcv.types()); docs != 1 || len(class) != 4 ||
			!strings.Contains(got, "RoomStart") || class[0]["EventType"] != "RoomStart" || class[1]["EventType"] != "MemberJoin" ||
			class[2]["EventType"] != "MemberQuit" || class[3]["EventType"] != "RoomEnd" {
			t.Fatalf("callbacks %s, want the class's RoomStart MemberJoin MemberQuit RoomEnd in order and DocumentCreate", got)
		}
		join := class[1]["EventData"].(M)
		if join["RoomId"] != float64(room) || join["UserId"] != sid || join["Role"] != float64(0) {
			t.Fatalf("MemberJoin data: %v", join)
		}
		if start := class[0]["EventData"].(M); start["UserId"] != tid || start["Role"] != float64(1) {
			t.Fatalf("RoomStart data: %v", start)
		}
		_, events, _ := h.Store.LCICEvents(t.Context(), app, 0, nil, 0, 100)
		for _, e := range events {
			if e.State != store.EventDelivered || e.DeliveredAt == 0 || e.LastStatus != 200 {
				t.Fatalf("event %+v", e)
			}
		}
		// Nothing goes twice.
		h.Advance(time.Hour)
		h.App.LCIC.Deliver(t.Context())
		if n := len(rcv.types()); n != 5 {
			t.Fatalf("%d callbacks after a second round", n)
		}

		// A handler down for a day: the event is given up, and an operator can send it again.
		rcv.fail = 1 << 30
		h.Advance(-time.Hour - 4*time.Minute) // back within the SDK's signing window
		sc.Call("DeleteDocument", M{"DocumentId": doc})
		for range 30 {
			h.Advance(time.Hour)
			h.App.LCIC.Deliver(t.Context())
		}
		_, events, _ = h.Store.LCICEvents(t.Context(), app, 0, []string{"DocumentDelete"}, 0, 1)
		if len(events) != 1 || events[0].State != store.EventGivenUp || events[0].Attempts < 5 || events[0].LastStatus != 500 {
			t.Fatalf("a day of failures: %+v", events)
		}
		rcv.fail = 0
		if err := h.App.LCIC.Redeliver(t.Context(), events[0].ID); err != nil {
			t.Fatal(err)
		}
		h.App.LCIC.Deliver(t.Context())
		if got := rcv.types(); got[len(got)-1] != "DocumentDelete" {
			t.Fatalf("redelivered: %v", got)
		}
	})
}

// Two servers on one MySQL database deliver each event once.
func TestCallbacksTwoServers(t *testing.T) {
	db := tests.NewMySQLDatabase(t)
	secrets := filepath.Join(t.TempDir(), "secrets")
	edit := func(c *server.Config) { c.LCIC = &lcic.Config{SecretsFile: secrets} }
	a := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	b := tests.NewWith(t, tests.Options{DB: db, Edit: edit})
	kr, _ := lcic.LoadKeyring(secrets)
	id, key, err := lcic.CreateKey(t.Context(), a.Store, kr, "sync", tests.AppA, a.Unix())
	if err != nil {
		t.Fatal(err)
	}
	sc := tests.NewSchool(t, a, id, key)
	rcv := newReceiver(t, "k", a.Now)
	app := int64(tests.AppA)
	sc.Call("ModifyApp", M{"SdkAppId": app, "Callback": rcv.srv.URL, "CallbackKey": "k"})
	for i := range 20 {
		sc.Call("CreateDocument", M{"SdkAppId": app, "DocumentUrl": fmt.Sprintf("https://cdn.example/%d.png", i), "DocumentName": "x"})
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { a.App.LCIC.Deliver(t.Context()) })
		wg.Go(func() { b.App.LCIC.Deliver(t.Context()) })
	}
	wg.Wait()
	seen := map[string]int{}
	for _, m := range rcv.got {
		seen[m["EventData"].(M)["DocumentId"].(string)]++
	}
	if len(rcv.got) != 20 || len(seen) != 20 {
		t.Fatalf("%d callbacks for 20 events (%d distinct)", len(rcv.got), len(seen))
	}
}

// RoomExpire and DocumentTranscodeFinish reach the school signed, with
// their data.
func TestExpireAndTranscodeCallbacks(t *testing.T) {
	h, sc, _, _ := tests.NewLCIC(t, func(c *server.Config) { c.CallbackKey, c.AllowUnsignedCallbacks = "cb-key", false })
	rcv := newReceiver(t, "school-key", h.Now)
	app := int64(tests.AppA)
	sc.Call("ModifyApp", M{"SdkAppId": app, "Callback": rcv.srv.URL, "CallbackKey": "school-key"})
	tid := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "T", "OriginId": "t"})["UserId"].(string)
	now := h.Unix()
	room := sc.Call("CreateRoom", M{"SdkAppId": app, "Name": "Quiz", "StartTime": now + 30, "EndTime": now + 60, "TeacherId": tid})["RoomId"]
	doc := sc.Call("CreateDocument", M{"SdkAppId": app, "DocumentUrl": "https://cdn.example/deck.pptx", "DocumentName": "Deck",
		"TranscodeType": 1})["DocumentId"]
	exp := now + 600
	body, _ := json.Marshal(M{"DocumentId": doc, "TranscodeState": 3, "TranscodeResult": "https://cdn.example/deck/", "Pages": 7})
	resp, err := http.Post(fmt.Sprintf("%s%s?t=%d&sign=%s", h.HTTP.URL, lcic.TranscodePath, exp, lcic.Sign("cb-key", exp)),
		"application/json", strings.NewReader(string(body)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("report: %v %v", resp, err)
	}
	resp.Body.Close()
	h.Advance(2 * time.Minute)
	h.App.LCIC.Expire(t.Context())
	h.App.LCIC.Deliver(t.Context())
	got := map[string]M{}
	for _, m := range rcv.got {
		got[m["EventType"].(string)] = m["EventData"].(M)
	}
	if e := got["RoomExpire"]; e == nil || e["RoomId"] != room {
		t.Fatalf("RoomExpire: %v", rcv.types())
	}
	if e := got["DocumentTranscodeFinish"]; e == nil || e["DocumentId"] != doc || e["TranscodeState"] != float64(3) ||
		e["TranscodeResult"] != "https://cdn.example/deck/" || e["Pages"] != float64(7) {
		t.Fatalf("DocumentTranscodeFinish: %v", got)
	}
}

package tests

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The NetEase whiteboard app of the AUI class test configuration.
const (
	WhiteboardKey    = "wb-app-key"
	WhiteboardSecret = "wb-app-secret"
)

// FakeWhiteboard is NetEase's whiteboard room API: it checks every
// request's AppKey, Nonce, CurTime and CheckSum (sha1 of the secret,
// the nonce and the time) and records the rooms made and deleted.
type FakeWhiteboard struct {
	T   testing.TB
	URL string

	mu      sync.Mutex
	Rooms   map[string]M // cid -> the create request
	Deleted []string
	next    int
	// Code, when set, is the create answer's code (a refusal).
	Code int
	// Now is the clock the request times are checked against (the
	// server's, when a test moves it).
	Now func() time.Time
}

// NewFakeWhiteboard starts a fake whiteboard API.
func NewFakeWhiteboard(t testing.TB) *FakeWhiteboard {
	f := &FakeWhiteboard{T: t, Rooms: map[string]M{}, next: 1000}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *FakeWhiteboard) serve(w http.ResponseWriter, r *http.Request) {
	nonce, cur := r.Header.Get("Nonce"), r.Header.Get("CurTime")
	sum := sha1.Sum([]byte(WhiteboardSecret + nonce + cur))
	at, err := strconv.ParseInt(cur, 10, 64)
	switch {
	case r.Header.Get("AppKey") != WhiteboardKey:
		f.T.Errorf("fake whiteboard: AppKey %q", r.Header.Get("AppKey"))
		w.WriteHeader(401)
		return
	case nonce == "" || err != nil || f.now().Sub(time.Unix(at, 0)).Abs() > 5*time.Minute:
		f.T.Errorf("fake whiteboard: Nonce %q CurTime %q", nonce, cur)
		w.WriteHeader(401)
		return
	case r.Header.Get("CheckSum") != hex.EncodeToString(sum[:]):
		f.T.Errorf("fake whiteboard: CheckSum %q", r.Header.Get("CheckSum"))
		w.WriteHeader(401)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v2/api/room":
		var body M
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["channelName"] == "" || body["mode"] != float64(2) ||
			body["persistent"] != true || body["platform"] != float64(2) || body["uid"] == nil ||
			body["channelDestroyTime"].(float64) <= body["uid"].(float64) {
			f.T.Errorf("fake whiteboard: create %v (%v)", body, err)
			json.NewEncoder(w).Encode(M{"code": 414, "msg": "bad request"})
			return
		}
		if f.Code != 0 {
			json.NewEncoder(w).Encode(M{"code": f.Code, "errmsg": "refused by the fake"})
			return
		}
		f.next++
		cid := strconv.Itoa(f.next)
		f.Rooms[cid] = body
		json.NewEncoder(w).Encode(M{"code": 200, "cid": f.next})
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v2/api/rooms/"):
		cid := strings.TrimPrefix(r.URL.Path, "/v2/api/rooms/")
		if _, ok := f.Rooms[cid]; !ok {
			w.WriteHeader(404)
			return
		}
		delete(f.Rooms, cid)
		f.Deleted = append(f.Deleted, cid)
		json.NewEncoder(w).Encode(M{"code": 200})
	default:
		f.T.Errorf("fake whiteboard: %s %s", r.Method, r.URL.Path)
		w.WriteHeader(404)
	}
}

// Made is how many rooms exist now.
func (f *FakeWhiteboard) Made() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.Rooms)
}

func (f *FakeWhiteboard) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

package tests

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// VerifyTC3 recomputes the TC3-HMAC-SHA256 signature of a request made
// with (id, key) for service.
func VerifyTC3(r *http.Request, body []byte, service, id, key string) error {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("no TC3 authorization: %q", r.Header.Get("Authorization"))
	}
	parts := map[string]string{}
	for _, p := range strings.Split(auth, ", ") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	ts := r.Header.Get("X-TC-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < time.Now().Unix()-60 || sec > time.Now().Unix()+60 {
		return fmt.Errorf("X-TC-Timestamp %q", ts)
	}
	date := time.Unix(sec, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	if parts["Credential"] != id+"/"+scope || parts["SignedHeaders"] != "content-type;host" {
		return fmt.Errorf("credential %q", auth)
	}
	hex256 := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	canonical := r.Method + "\n/\n" + r.URL.RawQuery + "\ncontent-type:" + r.Header.Get("Content-Type") +
		"\nhost:" + r.Host + "\n\ncontent-type;host\n" + hex256(string(body))
	k := mac(mac(mac([]byte("TC3"+key), date), service), "tc3_request")
	if want := hex.EncodeToString(mac(k, "TC3-HMAC-SHA256\n"+ts+"\n"+scope+"\n"+hex256(canonical))); parts["Signature"] != want {
		return fmt.Errorf("signature %s, want %s", parts["Signature"], want)
	}
	return nil
}

// VODMedia is a file the fake VOD holds.
type VODMedia struct {
	FileID, URL, Context string // Context: the source context (a push's stream_param)
	Name, Cover, Play    string // Play: its one transcoded URL (none: no transcoding)
	Created              time.Time
	Size                 int64
	Duration             float64
}

// VODRequest is a call the fake VOD answered.
type VODRequest struct {
	Action, Region   string
	FileIds, Filters []string // DescribeMediaInfos
	FileId           string   // DeleteMedia
	After, Before    string   // SearchMedia's creation-time range
}

// FakeVOD is the VOD API (v2018-07-17) as the server uses it:
// DescribeMediaInfos (the file id "deny" is refused), SearchMedia
// (source type Record, creation-time range) and DeleteMedia, each
// signed with (ID, Key).
type FakeVOD struct {
	*httptest.Server
	ID, Key string
	mu      sync.Mutex
	media   []VODMedia
	calls   []VODRequest
	down    bool // answer every call with InternalError
}

// SetDown makes every call fail (InternalError) or answer again.
func (f *FakeVOD) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// NewFakeVOD starts a fake VOD endpoint holding media.
func NewFakeVOD(t testing.TB, id, key string, media ...VODMedia) *FakeVOD {
	f := &FakeVOD{ID: id, Key: key, media: media}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Calls are the calls made, in order.
func (f *FakeVOD) Calls() []VODRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]VODRequest(nil), f.calls...)
}

// Add puts files in VOD.
func (f *FakeVOD) Add(media ...VODMedia) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media = append(f.media, media...)
}

// Has reports whether a file is still there.
func (f *FakeVOD) Has(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.find(id)
	return ok
}

func (f *FakeVOD) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	answer := func(resp M) {
		resp["RequestId"] = "vod-req"
		_ = json.NewEncoder(w).Encode(M{"Response": resp})
	}
	fail := func(code, msg string) { answer(M{"Error": M{"Code": code, "Message": msg}}) }
	if err := VerifyTC3(r, body, "vod", f.ID, f.Key); err != nil {
		fail("AuthFailure.SignatureFailure", err.Error())
		return
	}
	if r.Header.Get("X-TC-Version") != "2018-07-17" {
		fail("InvalidParameter", "version "+r.Header.Get("X-TC-Version"))
		return
	}
	var req struct {
		FileId           string
		FileIds, Filters []string
		SourceTypes      []string
		CreateTime       struct{ After, Before string }
		Offset           int
		Limit            int
	}
	if err := json.Unmarshal(body, &req); err != nil {
		fail("InvalidParameter", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	action := r.Header.Get("X-TC-Action")
	f.calls = append(f.calls, VODRequest{Action: action, Region: r.Header.Get("X-TC-Region"), FileIds: req.FileIds,
		Filters: req.Filters, FileId: req.FileId, After: req.CreateTime.After, Before: req.CreateTime.Before})
	if f.down {
		fail("InternalError", "VOD is down")
		return
	}
	switch action {
	case "DescribeMediaInfos":
		set, missing := []any{}, []string{}
		for _, id := range req.FileIds {
			if id == "deny" {
				fail("UnauthorizedOperation", "no access to deny")
				return
			}
			if m, ok := f.find(id); ok {
				set = append(set, m.info())
			} else {
				missing = append(missing, id)
			}
		}
		answer(M{"MediaInfoSet": set, "NotExistFileIdSet": missing})
	case "DeleteMedia":
		for i, m := range f.media {
			if m.FileID == req.FileId {
				f.media = append(f.media[:i], f.media[i+1:]...)
				answer(M{})
				return
			}
		}
		fail("ResourceNotFound.FileNotExist", "no file "+req.FileId)
	case "SearchMedia":
		after, err1 := time.Parse(time.RFC3339, req.CreateTime.After)
		before, err2 := time.Parse(time.RFC3339, req.CreateTime.Before)
		if err1 != nil || err2 != nil || len(req.SourceTypes) != 1 || req.SourceTypes[0] != "Record" || req.Limit <= 0 {
			fail("InvalidParameter", "SearchMedia "+string(body))
			return
		}
		var set []any
		for _, m := range f.media {
			if !m.Created.Before(after) && !m.Created.After(before) {
				set = append(set, m.info())
			}
		}
		total := len(set)
		set = set[min(req.Offset, total):min(req.Offset+req.Limit, total)]
		answer(M{"TotalCount": total, "MediaInfoSet": set})
	default:
		fail("InvalidAction", action)
	}
}

func (f *FakeVOD) find(id string) (VODMedia, bool) {
	for _, m := range f.media {
		if m.FileID == id {
			return m, true
		}
	}
	return VODMedia{}, false
}

// info is a file as VOD describes it (MediaInfo).
func (m VODMedia) info() M {
	out := M{"FileId": m.FileID,
		"BasicInfo": M{"Name": m.Name, "MediaUrl": m.URL, "CoverUrl": m.Cover, "Status": "Normal",
			"CreateTime": m.Created.UTC().Format(time.RFC3339), "SourceInfo": M{"SourceType": "Record", "SourceContext": m.Context}},
		"MetaData": M{"Size": m.Size, "Duration": m.Duration}}
	if m.Play != "" {
		out["TranscodeInfo"] = M{"TranscodeSet": []any{M{"Url": m.Play, "Definition": 230, "Bitrate": 800, "Height": 720, "Width": 1280}}}
	}
	return out
}

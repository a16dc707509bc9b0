package console_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sxb-edu/console"
	"sxb-edu/lcic"
	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

// recordClasses makes n recorded classes: the first a scheduled room
// (LCIC), the rest 随心播 classes; the teacher's UserId and the rooms.
func recordClasses(t *testing.T, h *tests.Env, sc *tests.School, n int) (string, []int64) {
	tid := sc.Call("RegisterUser", tests.M{"SdkAppId": tests.AppA, "Name": "Neal", "OriginId": "neal"})["UserId"].(string)
	tok := sc.Call("LoginUser", tests.M{"UserId": tid})["Token"].(string)
	var rooms []int64
	for i := range n {
		var id int64
		title := fmt.Sprintf("Neal's class 06-%02d", i+1)
		if i == 0 {
			id = int64(sc.Call("CreateRoom", tests.M{"SdkAppId": tests.AppA, "Name": title, "StartTime": h.Unix() + 60,
				"EndTime": h.Unix() + 3600, "TeacherId": tid})["RoomId"].(float64))
		} else {
			var d struct{ RoomNum int64 }
			h.Call(tests.AppA, tok, "live", "create", tests.M{"title": title}).Want(t, 0).Decode(t, &d)
			id = d.RoomNum
		}
		h.Call(tests.AppA, tok, "live", "startcourse", tests.M{"roomnum": id}).Want(t, 0)
		param := fmt.Sprintf("groupid=%d&userid=%s", id, base64.StdEncoding.EncodeToString([]byte(tid)))
		for f := range 1 + i%2 {
			if a := h.Post("live", "reccall", tests.M{"event_type": 100, "stream_id": "s", "start_time": h.Unix() - 60, "end_time": h.Unix(),
				"media_start_time": h.Unix() - 60, "file_size": 337_670_000 + f, "duration": 2700, "video_id": fmt.Sprintf("v%d-%d", id, f),
				"video_url": fmt.Sprintf("https://vod.example/%d-%d.mp4", id, f), "stream_param": param}); string(a.Raw) != `{"code":0}` {
				t.Fatalf("reccall: %s", a.Raw)
			}
		}
		h.Call(tests.AppA, tok, "live", "exitroom", tests.M{"roomnum": id}).Want(t, 0)
		h.Advance(time.Minute)
		rooms = append(rooms, id)
	}
	return tid, rooms
}

// The playback library: 10 a page, search, a class's files, a share
// link that works without signing in until it expires and counts views
// and downloads, delete (VOD first, audited).
func TestPlaybackLibrary(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		vod := tests.NewFakeVOD(t, "AKIDcon", "conKey")
		h, sc, _, _ := tests.NewLCIC(t, func(c *server.Config) {
			c.Cloud = svc.Cloud{SecretID: "AKIDcon", SecretKey: "conKey"}
			c.VOD.Endpoint = vod.URL
		})
		console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
		tid, rooms := recordClasses(t, h, sc, 12)
		for i, id := range rooms {
			for f := range 1 + i%2 {
				vod.Add(tests.VODMedia{FileID: fmt.Sprintf("v%d-%d", id, f)})
			}
		}
		b := newBrowser(t, h)
		b.signIn(adminName, adminPwd)

		rowRE := regexp.MustCompile(`<tr data-room="(\d+)">`)
		_, page := b.do("GET", "/admin/playback", nil)
		if got := rowRE.FindAllStringSubmatch(page, -1); len(got) != 10 || got[0][1] != fmt.Sprint(rooms[11]) ||
			!strings.Contains(page, "12 classes with recordings") || !strings.Contains(page, "2 files (675.3 MB)") {
			t.Fatalf("page 1: %d rows: %s", len(got), page)
		}
		if _, page := b.do("GET", "/admin/playback?page=2", nil); len(rowRE.FindAllString(page, -1)) != 2 ||
			!strings.Contains(page, "scheduled class") {
			t.Fatalf("page 2: %s", page)
		}
		for q, want := range map[string]int{"06-03": 1, fmt.Sprint(rooms[4]): 1, tid: 10, "nothing": 0} {
			if _, page := b.do("GET", "/admin/playback?q="+url.QueryEscape(q), nil); len(rowRE.FindAllString(page, -1)) != want {
				t.Errorf("search %q: want %d rows", q, want)
			}
		}

		// A class's page, and a share link.
		id := rooms[3]
		_, page = b.do("GET", fmt.Sprintf("/admin/playback/%d", id), nil)
		if !strings.Contains(page, "2 files, 675.3 MB in all") || !strings.Contains(page, "viewed 0 times") {
			t.Fatalf("class page: %s", page)
		}
		resp, page := b.do("POST", fmt.Sprintf("/admin/playback/%d/share", id), url.Values{"csrf": {csrfOf(t, page)}, "hours": {"2"}})
		link := regexp.MustCompile(`id="share-link" href="([^"]+)"`).FindStringSubmatch(page)
		if resp.StatusCode != 200 || link == nil {
			t.Fatalf("share: %d %s", resp.StatusCode, page)
		}
		share := strings.ReplaceAll(link[1], "&amp;", "&")
		anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(u string) (*http.Response, string) {
			t.Helper()
			r, err := anon.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			raw, _ := io.ReadAll(r.Body)
			return r, string(raw)
		}
		r, body := get(share)
		dl := regexp.MustCompile(`class="download" href="([^"]+)"`).FindAllStringSubmatch(body, -1)
		if r.StatusCode != 200 || len(dl) != 2 || !strings.Contains(body, "viewed 1 times") || !strings.Contains(body, "vod.example") {
			t.Fatalf("shared page: %d %s", r.StatusCode, body)
		}
		r, _ = get(h.HTTP.URL + strings.ReplaceAll(dl[1][1], "&amp;", "&"))
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != fmt.Sprintf("https://vod.example/%d-1.mp4", id) {
			t.Fatalf("download: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if _, page := b.do("GET", fmt.Sprintf("/admin/playback/%d", id), nil); !strings.Contains(page, "viewed 1 times · downloaded 1 times") {
			t.Fatalf("counts: %s", page)
		}
		// Forged, another class's, expired.
		u, _ := url.Parse(share)
		forged := strings.Replace(share, u.Query().Get("s"), strings.Repeat("0", 64), 1)
		other := strings.Replace(share, fmt.Sprintf("/playback/%d?", id), fmt.Sprintf("/playback/%d?", rooms[2]), 1)
		for _, bad := range []string{forged, other} {
			if r, _ := get(bad); r.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: %d", bad, r.StatusCode)
			}
		}
		h.Advance(3 * time.Hour)
		if r, _ := get(share); r.StatusCode != http.StatusGone {
			t.Fatalf("expired link: %d", r.StatusCode)
		}
		resp, _ = b.do("POST", fmt.Sprintf("/admin/playback/%d/share", id), url.Values{"csrf": {csrfOf(t, page)}, "hours": {"9999"}})
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=") {
			t.Fatalf("a 9999-hour link: %s", loc)
		}

		// Delete: VOD down changes nothing; then both files go.
		vod.SetDown(true)
		resp, _ = b.do("POST", fmt.Sprintf("/admin/playback/%d/delete", id), url.Values{"csrf": {csrfOf(t, page)}})
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=") {
			t.Fatalf("delete with VOD down: %s", loc)
		}
		vod.SetDown(false)
		resp, _ = b.do("POST", fmt.Sprintf("/admin/playback/%d/delete", id), url.Values{"csrf": {csrfOf(t, page)}})
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "note=") || vod.Has(fmt.Sprintf("v%d-0", id)) || vod.Has(fmt.Sprintf("v%d-1", id)) {
			t.Fatalf("delete: %s", loc)
		}
		if _, page := b.do("GET", "/admin/playback", nil); !strings.Contains(page, "11 classes with recordings") {
			t.Fatalf("after delete: %s", page)
		}
		if _, page := b.do("GET", "/admin/audit", nil); !strings.Contains(page, "delete recordings") {
			t.Fatalf("audit: %s", page)
		}
	})
}

// The callbacks page: the URL set in the console, the delivery log,
// an event sent again.
func TestCallbackLog(t *testing.T) {
	h, sc, _, _ := tests.NewLCIC(t, nil)
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	got := make(chan bool, 100)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		got <- q.Get("Sign") == lcic.Sign("k1", atoi(q.Get("ExpireTime")))
		w.WriteHeader(500)
	}))
	defer rcv.Close()
	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)
	_, page := b.do("GET", "/admin/callbacks", nil)
	resp, _ := b.do("POST", "/admin/callbacks", url.Values{"csrf": {csrfOf(t, page)}, "app": {fmt.Sprint(tests.AppA)},
		"callback": {"ftp://nope"}, "key": {"k1"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=") {
		t.Fatalf("an ftp callback: %s", loc)
	}
	b.do("POST", "/admin/callbacks", url.Values{"csrf": {csrfOf(t, page)}, "app": {fmt.Sprint(tests.AppA)}, "callback": {rcv.URL}, "key": {"k1"}})
	// An empty key keeps the key.
	b.do("POST", "/admin/callbacks", url.Values{"csrf": {csrfOf(t, page)}, "app": {fmt.Sprint(tests.AppA)}, "callback": {rcv.URL + "/cb"}})
	if d := sc.Call("DescribeAppDetail", tests.M{"SdkAppId": tests.AppA}); !strings.Contains(fmt.Sprint(d), rcv.URL+"/cb") {
		t.Fatalf("app after the console: %v", d)
	}
	sc.Call("CreateDocument", tests.M{"SdkAppId": tests.AppA, "DocumentUrl": "https://cdn.example/a.png", "DocumentName": "A"})
	h.App.LCIC.Deliver(t.Context())
	if !<-got {
		t.Fatal("a callback not signed with the key set in the console")
	}
	_, page = b.do("GET", "/admin/callbacks?state=0", nil)
	ev := regexp.MustCompile(`<tr data-event="(\d+)">`).FindStringSubmatch(page)
	if ev == nil || !strings.Contains(page, "DocumentCreate") || !strings.Contains(page, "HTTP 500") {
		t.Fatalf("log: %s", page)
	}
	// Given up after a day, then sent again by hand.
	for range 30 {
		h.Advance(time.Hour)
		h.App.LCIC.Deliver(t.Context())
	}
	b.signIn(adminName, adminPwd) // a day later: the session is over
	_, page = b.do("GET", "/admin/callbacks?state=2", nil)
	if !strings.Contains(page, `data-event="`+ev[1]+`"`) || !strings.Contains(page, "given up") {
		t.Fatalf("given up: %s", page)
	}
	resp, _ = b.do("POST", "/admin/callbacks/redeliver", url.Values{"csrf": {csrfOf(t, page)}, "id": {ev[1]}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "note=") {
		t.Fatalf("redeliver: %s", loc)
	}
	if _, page := b.do("GET", "/admin/callbacks?state=0", nil); !strings.Contains(page, `data-event="`+ev[1]+`"`) {
		t.Fatalf("pending again: %s", page)
	}
	if _, page := b.do("GET", "/admin/audit", nil); !strings.Contains(page, "set LCIC callback") || !strings.Contains(page, "redeliver LCIC callback") {
		t.Fatalf("audit: %s", page)
	}
}

// The playback library and the document library in a real browser;
// screenshots to $SXB_SCREENSHOTS.
func TestLibrariesBrowser(t *testing.T) {
	ctx, shots := headless(t, 1280, 700)
	h, sc, _, _ := tests.NewLCIC(t, nil)
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	tid, rooms := recordClasses(t, h, sc, 3)
	for i, name := range []string{"Lesson 1 slides.pptx", "Worksheet.pdf", "Experiment.mp4", "Diagram.png"} {
		ext := name[strings.LastIndex(name, ".")+1:]
		typ := map[string]int{"pptx": 1, "pdf": 1, "mp4": 2, "png": 0}[ext]
		sc.Call("CreateDocument", tests.M{"SdkAppId": tests.AppA, "DocumentUrl": "https://cdn.example/" + url.PathEscape(name),
			"DocumentName": name, "Owner": tid, "TranscodeType": typ, "DocumentSize": (i + 1) * 3_000_000})
	}
	shot := func(name string) chromedp.Action { return screenshot(shots, name) }
	var rows, docs, summary string
	err := chromedp.Run(ctx,
		signInActions(h.HTTP.URL),
		chromedp.Navigate(h.HTTP.URL+"/admin/playback"),
		chromedp.WaitVisible("#playbacks", chromedp.ByID),
		chromedp.Text("#playbacks tbody", &rows, chromedp.ByQuery),
		shot("playback.png"),
		chromedp.SendKeys("#q", "06-02", chromedp.ByID),
		chromedp.Click("#search", chromedp.ByID),
		// The list before the search shows the row too: wait for the
		// searched page, without the other classes, before clicking it.
		chromedp.WaitNotPresent(fmt.Sprintf(`tr[data-room="%d"]`, rooms[2]), chromedp.ByQuery),
		chromedp.WaitVisible(fmt.Sprintf(`tr[data-room="%d"]`, rooms[1]), chromedp.ByQuery),
		chromedp.Click(fmt.Sprintf(`tr[data-room="%d"] a`, rooms[1]), chromedp.ByQuery),
		chromedp.WaitVisible("#files", chromedp.ByID),
		chromedp.Click("#share", chromedp.ByID),
		chromedp.WaitVisible("#share-link", chromedp.ByID),
		shot("playback-class.png"),
		chromedp.Click("#share-link", chromedp.ByID),
		chromedp.WaitVisible("#summary", chromedp.ByID),
		chromedp.Text("#summary", &summary, chromedp.ByID),
		chromedp.Navigate(h.HTTP.URL+"/admin/courseware"),
		chromedp.WaitVisible("#documents", chromedp.ByID),
		chromedp.Text("#documents tbody", &docs, chromedp.ByQuery),
		shot("courseware.png"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rows, "Neal's class 06-03") || !strings.Contains(rows, "scheduled class") || !strings.Contains(summary, "viewed 1 times") {
		t.Fatalf("playback rows %q, shared page %q", rows, summary)
	}
	if !strings.Contains(docs, "Worksheet.pdf") || !strings.Contains(docs, "running 0%") || !strings.Contains(docs, "not needed") {
		t.Fatalf("courseware rows %q", docs)
	}
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

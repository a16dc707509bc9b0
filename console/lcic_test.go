package console_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"sxb-edu/console"
	"sxb-edu/tests"
)

// nextMonday is the start of the week after now's.
func nextMonday(now time.Time) time.Time {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	return day.AddDate(0, 0, 7-((int(day.Weekday())+6)%7))
}

// scheduleWeek registers a teacher and a group of students through the
// API and schedules a class a day this week; it answers the teacher's
// UserId, a student's, the group and the rooms.
func scheduleWeek(t *testing.T, h *tests.Env, sc *tests.School) (string, string, string, []int64) {
	app := int64(tests.AppA)
	tid := sc.Call("RegisterUser", tests.M{"SdkAppId": app, "Name": "Ms Li", "OriginId": "staff-1"})["UserId"].(string)
	var students []string
	for i := range 3 {
		students = append(students, sc.Call("RegisterUser", tests.M{"SdkAppId": app, "Name": fmt.Sprintf("S%d", i), "OriginId": fmt.Sprintf("stu-%d", i)})["UserId"].(string))
	}
	g := sc.Call("CreateGroupWithMembers", tests.M{"SdkAppId": app, "GroupName": "Class 3A", "TeacherId": tid, "MemberIds": students[:2]})["GroupId"].(string)
	now := time.Unix(h.Unix(), 0).In(time.Local)
	// One class today (soon), six next week.
	type slot struct {
		start int64
		name  string
	}
	next := nextMonday(now)
	slots := []slot{{h.Unix() + 600, "Physics (today)"}}
	for i, s := range []struct {
		day, hour int
		name      string
	}{{0, 9, "Physics"}, {1, 11, "Maths"}, {2, 9, "Physics"}, {2, 16, "Lab"}, {3, 14, "Maths"}, {4, 9, "Physics"}} {
		t := next.AddDate(0, 0, s.day).Add(time.Duration(s.hour) * time.Hour)
		slots = append(slots, slot{t.Unix(), fmt.Sprintf("%s %d", s.name, i+1)})
	}
	var rooms []int64
	for _, s := range slots {
		id := sc.Call("CreateRoom", tests.M{"SdkAppId": app, "Name": s.name, "StartTime": s.start,
			"EndTime": s.start + 2700, "TeacherId": tid, "GroupId": g})["RoomId"].(float64)
		rooms = append(rooms, int64(id))
	}
	return tid, students[0], g, rooms
}

// API keys in the console: made (the secret shown once), used, revoked;
// the week view for the school, a teacher, a student and a group.
func TestLCICPages(t *testing.T) {
	h, sc, _, _ := tests.NewLCIC(t, nil)
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	tid, student, group, rooms := scheduleWeek(t, h, sc)
	b := newBrowser(t, h)
	b.signIn(adminName, adminPwd)

	_, page := b.do("GET", "/admin/apikeys", nil)
	if !strings.Contains(page, "timetable sync") || !strings.Contains(page, `<span class="pill present">live</span>`) {
		t.Fatalf("keys page: %s", page)
	}
	resp, page := b.do("POST", "/admin/apikeys", url.Values{"csrf": {csrfOf(t, page)}, "name": {"grades"}, "app": {fmt.Sprint(tests.AppA)}})
	m := regexp.MustCompile(`id="secretid">([^<]+)</code><br>SecretKey: <code id="secretkey">([^<]+)<`).FindStringSubmatch(page)
	if m == nil || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("new key page: %s", page)
	}
	other := tests.NewSchool(t, h, m[1], m[2])
	other.Call("DescribeRoom", tests.M{"RoomId": rooms[0]})
	b.do("POST", "/admin/apikeys/revoke", url.Values{"csrf": {csrfOf(t, page)}, "id": {m[1]}})
	var e *tcerr.TencentCloudSDKError
	if _, err := other.Try("DescribeRoom", tests.M{"RoomId": rooms[0]}); !errors.As(err, &e) || e.Code != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("a key revoked in the console: %v", err)
	}
	if _, page := b.do("GET", "/admin/audit", nil); !strings.Contains(page, "create API key") || !strings.Contains(page, "revoke API key") ||
		!strings.Contains(page, "lcic DescribeRoom") {
		t.Fatalf("audit: %s", page)
	}

	count := func(q string) int {
		_, page := b.do("GET", "/admin/timetable?"+q, nil)
		return strings.Count(page, `class="room`)
	}
	next := "week=" + nextMonday(time.Unix(h.Unix(), 0).In(time.Local)).Format("2006-01-02")
	for q, want := range map[string]int{"": 1, next: 6, next + "&teacher=" + tid: 6, next + "&student=" + student: 6,
		next + "&group=" + group: 6, next + "&student=nobody": 0, next + "&teacher=nobody": 0} {
		if n := count(q); n != want {
			t.Errorf("timetable?%s shows %d classes, want %d", q, n, want)
		}
	}
	// A room's page: its schedule.
	if _, page := b.do("GET", fmt.Sprintf("/admin/classes/%d", rooms[0]), nil); !strings.Contains(page, `id="schedule"`) || !strings.Contains(page, tid) {
		t.Fatalf("room page: %s", page)
	}
}

// The week view in a real browser: today's living class is marked, and
// its link opens the class's page. Screenshots to $SXB_SCREENSHOTS.
func TestTimetableBrowser(t *testing.T) {
	ctx, shots := headless(t, 1280, 860)
	h, sc, _, _ := tests.NewLCIC(t, nil)
	console.CreateAdmin(context.Background(), h.Store, adminName, adminPwd, h.Now())
	tid, _, _, rooms := scheduleWeek(t, h, sc)
	// The teacher starts today's class through the 随心播 protocol.
	tok := sc.Call("LoginUser", tests.M{"UserId": tid})["Token"].(string)
	today := rooms[0]
	h.Call(tests.AppA, tok, "live", "startcourse", tests.M{"roomnum": today}).Want(t, 0)

	var living, title string
	err := chromedp.Run(ctx,
		signInActions(h.HTTP.URL),
		chromedp.Navigate(h.HTTP.URL+"/admin/timetable"),
		chromedp.WaitVisible("#week", chromedp.ByID),
		chromedp.AttributeValue("a.room.living", "data-room", &living, nil, chromedp.ByQuery),
		screenshot(shots, "timetable.png"),
		chromedp.Click("a.room.living", chromedp.ByQuery),
		chromedp.WaitVisible("#schedule", chromedp.ByID),
		chromedp.Title(&title),
		// Next week's view, full, for the README.
		chromedp.Navigate(h.HTTP.URL+"/admin/timetable?week="+nextMonday(time.Unix(h.Unix(), 0).In(time.Local)).Format("2006-01-02")),
		chromedp.WaitVisible("#week", chromedp.ByID),
		screenshot(shots, "timetable-week.png"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if living != fmt.Sprint(today) || !strings.Contains(title, fmt.Sprint(today)) {
		t.Fatalf("living class %q (want %d), then page %q", living, today, title)
	}
}

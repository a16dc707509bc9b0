package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sxb-edu/store"
)

type apiKeysData struct {
	Keys []store.APIKey
	// New is the key just made: its secret is shown this once.
	New  *newKey
	Apps []int64
}

type newKey struct{ Name, SecretID, SecretKey string }

func (c *Console) apiKeys(w http.ResponseWriter, r *http.Request, s *operator) {
	c.renderKeys(w, r, s, nil, r.URL.Query().Get("error"))
}

func (c *Console) renderKeys(w http.ResponseWriter, r *http.Request, s *operator, made *newKey, errText string) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	keys, err := c.d.Store.APIKeys(r.Context())
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "API keys", Who: s, Error: err.Error()})
		return
	}
	var apps []int64
	for _, a := range c.d.Svc.Cfg.Apps {
		apps = append(apps, a.SDKAppID)
	}
	c.render(w, http.StatusOK, "apikeys", page{Title: "API keys", Who: s, Data: apiKeysData{Keys: keys, New: made, Apps: apps},
		Note: r.URL.Query().Get("note"), Error: errText})
}

func (c *Console) createAPIKey(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	app, _ := strconv.ParseInt(r.PostFormValue("app"), 10, 64)
	if _, ok := c.d.Svc.App(app); !ok {
		c.renderKeys(w, r, s, nil, fmt.Sprintf("app %d is not one this server serves", app))
		return
	}
	ctx := c.action(r, s, "create API key", name, strconv.FormatInt(app, 10))
	id, secret, err := c.d.LCIC.CreateKey(ctx, name, app)
	if err != nil {
		c.renderKeys(w, r, s, nil, err.Error())
		return
	}
	// The secret is in this answer only: the page is not cached.
	w.Header().Set("Cache-Control", "no-store")
	c.renderKeys(w, r, s, &newKey{Name: name, SecretID: id, SecretKey: secret}, "")
}

func (c *Console) revokeAPIKey(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PostFormValue("id")
	ok, err := c.d.Store.RevokeAPIKey(c.action(r, s, "revoke API key", id, ""), id, c.d.Now().Unix())
	if err == nil && !ok {
		err = fmt.Errorf("no live key %s", id)
	}
	done(w, r, "/admin/apikeys", err, "The key "+id+" is revoked: calls with it are refused from now on.")
}

// weekDay is a column of the week view.
type weekDay struct {
	Date  time.Time
	Today bool
}

// weekSlot is an hour row of the week view: the classes starting in it,
// one list a day.
type weekSlot struct {
	Hour  int
	Cells [7][]store.LCICRoomRow
}

type timetableData struct {
	Days                    [7]weekDay
	Slots                   []weekSlot
	Week, Prev, Next        string
	Teacher, Student, Group string
	Query                   string
	Total                   int64
}

// timetable is the week view of the scheduled classes (课程表): days
// across, hours down, for a teacher, a student, a group or the school.
func (c *Console) timetable(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	now := c.d.Now().In(time.Local)
	day, err := time.ParseInLocation("2006-01-02", q.Get("week"), time.Local)
	if err != nil {
		day = now
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.Local)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	d := timetableData{Week: monday.Format("2006-01-02"), Prev: monday.AddDate(0, 0, -7).Format("2006-01-02"),
		Next: monday.AddDate(0, 0, 7).Format("2006-01-02"), Teacher: strings.TrimSpace(q.Get("teacher")),
		Student: strings.TrimSpace(q.Get("student")), Group: strings.TrimSpace(q.Get("group"))}
	d.Query = url.Values{"teacher": {d.Teacher}, "student": {d.Student}, "group": {d.Group}}.Encode()
	for i := range d.Days {
		t := monday.AddDate(0, 0, i)
		d.Days[i] = weekDay{Date: t, Today: t.Year() == now.Year() && t.YearDay() == now.YearDay()}
	}
	f := store.LCICRoomFilter{From: monday.Unix(), To: monday.AddDate(0, 0, 7).Unix() - 1, TeacherID: d.Teacher,
		MemberID: d.Student, GroupID: d.Group, Limit: 5000}
	total, rows, err := c.d.Store.LCICRooms(r.Context(), f)
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Timetable", Who: s, Error: err.Error()})
		return
	}
	d.Total = total
	// The school day 07:00–21:00, widened to hold every class of the week.
	first, last := 7, 21
	for _, row := range rows {
		h := time.Unix(row.StartTime, 0).In(time.Local).Hour()
		first, last = min(first, h), max(last, h)
	}
	for h := first; h <= last; h++ {
		d.Slots = append(d.Slots, weekSlot{Hour: h})
	}
	for _, row := range rows {
		t := time.Unix(row.StartTime, 0).In(time.Local)
		col := int(t.Sub(monday).Hours() / 24)
		if col < 0 || col > 6 {
			continue
		}
		slot := &d.Slots[t.Hour()-first]
		slot.Cells[col] = append(slot.Cells[col], row)
	}
	c.render(w, http.StatusOK, "timetable", page{Title: "Timetable", Who: s, Data: d})
}

type coursewareData struct {
	Docs               []store.LCICDocument
	Keyword, Owner     string
	Query              string
	Total, Page, Pages int64
}

// courseware is the document library (课件库) the school's system fills
// through the API: search by name, or by owner.
func (c *Console) courseware(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	d := coursewareData{Keyword: strings.TrimSpace(q.Get("q")), Owner: strings.TrimSpace(q.Get("owner")), Page: pageNum(r)}
	total, docs, err := c.d.Store.LCICDocuments(r.Context(), store.LCICDocFilter{Keyword: d.Keyword, Owner: d.Owner,
		Offset: (d.Page - 1) * playbackPage, Limit: playbackPage})
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Courseware", Who: s, Error: err.Error()})
		return
	}
	d.Docs, d.Total, d.Pages = docs, total, max(1, (total+playbackPage-1)/playbackPage)
	d.Query = url.Values{"q": {d.Keyword}, "owner": {d.Owner}}.Encode()
	c.render(w, http.StatusOK, "courseware", page{Title: "Courseware", Who: s, Data: d})
}

type callbacksData struct {
	Apps               []store.LCICApp
	Events             []store.LCICEvent
	State              int
	Total, Page, Pages int64
}

// callbacks shows each app's callback settings and the delivery log.
func (c *Console) callbacks(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	d := callbacksData{State: -1, Page: pageNum(r)}
	if v, err := strconv.Atoi(q.Get("state")); err == nil {
		d.State = v
	}
	fail := func(err error) {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Callbacks", Who: s, Error: err.Error()})
	}
	for _, a := range c.d.Svc.Cfg.Apps {
		app, err := c.d.Store.LCICApp(r.Context(), a.SDKAppID)
		if err != nil {
			fail(err)
			return
		}
		d.Apps = append(d.Apps, *app)
	}
	total, events, err := c.d.Store.LCICEventLog(r.Context(), d.State, (d.Page-1)*pageSize, pageSize)
	if err != nil {
		fail(err)
		return
	}
	d.Events, d.Total, d.Pages = events, total, max(1, (total+pageSize-1)/pageSize)
	c.render(w, http.StatusOK, "callbacks", page{Title: "Callbacks", Who: s, Data: d, Note: q.Get("note"), Error: q.Get("error")})
}

func (c *Console) setCallback(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	app := atoi64(r.PostFormValue("app"))
	if _, ok := c.d.Svc.App(app); !ok {
		done(w, r, "/admin/callbacks", fmt.Errorf("app %d is not one this server serves", app), "")
		return
	}
	u, key := strings.TrimSpace(r.PostFormValue("callback")), r.PostFormValue("key")
	if key == "" { // kept: the form never shows it
		a, err := c.d.Store.LCICApp(r.Context(), app)
		if err != nil {
			done(w, r, "/admin/callbacks", err, "")
			return
		}
		key = a.CallbackKey
	}
	err := c.d.LCIC.SetCallback(c.action(r, s, "set LCIC callback", strconv.FormatInt(app, 10), u), app, u, key)
	done(w, r, "/admin/callbacks", err, fmt.Sprintf("The callbacks of app %d go to %q from now on.", app, u))
}

func (c *Console) redeliver(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.LCIC == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PostFormValue("id")
	err := c.d.LCIC.Redeliver(c.action(r, s, "redeliver LCIC callback", id, ""), atoi64(id))
	done(w, r, "/admin/callbacks", err, "Event "+id+" goes again within a second.")
}

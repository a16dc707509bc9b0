// Package console is the operator's web console at /admin/: server-
// rendered pages (html/template, every asset embedded) over the same
// service the protocols use. Its accounts are its own; every page and
// the JSON the overview polls need a session; every form carries a CSRF
// token; every action is audited.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/crypto/bcrypt"

	"sxb-edu/auiclass"
	"sxb-edu/auilive"
	"sxb-edu/front"
	"sxb-edu/goclass"
	"sxb-edu/lcic"
	"sxb-edu/store"
	"sxb-edu/svc"
)

//go:embed pages.html app.js
var assets embed.FS

// Deps are what the console works on.
type Deps struct {
	Store    *store.Store
	Svc      *svc.Service
	GoClass  *goclass.Service  // nil without the GO课堂 API
	AUILive  *auilive.Service  // nil without the AUI live API
	AUIClass *auiclass.Service // nil without the AUI classroom API
	LCIC     *lcic.Service     // nil without the LCIC API
	Gather   func() ([]*dto.MetricFamily, error)
	Log      *slog.Logger
	Now      func() time.Time
	// CertExpiry, when the server serves HTTPS itself, is when its
	// certificate expires (the overview warns 14 days before).
	CertExpiry func() time.Time
}

// Console serves /admin/.
type Console struct {
	d     Deps
	pages *template.Template
	mux   *http.ServeMux
	stats sampler
	fails failures
	js    []byte
}

// certWarnBefore is how long before its expiry the overview warns of the
// HTTPS certificate.
const certWarnBefore = 14 * 24 * time.Hour

// Session lifetime (idle) and the login limits.
const (
	SessionIdle   = 12 * time.Hour
	failWindow    = 15 * time.Minute
	failMax       = 5
	pageSize      = 50
	sessionCookie = "sxb_admin"
	loginCookie   = "sxb_admin_login"
	setupSetting  = "admin_setup_token"
	minPassword   = 8
)

// New builds the console.
func New(d Deps) *Console {
	if d.Now == nil {
		d.Now = time.Now
	}
	c := &Console{d: d, mux: http.NewServeMux()}
	c.stats.gather = d.Gather
	c.fails.m = map[string][]time.Time{}
	c.pages = template.Must(template.New("").Funcs(template.FuncMap{
		"time":       func(sec int64) string { return stamp(sec, time.Second) },
		"ms":         func(ms int64) string { return stamp(ms, time.Millisecond) },
		"age":        func(sec int64) string { return c.age(sec) },
		"state":      stateName,
		"livestate":  liveStateName,
		"classstate": auiClassStateName,
		"identity":   auiIdentityName,
		"mstatus":    auiMemberStatusName,
		"livemode":   liveModeName,
		"bytes":      func(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) },
		"add":        func(a, b int64) int64 { return a + b },
		"hm":         func(sec int64) string { return time.Unix(sec, 0).In(time.Local).Format("15:04") },
	}).ParseFS(assets, "pages.html"))
	c.js, _ = assets.ReadFile("app.js")
	c.routes()
	return c
}

func stamp(v int64, unit time.Duration) string {
	if v <= 0 {
		return "—"
	}
	return time.Unix(0, v*int64(unit)).UTC().Format("2006-01-02 15:04:05 UTC")
}

func (c *Console) age(sec int64) string {
	if sec <= 0 {
		return "—"
	}
	return ago(time.Duration(c.d.Now().Unix()-sec) * time.Second)
}

// ago says how long ago in the largest unit that fits.
func ago(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "just now"
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

func stateName(s int) string {
	switch s {
	case store.StateLiving:
		return "in progress"
	case store.StateEnded:
		return "ended"
	case 3:
		return "ended, replay ready"
	}
	return "created"
}

func liveStateName(s int) string {
	switch s {
	case auilive.StatusStarted:
		return "live"
	case auilive.StatusStopped:
		return "ended"
	case auilive.StatusPaused:
		return "paused"
	}
	return "prepared"
}

func auiClassStateName(st int) string {
	switch st {
	case auiclass.StatusStarted:
		return "in class"
	case auiclass.StatusStopped:
		return "ended"
	}
	return "not started"
}

func auiIdentityName(i int) string {
	switch i {
	case auiclass.Teacher:
		return "teacher"
	case auiclass.Assistant:
		return "assistant"
	}
	return "student"
}

func auiMemberStatusName(st int) string {
	switch st {
	case auiclass.Left:
		return "left"
	case auiclass.Kicked:
		return "kicked"
	}
	return "present"
}

func liveModeName(m int) string {
	switch m {
	case auilive.ModeLink:
		return "co-streaming"
	case auilive.ModePK:
		return "PK"
	}
	return "normal"
}

// Run samples the metrics for the overview until ctx ends.
func (c *Console) Run(ctx context.Context) {
	if c.d.Gather == nil {
		return
	}
	// Rates are of real traffic: real time, whatever the service's clock.
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	c.stats.take(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.stats.take(now)
		}
	}
}

// SetupLink returns the one-time path that creates the first account
// while there is none ("" once there is one).
func (c *Console) SetupLink(ctx context.Context) (string, error) {
	n, err := c.d.Store.AdminCount(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	val, err := c.d.Store.AddSetting(ctx, setupSetting, newSetupToken(c.d.Now()))
	if err != nil {
		return "", err
	}
	if _, exp := splitSetup(val); c.d.Now().Unix() >= exp {
		// An old link lapsed: a new one replaces it.
		if err := c.d.Store.DeleteSetting(ctx, setupSetting); err != nil {
			return "", err
		}
		if val, err = c.d.Store.AddSetting(ctx, setupSetting, newSetupToken(c.d.Now())); err != nil {
			return "", err
		}
	}
	tok, _ := splitSetup(val)
	return "/admin/setup?token=" + tok, nil
}

// SetupLinkLife is how long a setup link works.
const SetupLinkLife = 24 * time.Hour

// A setup token is stored as "token.expiry" (unix seconds).
func newSetupToken(now time.Time) string {
	return randomHex(16) + "." + strconv.FormatInt(now.Add(SetupLinkLife).Unix(), 10)
}

func splitSetup(val string) (tok string, exp int64) {
	tok, e, _ := strings.Cut(val, ".")
	exp, _ = strconv.ParseInt(e, 10, 64)
	return tok, exp
}

// CreateAdmin adds a console account (sxb-edu admin create).
func CreateAdmin(ctx context.Context, st *store.Store, name, pwd string, now time.Time) error {
	if err := validAccount(name, pwd); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pwd), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	if err := st.CreateAdmin(ctx, name, string(hash), now.Unix()); errors.Is(err, store.ErrExists) {
		return fmt.Errorf("an account named %q exists", name)
	} else if err != nil {
		return err
	}
	st.DeleteSetting(ctx, setupSetting)
	return st.Audit(ctx, store.AuditEntry{At: now.Unix(), Admin: name, Action: "create admin", Target: name})
}

func validAccount(name, pwd string) error {
	if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t\r\n") {
		return errors.New("a name is 1 to 64 characters without spaces")
	}
	if len(pwd) < minPassword {
		return fmt.Errorf("a password needs at least %d characters", minPassword)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// ServeHTTP answers /admin/… and the playback share links with the console's security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	rec := front.From(r.Context())
	rec.Svc, rec.Cmd = "admin", "page"
	c.mux.ServeHTTP(w, r)
}

// operator is the signed-in console account of a request (its session).
type operator struct {
	store.AdminSession
	hash string
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET /admin/login", c.loginPage)
	m.HandleFunc("POST /admin/login", c.login)
	m.HandleFunc("GET /admin/setup", c.setupPage)
	m.HandleFunc("POST /admin/setup", c.setup)
	// Share links: no session, the signature is the permission.
	m.HandleFunc("GET /playback/{id}", c.shared)
	m.HandleFunc("GET /playback/{id}/{file}", c.shared)
	m.HandleFunc("/admin", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/admin/", http.StatusFound) })
	auth := func(pattern string, h func(http.ResponseWriter, *http.Request, *operator)) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			s := c.session(r)
			if s == nil {
				if strings.HasSuffix(r.URL.Path, ".json") || r.Method != http.MethodGet {
					http.Error(w, "login required", http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
				return
			}
			if r.Method == http.MethodPost && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.CSRF)) != 1 {
				http.Error(w, "the form is stale or forged (CSRF token mismatch): reload the page", http.StatusForbidden)
				return
			}
			h(w, r, s)
		})
	}
	auth("GET /admin/{$}", c.overview)
	auth("GET /admin/overview.json", c.overviewJSON)
	auth("GET /admin/app.js", func(w http.ResponseWriter, r *http.Request, _ *operator) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(c.js)
	})
	auth("GET /admin/classes", c.classes)
	auth("GET /admin/classes/{id}", c.class)
	auth("POST /admin/classes/{id}/end", c.endClass)
	auth("POST /admin/classes/{id}/remove", c.removeMember)
	auth("POST /admin/classes/{id}/unbind", c.unbind)
	// A GO课堂 room's name is the client's choice (any of / ? # . ..):
	// it travels in the query, never in the path.
	auth("GET /admin/room", c.goClassRoom)
	auth("POST /admin/room/end", c.endGoClassRoom)
	auth("GET /admin/live", c.liveRoom) // ?id=: an IM group id is the cloud's choice
	auth("POST /admin/live/end", c.endLiveRoom)
	auth("GET /admin/auiclass", c.auiClass) // ?id=, as for live rooms
	auth("POST /admin/auiclass/end", c.endAUIClass)
	auth("POST /admin/auiclass/remove", c.removeAUIMember)
	auth("POST /admin/auiclass/lift", c.liftAUIKick)
	auth("GET /admin/playback", c.playbacks)
	auth("GET /admin/playback/{id}", c.playback)
	auth("POST /admin/playback/{id}/delete", c.deletePlayback)
	auth("POST /admin/playback/{id}/share", c.sharePlayback)
	auth("GET /admin/courseware", c.courseware)
	auth("GET /admin/callbacks", c.callbacks)
	auth("POST /admin/callbacks", c.setCallback)
	auth("POST /admin/callbacks/redeliver", c.redeliver)
	auth("GET /admin/timetable", c.timetable)
	auth("GET /admin/apikeys", c.apiKeys)
	auth("POST /admin/apikeys", c.createAPIKey)
	auth("POST /admin/apikeys/revoke", c.revokeAPIKey)
	auth("GET /admin/users", c.users)
	auth("POST /admin/users/{uin}/password", c.resetPassword)
	auth("POST /admin/users/{uin}/signout", c.signOut)
	auth("GET /admin/audit", c.audit)
	auth("POST /admin/logout", c.logout)
	auth("/admin/", func(w http.ResponseWriter, r *http.Request, _ *operator) { http.NotFound(w, r) })
}

// session finds the request's live session (nil: none or expired).
func (c *Console) session(r *http.Request) *operator {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) != 64 {
		return nil
	}
	now := c.d.Now()
	h := hashToken(ck.Value)
	s, err := c.d.Store.AdminSessionByHash(r.Context(), h, now.Unix(), now.Add(SessionIdle).Unix())
	if err != nil {
		return nil
	}
	return &operator{*s, h}
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/admin/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

type page struct {
	Title string
	Who   *operator
	CSRF  string
	Error string
	Note  string
	Data  any
	LCIC  bool // the LCIC API is on: its pages are in the menu
}

func (c *Console) render(w http.ResponseWriter, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if p.Who != nil {
		p.CSRF = p.Who.CSRF
	}
	p.LCIC = c.d.LCIC != nil
	if err := c.pages.ExecuteTemplate(w, name, p); err != nil {
		c.d.Log.Error("console: render", "page", name, "err", err)
	}
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.session(r) != nil {
		http.Redirect(w, r, "/admin/", http.StatusFound)
		return
	}
	tok := randomHex(16)
	c.setCookie(w, r, loginCookie, tok, 3600)
	c.render(w, http.StatusOK, "login", page{Title: "Sign in", CSRF: tok, Data: r.URL.Query().Get("next")})
}

// clientIP is the client's address as the server found it (behind a
// trusted proxy, the address the proxy names).
func clientIP(r *http.Request) string {
	if a := front.From(r.Context()).Addr; a != "" {
		return a
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Fail answers a request whose page failed without answering (a panic).
func Fail(w http.ResponseWriter, r *http.Request) {
	front.From(r.Context()).Failed = true
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "The console failed on this page (the server's log has the cause). Try again or go back to /admin/.",
		http.StatusInternalServerError)
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		http.Error(w, "the form is stale or forged (CSRF token mismatch): reload the page", http.StatusForbidden)
		return
	}
	name, pwd := r.PostFormValue("name"), r.PostFormValue("password")
	now := c.d.Now()
	again := func(status int, msg string) {
		tok := randomHex(16)
		c.setCookie(w, r, loginCookie, tok, 3600)
		c.render(w, status, "login", page{Title: "Sign in", CSRF: tok, Error: msg, Data: r.PostFormValue("next")})
	}
	// A name is never stored with spaces; MySQL's comparisons ignore
	// trailing ones, so the limiter counts 'ops ' as ops and such a name
	// is never looked up.
	keys := []string{"ip:" + clientIP(r), "name:" + strings.TrimSpace(name)}
	if c.fails.blocked(keys, now) {
		again(http.StatusTooManyRequests, "Too many failed sign-ins: wait a quarter of an hour.")
		return
	}
	a, err := (*store.Admin)(nil), store.ErrNotFound
	if !strings.ContainsAny(name, " \t\r\n") {
		a, err = c.d.Store.AdminByName(r.Context(), name)
	}
	if err == nil {
		err = bcrypt.CompareHashAndPassword([]byte(a.Pwd), []byte(pwd))
	} else {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(pwd)) // as slow as a real check
	}
	if err != nil {
		c.fails.add(keys, now)
		c.d.Log.Warn("console: failed sign-in", "name", clip(name), "addr", clientIP(r))
		c.auditFailure(r, name, "failed sign-in")
		if c.fails.blocked(keys, now) {
			c.auditFailure(r, name, "sign-in locked out for 15 minutes")
		}
		again(http.StatusUnauthorized, "Wrong name or password.")
		return
	}
	c.fails.clear(keys)
	tok := randomHex(32)
	se := store.AdminSession{AdminID: a.ID, CSRF: randomHex(16), Expires: now.Add(SessionIdle).Unix()}
	signIn := c.action(r, &operator{AdminSession: store.AdminSession{Name: a.Name}}, "sign in", a.Name, clientIP(r))
	if err := c.d.Store.CreateAdminSession(signIn, hashToken(tok), se, now.Unix()); err != nil {
		again(http.StatusInternalServerError, "Could not start a session: "+err.Error())
		return
	}
	c.setCookie(w, r, sessionCookie, tok, int(SessionIdle/time.Second))
	c.setCookie(w, r, loginCookie, "", -1)
	http.Redirect(w, r, localNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// auditFailure puts a failed or refused sign-in on the audit list, with
// the client's address (its error is logged: a failure is refused anyway).
func (c *Console) auditFailure(r *http.Request, name, action string) {
	err := c.d.Store.Audit(r.Context(), store.AuditEntry{At: c.d.Now().Unix(), Admin: "-", Action: action,
		Target: clip(name), Detail: clientIP(r)})
	if err != nil {
		c.d.Log.Error("console: audit a failed sign-in", "err", err)
	}
}

// localNext is where a sign-in goes on: a cleaned path under /admin/ of
// this server, never another host (a next of /admin/../\\host/ once
// left the site).
func localNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(next, "\\\r\n\t") {
		return "/admin/"
	}
	p := path.Clean("/" + u.Path)
	if !strings.HasPrefix(p, "/admin/") {
		return "/admin/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// dummyHash is checked for unknown names, so that timing does not tell
// which names exist.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte(randomHex(8)), bcrypt.DefaultCost)
	return h
})

func clip(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *operator) {
	c.d.Store.DeleteAdminSession(c.action(r, s, "sign out", s.Name, ""), s.hash)
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// setupToken is the stored setup value when tok is its live token.
func (c *Console) setupToken(r *http.Request, tok string) (string, bool) {
	val, err := c.d.Store.Setting(r.Context(), setupSetting)
	want, exp := splitSetup(val)
	ok := err == nil && want != "" && c.d.Now().Unix() < exp && subtle.ConstantTimeCompare([]byte(want), []byte(tok)) == 1
	return val, ok
}

func (c *Console) setupPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if _, ok := c.setupToken(r, tok); !ok {
		http.Error(w, "this setup link is not valid (it works once, while the console has no account)", http.StatusForbidden)
		return
	}
	c.render(w, http.StatusOK, "setup", page{Title: "Create the first account", CSRF: tok})
}

func (c *Console) setup(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("csrf") // the setup token is the form's secret
	val, ok := c.setupToken(r, tok)
	if !ok {
		http.Error(w, "this setup link is not valid (it works once, for a day, while the console has no account)", http.StatusForbidden)
		return
	}
	name, pwd := r.PostFormValue("name"), r.PostFormValue("password")
	if err := validAccount(name, pwd); err != nil {
		c.render(w, http.StatusBadRequest, "setup", page{Title: "Create the first account", CSRF: tok, Error: err.Error()})
		return
	}
	// One account per link, however many posts race: the first to take
	// the token makes it.
	if took, err := c.d.Store.TakeSetting(r.Context(), setupSetting, val); err != nil || !took {
		http.Error(w, "this setup link was used already", http.StatusForbidden)
		return
	}
	if n, err := c.d.Store.AdminCount(r.Context()); err != nil || n > 0 {
		http.Error(w, "the console already has an account", http.StatusForbidden)
		return
	}
	if err := CreateAdmin(r.Context(), c.d.Store, name, pwd, c.d.Now()); err != nil {
		c.d.Store.AddSetting(r.Context(), setupSetting, val) // the link may be used again
		c.render(w, http.StatusBadRequest, "setup", page{Title: "Create the first account", CSRF: tok, Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// Overview is the overview's figures (also its JSON).
type Overview struct {
	Living       int64   `json:"classes_in_progress"`
	Present      int64   `json:"members_present"`
	GoClassRooms int     `json:"goclass_rooms"`
	DBBytes      int64   `json:"db_bytes"`
	DBHealthy    bool    `json:"db_healthy"`
	DBError      string  `json:"db_error,omitempty"`
	Traffic      Traffic `json:"traffic"`
	// TLSExpires is the HTTPS certificate's expiry; TLSWarning is set
	// within 14 days of it.
	TLSExpires string `json:"tls_expires,omitempty"`
	TLSWarning string `json:"tls_warning,omitempty"`
	// Servers are the servers sharing a MySQL database (none on SQLite):
	// who holds a lease, whose lapsed, who was fenced out.
	Servers []store.ServerRow `json:"servers,omitempty"`
}

func (c *Console) overviewData(ctx context.Context) Overview {
	var o Overview
	st, err := c.d.Store.Stats(ctx)
	o.Living, o.Present = st.RoomsLiving, st.MembersPresent
	if err == nil {
		err = c.d.Store.Ping(ctx)
	}
	o.DBHealthy = err == nil
	if err != nil {
		o.DBError = err.Error()
	}
	o.DBBytes, _ = c.d.Store.Size(ctx)
	if c.d.GoClass != nil {
		n, _ := c.d.Store.GoClassRoomCount(ctx)
		o.GoClassRooms = int(n)
	}
	o.Traffic = c.stats.traffic()
	if o.Servers, err = c.d.Store.Servers(ctx); err != nil {
		c.d.Log.Warn("console: servers", "err", err)
	}
	if c.d.CertExpiry != nil {
		exp := c.d.CertExpiry()
		o.TLSExpires = exp.UTC().Format("2006-01-02 15:04 UTC")
		if left := exp.Sub(c.d.Now()); left < certWarnBefore {
			o.TLSWarning = fmt.Sprintf("The HTTPS certificate expires on %s (in %s): renew it (replace the files; they are reloaded).",
				o.TLSExpires, strings.TrimSuffix(ago(left), " ago"))
		}
	}
	return o
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *operator) {
	c.render(w, http.StatusOK, "overview", page{Title: "Overview", Who: s, Data: c.overviewData(r.Context())})
}

func (c *Console) overviewJSON(w http.ResponseWriter, r *http.Request, s *operator) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(c.overviewData(r.Context()))
}

func pageNum(r *http.Request) int64 {
	p, _ := strconv.ParseInt(r.URL.Query().Get("page"), 10, 64)
	return max(p, 1)
}

func day(s string, end bool) int64 {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0
	}
	if end {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t.Unix()
}

type classesData struct {
	Rows               []store.RoomRow
	Total, Page, Pages int64
	State              int
	Teacher, From, To  string
	Query              string
	GoClass            []store.GoClassRoom
	GoClassOn          bool
	// The GO课堂 rooms' own pages (epage).
	GoClassTotal, GoClassPage, GoClassPages int64
	// The AUI live rooms and their pages (lpage).
	Live                           []store.LiveRoom
	LiveOn                         bool
	LiveTotal, LivePage, LivePages int64
	// The AUI classroom classes and their pages (cpage).
	AUIClasses                  []store.AUIClass
	AUIClassOn                  bool
	AUITotal, AUIPage, AUIPages int64
}

func (c *Console) classes(w http.ResponseWriter, r *http.Request, s *operator) {
	q := r.URL.Query()
	f := store.RoomSearch{State: -1, Teacher: strings.TrimSpace(q.Get("teacher")), From: day(q.Get("from"), false),
		To: day(q.Get("to"), true), Limit: pageSize}
	if v, err := strconv.Atoi(q.Get("state")); err == nil && q.Get("state") != "" {
		f.State = v
	}
	d := classesData{State: f.State, Teacher: f.Teacher, From: q.Get("from"), To: q.Get("to"), Page: pageNum(r), GoClassOn: c.d.GoClass != nil}
	f.Offset = (d.Page - 1) * pageSize
	total, rows, err := c.d.Store.SearchRooms(r.Context(), f)
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Classes", Who: s, Error: err.Error()})
		return
	}
	d.Rows, d.Total, d.Pages = rows, total, (total+pageSize-1)/pageSize
	qs := url.Values{"state": {q.Get("state")}, "teacher": {f.Teacher}, "from": {d.From}, "to": {d.To}}
	d.Query = qs.Encode()
	if c.d.GoClass != nil {
		d.GoClassPage = max(1, atoi64(q.Get("epage")))
		d.GoClassTotal, d.GoClass, err = c.d.Store.GoClassRooms(r.Context(), (d.GoClassPage-1)*pageSize, pageSize)
		if err != nil {
			c.render(w, http.StatusInternalServerError, "error", page{Title: "Classes", Who: s, Error: err.Error()})
			return
		}
		d.GoClassPages = (d.GoClassTotal + pageSize - 1) / pageSize
	}
	if c.d.AUILive != nil {
		d.LiveOn, d.LivePage = true, max(1, atoi64(q.Get("lpage")))
		d.LiveTotal, err = c.d.Store.LiveRoomCount(r.Context(), -1)
		if err == nil {
			d.Live, err = c.d.Store.LiveRooms(r.Context(), -1, (d.LivePage-1)*pageSize, pageSize)
		}
		if err != nil {
			c.render(w, http.StatusInternalServerError, "error", page{Title: "Classes", Who: s, Error: err.Error()})
			return
		}
		d.LivePages = (d.LiveTotal + pageSize - 1) / pageSize
	}
	if c.d.AUIClass != nil {
		d.AUIClassOn, d.AUIPage = true, max(1, atoi64(q.Get("cpage")))
		d.AUITotal, d.AUIClasses, err = c.d.Store.AUIClasses(r.Context(), (d.AUIPage-1)*pageSize, pageSize)
		if err != nil {
			c.render(w, http.StatusInternalServerError, "error", page{Title: "Classes", Who: s, Error: err.Error()})
			return
		}
		d.AUIPages = (d.AUITotal + pageSize - 1) / pageSize
	}
	c.render(w, http.StatusOK, "classes", page{Title: "Classes", Who: s, Data: d, Note: r.URL.Query().Get("note")})
}

type classData struct {
	Room       *store.Room
	Schedule   *store.LCICRoom // the class's LCIC schedule, if it has one
	Teacher    string
	Members    []store.MemberEntry
	Binds      []store.BindFile
	Recordings []store.Recording
}

func atoi64(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func pathID(r *http.Request, name string) int64 {
	v, _ := strconv.ParseInt(r.PathValue(name), 10, 64)
	return v
}

func (c *Console) class(w http.ResponseWriter, r *http.Request, s *operator) {
	id := pathID(r, "id")
	ctx := r.Context()
	room, err := c.d.Store.Room(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		c.render(w, http.StatusNotFound, "error", page{Title: "Class", Who: s, Error: fmt.Sprintf("There is no class %d.", id)})
		return
	}
	d := classData{Room: room}
	if err == nil {
		d.Teacher, _ = c.d.Store.UID(ctx, room.HostUin)
		d.Members, err = c.d.Store.MemberEntries(ctx, id)
	}
	if err == nil {
		_, d.Binds, err = c.d.Store.Binds(ctx, store.BindFilter{RoomID: id, Limit: 1000})
	}
	if err == nil {
		d.Recordings, err = c.d.Store.Recordings(ctx, id)
	}
	if err == nil && c.d.LCIC != nil {
		if d.Schedule, err = c.d.Store.LCICRoom(ctx, id); errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	}
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Class", Who: s, Error: err.Error()})
		return
	}
	c.render(w, http.StatusOK, "class", page{Title: fmt.Sprintf("Class %d", id), Who: s, Data: d,
		Note: r.URL.Query().Get("note"), Error: r.URL.Query().Get("error")})
}

// done redirects after an action, saying how it went.
func done(w http.ResponseWriter, r *http.Request, to string, err error, note string) {
	q := url.Values{"note": {note}}
	if err != nil {
		q = url.Values{"error": {err.Error()}}
	}
	http.Redirect(w, r, to+"?"+q.Encode(), http.StatusSeeOther)
}

// action is ctx carrying the audit entry of an operator's action: the
// entry is written in the action's own transaction (store.WithAudit).
func (c *Console) action(r *http.Request, s *operator, what, target, detail string) context.Context {
	return store.WithAudit(r.Context(), store.AuditEntry{At: c.d.Now().Unix(), Admin: s.Name, Action: what,
		Target: target, Detail: detail})
}

// sentence turns a store error into the console's words for the thing it
// was about.
func sentence(err error, missing string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errors.New(missing)
	}
	return err
}

func (c *Console) endClass(w http.ResponseWriter, r *http.Request, s *operator) {
	id := pathID(r, "id")
	err := c.d.Svc.AdminEndRoom(c.action(r, s, "end class", strconv.FormatInt(id, 10), ""), id)
	done(w, r, fmt.Sprintf("/admin/classes/%d", id), sentence(err, fmt.Sprintf("no class %d", id)), "The class is ended.")
}

func (c *Console) removeMember(w http.ResponseWriter, r *http.Request, s *operator) {
	id := pathID(r, "id")
	uin, _ := strconv.ParseInt(r.PostFormValue("uin"), 10, 64)
	uid, err := c.d.Store.UID(r.Context(), uin)
	if err == nil {
		err = c.d.Svc.AdminRemoveMember(c.action(r, s, "remove member", strconv.FormatInt(id, 10), uid), id, uin)
	}
	done(w, r, fmt.Sprintf("/admin/classes/%d", id), sentence(err, fmt.Sprintf("no member %d in class %d", uin, id)),
		"Removed "+uid+": they cannot enter this class again.")
}

func (c *Console) unbind(w http.ResponseWriter, r *http.Request, s *operator) {
	id := pathID(r, "id")
	uin, _ := strconv.ParseInt(r.PostFormValue("uin"), 10, 64)
	u := r.PostFormValue("url")
	found, err := c.d.Svc.AdminUnbind(c.action(r, s, "unbind file", strconv.FormatInt(id, 10), u), id, uin, u)
	if err == nil && !found {
		err = fmt.Errorf("no file %s is bound to class %d (any more)", u, id)
	}
	done(w, r, fmt.Sprintf("/admin/classes/%d", id), err, "The file is unbound.")
}

type goClassData struct {
	Room    *store.GoClassRoom
	Members []store.GoClassMember
}

func (c *Console) goClassRoom(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.GoClass == nil {
		http.NotFound(w, r)
		return
	}
	typ, _ := strconv.Atoi(r.FormValue("type"))
	room, ms, err := c.d.GoClass.Room(r.Context(), typ, r.FormValue("name"))
	if err != nil {
		c.render(w, http.StatusNotFound, "error", page{Title: "GO-class room", Who: s, Error: err.Error()})
		return
	}
	c.render(w, http.StatusOK, "eduroom", page{Title: "GO-class room " + room.Name, Who: s, Data: goClassData{room, ms}})
}

func (c *Console) endGoClassRoom(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.GoClass == nil {
		http.NotFound(w, r)
		return
	}
	typ, _ := strconv.Atoi(r.PostFormValue("type"))
	name := r.PostFormValue("name")
	var err error
	if e := c.d.GoClass.AdminEnd(c.action(r, s, "end GO-class room", fmt.Sprintf("%d/%s", typ, name), ""), typ, name); e != nil {
		err = fmt.Errorf("GO-class room %q: %w", name, e)
	}
	done(w, r, "/admin/classes", err, "The GO-class room "+name+" is ended.")
}

type liveData struct {
	Room    *store.LiveRoom
	Members []auilive.MeetingMember
}

func (c *Console) liveRoom(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.AUILive == nil {
		http.NotFound(w, r)
		return
	}
	id := r.FormValue("id")
	room, err := c.d.Store.LiveRoom(r.Context(), id)
	if err != nil {
		c.render(w, http.StatusNotFound, "error", page{Title: "Live room", Who: s, Error: sentence(err, fmt.Sprintf("There is no live room %q.", id)).Error()})
		return
	}
	c.render(w, http.StatusOK, "liveroom", page{Title: "Live room " + room.Title, Who: s, Data: liveData{room, auilive.Members(room)},
		Note: r.URL.Query().Get("note"), Error: r.URL.Query().Get("error")})
}

func (c *Console) endLiveRoom(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.AUILive == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PostFormValue("id")
	_, err := c.d.AUILive.AdminStop(c.action(r, s, "end live room", id, ""), id)
	done(w, r, "/admin/live?id="+url.QueryEscape(id), sentence(err, fmt.Sprintf("no live room %q", id)), "The live room is ended.")
}

type auiClassData struct {
	Class   *store.AUIClass
	Members []store.AUIClassMember
	Kicks   []store.AUIClassKick
	Docs    []store.AUIClassDoc
	Permit  *store.AUIClassPermit
	Now     int64 // ms: which kicks still hold
}

func (c *Console) auiClass(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.AUIClass == nil {
		http.NotFound(w, r)
		return
	}
	ctx, id := r.Context(), r.FormValue("id")
	cl, err := c.d.Store.AUIClass(ctx, id)
	if err != nil {
		c.render(w, http.StatusNotFound, "error", page{Title: "AUI class", Who: s, Error: sentence(err, fmt.Sprintf("There is no AUI class %q.", id)).Error()})
		return
	}
	d := auiClassData{Class: cl, Now: c.d.Now().UnixMilli()}
	_, d.Members, err = c.d.Store.AUIClassMembers(ctx, id, 0, 0, 0, 1000)
	if err == nil {
		d.Kicks, err = c.d.Store.AUIClassKicks(ctx, id)
	}
	if err == nil {
		d.Docs, err = c.d.Store.AUIClassDocs(ctx, id)
	}
	if err == nil {
		d.Permit, err = c.d.Store.AUIClassPermit(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	}
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "AUI class", Who: s, Error: err.Error()})
		return
	}
	c.render(w, http.StatusOK, "auiclass", page{Title: "AUI class " + cl.Title, Who: s, Data: d,
		Note: r.URL.Query().Get("note"), Error: r.URL.Query().Get("error")})
}

func (c *Console) endAUIClass(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.AUIClass == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PostFormValue("id")
	err := c.d.AUIClass.Stop(c.action(r, s, "end AUI class", id, ""), id)
	done(w, r, "/admin/auiclass?id="+url.QueryEscape(id), sentence(err, fmt.Sprintf("no AUI class %q", id)), "The class is ended.")
}

func (c *Console) removeAUIMember(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.AUIClass == nil {
		http.NotFound(w, r)
		return
	}
	id, user := r.PostFormValue("id"), r.PostFormValue("user")
	err := c.d.AUIClass.RemoveMember(c.action(r, s, "remove AUI class member", id, user), id, user)
	done(w, r, "/admin/auiclass?id="+url.QueryEscape(id), sentence(err, fmt.Sprintf("no member %q in AUI class %q", user, id)),
		"Removed "+user+": they cannot join this class again until the kick is lifted.")
}

func (c *Console) liftAUIKick(w http.ResponseWriter, r *http.Request, s *operator) {
	if c.d.AUIClass == nil {
		http.NotFound(w, r)
		return
	}
	id, user := r.PostFormValue("id"), r.PostFormValue("user")
	lifted, err := c.d.AUIClass.LiftKick(c.action(r, s, "lift AUI class kick", id, user), id, user)
	if err == nil && !lifted {
		err = fmt.Errorf("%s is not kicked out of AUI class %q", user, id)
	}
	done(w, r, "/admin/auiclass?id="+url.QueryEscape(id), sentence(err, fmt.Sprintf("no AUI class %q", id)), user+" may join again.")
}

type usersData struct {
	Rows               []store.UserRow
	Q                  string
	Total, Page, Pages int64
}

func (c *Console) users(w http.ResponseWriter, r *http.Request, s *operator) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := usersData{Q: q, Page: pageNum(r)}
	total, rows, err := c.d.Store.Users(r.Context(), q, (d.Page-1)*pageSize, pageSize)
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Users", Who: s, Error: err.Error()})
		return
	}
	d.Rows, d.Total, d.Pages = rows, total, (total+pageSize-1)/pageSize
	c.render(w, http.StatusOK, "users", page{Title: "Users", Who: s, Data: d, Note: r.URL.Query().Get("note"), Error: r.URL.Query().Get("error")})
}

func (c *Console) resetPassword(w http.ResponseWriter, r *http.Request, s *operator) {
	uin := pathID(r, "uin")
	uid, err := c.d.Store.UID(r.Context(), uin)
	if err == nil {
		err = c.d.Svc.AdminResetPassword(c.action(r, s, "reset password", uid, ""), uin, r.PostFormValue("password"))
	}
	done(w, r, "/admin/users", sentence(err, fmt.Sprintf("no user %d", uin)), "New password set for "+uid+"; they are signed out.")
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *operator) {
	uin := pathID(r, "uin")
	uid, err := c.d.Store.UID(r.Context(), uin)
	var was bool
	if err == nil {
		was, err = c.d.Svc.AdminSignOut(c.action(r, s, "sign user out", uid, ""), uin)
	}
	note := uid + " is signed out everywhere."
	if err == nil && !was {
		note = uid + " was not signed in."
	}
	done(w, r, "/admin/users", sentence(err, fmt.Sprintf("no user %d", uin)), note)
}

type auditData struct {
	Rows               []store.AuditEntry
	Total, Page, Pages int64
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request, s *operator) {
	d := auditData{Page: pageNum(r)}
	total, rows, err := c.d.Store.AuditList(r.Context(), (d.Page-1)*pageSize, pageSize)
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Audit", Who: s, Error: err.Error()})
		return
	}
	d.Rows, d.Total, d.Pages = rows, total, (total+pageSize-1)/pageSize
	c.render(w, http.StatusOK, "audit", page{Title: "Audit", Who: s, Data: d})
}

// failures counts failed sign-ins by address and by name.
type failures struct {
	mu sync.Mutex
	m  map[string][]time.Time
}

func (f *failures) recent(k string, now time.Time) []time.Time {
	var keep []time.Time
	for _, t := range f.m[k] {
		if now.Sub(t) < failWindow {
			keep = append(keep, t)
		}
	}
	if keep == nil {
		delete(f.m, k)
	} else {
		f.m[k] = keep
	}
	return keep
}

func (f *failures) blocked(keys []string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		if len(f.recent(k, now)) >= failMax {
			return true
		}
	}
	return false
}

func (f *failures) add(keys []string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.m) > 100000 { // a flood of names: forget the oldest view
		f.m = map[string][]time.Time{}
	}
	for _, k := range keys {
		f.m[k] = append(f.recent(k, now), now)
	}
}

func (f *failures) clear(keys []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys[1:] { // the address keeps its count
		delete(f.m, k)
	}
}

package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sxb-edu/store"
)

// The playback library (录制回放): classes with recordings, 10 a page as
// in Tencent's practice, each with its files, counts and a share link.
const playbackPage = 10

// shareSetting names the key share links are signed with.
const shareSetting = "playback_share_key"

type playbackData struct {
	Rows               []store.Playback
	Keyword, Query     string
	Total, Page, Pages int64
}

func (c *Console) playbacks(w http.ResponseWriter, r *http.Request, s *operator) {
	q := r.URL.Query()
	d := playbackData{Keyword: strings.TrimSpace(q.Get("q")), Page: pageNum(r)}
	total, rows, err := c.d.Store.Playbacks(r.Context(), store.PlaybackSearch{Keyword: d.Keyword,
		Offset: (d.Page - 1) * playbackPage, Limit: playbackPage})
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Playback", Who: s, Error: err.Error()})
		return
	}
	d.Rows, d.Total, d.Pages = rows, total, max(1, (total+playbackPage-1)/playbackPage)
	d.Query = url.Values{"q": {d.Keyword}}.Encode()
	c.render(w, http.StatusOK, "playbacks", page{Title: "Playback", Who: s, Data: d,
		Note: q.Get("note"), Error: q.Get("error")})
}

type playbackView struct {
	Room             *store.Room
	Teacher          string
	Files            []store.Recording
	Size             int64
	Views, Downloads int64
	Share            string // a share link just made
	ShareUntil       int64
	Links            []string // the files' counted download links (public page)
}

// playbackOf reads a class's playback; nil when it has no recording.
func (c *Console) playbackOf(ctx context.Context, id int64) (*playbackView, error) {
	room, err := c.d.Store.Room(ctx, id)
	if err != nil {
		return nil, err
	}
	files, err := c.d.Store.Recordings(ctx, id)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	v := &playbackView{Room: room, Files: files}
	for _, f := range files {
		v.Size += f.Size
	}
	if uid, err := c.d.Store.UID(ctx, room.HostUin); err == nil {
		v.Teacher = uid
	}
	v.Views, v.Downloads, err = c.d.Store.PlaybackOf(ctx, id)
	return v, err
}

func (c *Console) playback(w http.ResponseWriter, r *http.Request, s *operator) {
	id := atoi64(r.PathValue("id"))
	v, err := c.playbackOf(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && v == nil:
		c.render(w, http.StatusNotFound, "error", page{Title: "Playback", Who: s, Error: fmt.Sprintf("class %d has no recording", id)})
		return
	case err != nil:
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Playback", Who: s, Error: err.Error()})
		return
	}
	q := r.URL.Query()
	c.render(w, http.StatusOK, "playback", page{Title: "Playback", Who: s, Data: v, Note: q.Get("note"), Error: q.Get("error")})
}

func (c *Console) deletePlayback(w http.ResponseWriter, r *http.Request, s *operator) {
	id := r.PathValue("id")
	n, err := c.d.Svc.DeleteRecordings(c.action(r, s, "delete recordings", id, ""), atoi64(id))
	if err == nil && n == 0 {
		err = fmt.Errorf("class %s has no recording", id)
	}
	done(w, r, "/admin/playback", err, fmt.Sprintf("The %d recordings of class %s are deleted.", n, id))
}

// maxShare bounds a share link's life.
const maxShare = 30 * 24 * time.Hour

// sharePlayback makes a signed link to the class's playback page that
// works without signing in until it expires.
func (c *Console) sharePlayback(w http.ResponseWriter, r *http.Request, s *operator) {
	id := atoi64(r.PathValue("id"))
	hours, err := strconv.Atoi(r.PostFormValue("hours"))
	if err != nil || hours < 1 || time.Duration(hours)*time.Hour > maxShare {
		done(w, r, fmt.Sprintf("/admin/playback/%d", id), errors.New("a share link lasts 1 to 720 hours"), "")
		return
	}
	v, err := c.playbackOf(r.Context(), id)
	if err != nil || v == nil {
		done(w, r, "/admin/playback", fmt.Errorf("class %d has no recording", id), "")
		return
	}
	key, err := c.shareKey(r.Context())
	if err != nil {
		c.render(w, http.StatusInternalServerError, "error", page{Title: "Playback", Who: s, Error: err.Error()})
		return
	}
	exp := c.d.Now().Add(time.Duration(hours) * time.Hour).Unix()
	v.Share, v.ShareUntil = baseURL(r)+shareQuery(key, id, exp, -1), exp
	c.d.Log.Info("console: playback shared", "admin", s.Name, "room", id, "until", exp)
	c.render(w, http.StatusOK, "playback", page{Title: "Playback", Who: s, Data: v})
}

func (c *Console) shareKey(ctx context.Context) (string, error) {
	key, err := c.d.Store.Setting(ctx, shareSetting)
	if errors.Is(err, store.ErrNotFound) {
		return c.d.Store.AddSetting(ctx, shareSetting, randomHex(32))
	}
	return key, err
}

// shareQuery is the path of a class's shared page (file < 0) or of one
// of its files, signed until exp.
func shareQuery(key string, room, exp int64, file int) string {
	p := fmt.Sprintf("/playback/%d", room)
	if file >= 0 {
		p += fmt.Sprintf("/%d", file)
	}
	return p + fmt.Sprintf("?e=%d&s=%s", exp, shareSign(key, room, exp))
}

func shareSign(key string, room, exp int64) string {
	m := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(m, "playback:%d:%d", room, exp)
	return hex.EncodeToString(m.Sum(nil))
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// shared serves a share link: the class's page (a view) or one of its
// files (a download, then on to the file).
func (c *Console) shared(w http.ResponseWriter, r *http.Request) {
	id := atoi64(r.PathValue("id"))
	exp := atoi64(r.URL.Query().Get("e"))
	key, err := c.shareKey(r.Context())
	if err != nil {
		http.Error(w, "the playback is unavailable", http.StatusInternalServerError)
		return
	}
	if !hmac.Equal([]byte(shareSign(key, id, exp)), []byte(r.URL.Query().Get("s"))) {
		c.render(w, http.StatusForbidden, "error", page{Title: "This link is not valid"})
		return
	}
	if exp < c.d.Now().Unix() {
		c.render(w, http.StatusGone, "error", page{Title: "This link has expired"})
		return
	}
	v, err := c.playbackOf(r.Context(), id)
	if err != nil || v == nil {
		c.render(w, http.StatusNotFound, "error", page{Title: "This playback was deleted"})
		return
	}
	if f := r.PathValue("file"); f != "" {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n >= len(v.Files) {
			http.NotFound(w, r)
			return
		}
		if err := c.d.Store.CountPlayback(r.Context(), id, true); err != nil {
			c.d.Log.Error("console: count download", "room", id, "err", err)
		}
		http.Redirect(w, r, v.Files[n].VideoURL, http.StatusFound)
		return
	}
	if err := c.d.Store.CountPlayback(r.Context(), id, false); err != nil {
		c.d.Log.Error("console: count view", "room", id, "err", err)
	}
	v.Views++
	for i := range v.Files {
		v.Links = append(v.Links, shareQuery(key, id, exp, i))
	}
	// The files play from their own host (VOD's CDN).
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; media-src https: http:; frame-ancestors 'none'")
	c.render(w, http.StatusOK, "shared", page{Title: v.Room.Title, Data: v})
}

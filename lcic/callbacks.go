package lcic

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"sxb-edu/store"
)

// eventUnsent is an event of an app without a callback URL: kept for
// GetRoomEvent, never sent.
const eventUnsent = 3

// retryFor is how long an event is retried before it is given up.
const retryFor = 24 * time.Hour

// The class events of the 随心播 service, in LCIC's words.
var classEvents = map[string]string{"start": "RoomStart", "end": "RoomEnd", "join": "MemberJoin", "quit": "MemberQuit",
	"record": "RecordFinish"}

// ClassEvent turns what happened to a class into an LCIC event when the
// class is a scheduled room (the 随心播 service's Event hook).
func (s *Service) ClassEvent(ctx context.Context, kind string, room, uin int64) {
	typ, ok := classEvents[kind]
	if !ok {
		return
	}
	r, err := s.st.LCICRoom(ctx, room)
	if err != nil {
		return // not a scheduled room (or unreadable: nothing to tell)
	}
	data := map[string]any{"RoomId": room}
	if kind == "join" || kind == "quit" || kind == "start" || kind == "end" {
		if uid, err := s.st.UID(ctx, uin); err == nil {
			data["UserId"] = uid
			data["Role"] = role(r, uid)
		}
	}
	if kind == "quit" {
		data["Reason"] = 0 // left by themselves
	}
	if kind == "record" {
		recs, err := s.st.Recordings(ctx, room)
		if err != nil || len(recs) == 0 {
			return
		}
		// The class's playback as DescribeRoom gives it, and the new file.
		var size, length int64
		for _, r := range recs {
			size, length = size+r.Size, length+r.Length
		}
		last := recs[len(recs)-1]
		data["RecordUrl"], data["Duration"], data["RecordSize"] = recs[0].VideoURL, length, size
		data["FileId"], data["FileUrl"], data["Files"] = last.VideoID, last.VideoURL, len(recs)
	}
	s.enqueue(ctx, r.AppID, room, typ, data)
}

// role is a user's role in a room as LCIC numbers it: 0 student, 1
// teacher, 2 assistant.
func role(r *store.LCICRoom, uid string) int {
	if uid == r.TeacherID {
		return 1
	}
	for _, a := range r.Assistants {
		if a == uid {
			return 2
		}
	}
	return 0
}

// enqueue puts an event in the outbox (unsent when the app has no
// callback URL: GetRoomEvent still answers it).
func (s *Service) enqueue(ctx context.Context, app, room int64, typ string, data map[string]any) {
	b, _ := json.Marshal(data)
	e := &store.LCICEvent{AppID: app, RoomID: room, Type: typ, Data: string(b), At: s.d.Now().Unix()}
	if err := s.st.AddLCICEvent(ctx, e); err != nil {
		s.d.Log.Error("lcic: event", "type", typ, "room", room, "err", err)
		return
	}
	if a, err := s.st.LCICApp(ctx, app); err == nil && a.Callback == "" {
		e.State = eventUnsent
		_ = s.st.FinishLCICEvent(ctx, e)
	}
}

// Sign is a callback's signature: md5(CallbackKey + ExpireTime), hex.
func Sign(key string, expire int64) string {
	sum := md5.Sum([]byte(key + strconv.FormatInt(expire, 10)))
	return hex.EncodeToString(sum[:])
}

// backoff is the wait before attempt n+1: 5 s doubling, at most an hour.
func backoff(n int) time.Duration {
	d := 5 * time.Second << min(n, 10)
	return min(d, time.Hour)
}

// deliver sends the due events: each claimed by this server alone, a
// room's next event as soon as the one before it went (rounds while
// anything goes, at most deliverRounds).
func (s *Service) deliver(ctx context.Context) {
	apps := map[int64]*store.LCICApp{}
	for range deliverRounds {
		now := s.d.Now().Unix()
		events, err := s.st.ClaimLCICEvents(ctx, now, now+60, 50)
		if err != nil {
			s.d.Log.Error("lcic: claim events", "err", err)
			return
		}
		sent := false
		for i := range events {
			e := &events[i]
			a, ok := apps[e.AppID]
			if !ok {
				if a, err = s.st.LCICApp(ctx, e.AppID); err != nil {
					s.d.Log.Error("lcic: app", "app", e.AppID, "err", err)
					continue
				}
				apps[e.AppID] = a
			}
			if s.send(ctx, a, e) {
				sent = true
			}
		}
		if !sent || ctx.Err() != nil {
			return
		}
	}
}

// deliverRounds bounds one delivery run (the next starts a second later).
const deliverRounds = 20

// send posts one event to the app's callback and records the attempt;
// whether it is done with (delivered, or kept unsent).
func (s *Service) send(ctx context.Context, a *store.LCICApp, e *store.LCICEvent) bool {
	now := s.d.Now()
	e.Attempts++
	if a.Callback == "" {
		e.State, e.LastResponse = eventUnsent, "no callback URL"
		return s.st.FinishLCICEvent(ctx, e) == nil
	}
	expire := now.Add(10 * time.Minute).Unix()
	sign := Sign(a.CallbackKey, expire)
	body, _ := json.Marshal(map[string]any{"SdkAppId": e.AppID, "EventType": e.Type, "EventData": json.RawMessage(e.Data),
		"Timestamp": e.At, "ExpireTime": expire, "Sign": sign})
	u, err := url.Parse(a.Callback)
	if err == nil {
		q := u.Query()
		q.Set("ExpireTime", strconv.FormatInt(expire, 10))
		q.Set("Sign", sign)
		u.RawQuery = q.Encode()
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			var resp *http.Response
			resp, err = s.client().Do(req)
			if err == nil {
				raw, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				resp.Body.Close()
				e.LastStatus, e.LastResponse = resp.StatusCode, string(raw)
				if resp.StatusCode/100 != 2 {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
				}
			}
		}
	}
	switch {
	case err == nil:
		e.State, e.DeliveredAt = store.EventDelivered, now.Unix()
	case now.Sub(time.Unix(e.At, 0)) >= retryFor:
		e.State = store.EventGivenUp
		e.LastResponse = clip(err.Error() + "; " + e.LastResponse)
		s.d.Log.Warn("lcic: callback given up after a day", "event", e.ID, "type", e.Type, "err", err)
	default:
		e.NextAt = now.Add(backoff(e.Attempts - 1)).Unix()
		if e.LastStatus == 0 {
			e.LastResponse = clip(err.Error())
		}
	}
	if err := s.st.FinishLCICEvent(ctx, e); err != nil {
		s.d.Log.Error("lcic: record delivery", "event", e.ID, "err", err)
		return false
	}
	return e.State == store.EventDelivered
}

func clip(s string) string {
	if len(s) > 512 {
		return s[:512]
	}
	return s
}

func (s *Service) client() *http.Client {
	if s.d.HTTP != nil {
		return s.d.HTTP
	}
	return &http.Client{Timeout: 5 * time.Second}
}

// Redeliver sends an event again (the console's action).
func (s *Service) Redeliver(ctx context.Context, id int64) error {
	ok, err := s.st.RedeliverLCICEvent(ctx, id, s.d.Now().Unix())
	if err == nil && !ok {
		err = errors.New("no such event")
	}
	return err
}

package svc

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	vod "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vod/v20180717"

	"sxb-edu/sig"
	"sxb-edu/store"
)

// DeleteRecordings removes a class's recordings: their VOD media first
// when cloud keys are set (a file VOD no longer has counts as removed),
// then our rows. A VOD failure changes nothing.
func (s *Service) DeleteRecordings(ctx context.Context, room int64) (int64, error) {
	unlock, err := s.lockRoom(ctx, room)
	if err != nil {
		return 0, err
	}
	defer unlock()
	recs, err := s.Store.Recordings(ctx, room)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	if client, ok := s.vodClient(); ok {
		for _, r := range recs {
			if r.VideoID == "" {
				continue
			}
			if err := client.DeleteMedia(r.VideoID); err != nil {
				return 0, fmt.Errorf("VOD DeleteMedia %s: %w", r.VideoID, err)
			}
		}
	}
	return s.Store.DeleteRecordings(ctx, room, s.now())
}

func (s *Service) vodClient() (sig.VOD, bool) {
	id, key, err := s.vodCred()
	if err != nil {
		return sig.VOD{}, false
	}
	return sig.VOD{SecretID: id, SecretKey: key, Endpoint: s.Cfg.VOD.Endpoint, Region: s.Cfg.VOD.Region, Timeout: vodTimeout}, true
}

// reconcileLookback bounds how old a class the reconciler still asks about.
const reconcileLookback = 7 * 24 * time.Hour

// ReconcileRecordings asks VOD, once per class, for the recordings of
// classes that ended without any (Tencent gave up on the callback) and
// stores those it finds; how many. A recording belongs to a class when
// its source context is the push's stream_param (groupid = the class,
// userid = base64 of the account), as the recording callback carries it.
func (s *Service) ReconcileRecordings(ctx context.Context) (int, error) {
	client, ok := s.vodClient()
	if !ok || s.Cfg.VOD.Reconcile < 0 {
		return 0, nil
	}
	now := s.clock()
	rooms, err := s.Store.Unreconciled(ctx, now.Add(-reconcileLookback).Unix(), now.Add(-s.Cfg.VOD.ReconcileAfter).Unix(), 50)
	if err != nil {
		return 0, err
	}
	found := 0
	for _, r := range rooms {
		claimed, err := s.Store.ClaimReconcile(ctx, r.ID, now.Unix())
		if err != nil {
			return found, err
		}
		if !claimed {
			continue
		}
		recs, err := s.vodRecords(ctx, client, r)
		if err != nil {
			return found, err
		}
		if len(recs) == 0 {
			continue
		}
		if err := s.Store.AddRecordings(ctx, r.ID, recs); err != nil {
			return found, err
		}
		found += len(recs)
		s.Log.Info("recordings found in VOD", "room", r.ID, "files", len(recs))
		s.event(ctx, "record", r.ID, recs[0].Uin)
	}
	return found, nil
}

// vodRecords are the VOD recordings of a class, made from its start to
// its end and the callback wait.
func (s *Service) vodRecords(ctx context.Context, client sig.VOD, r store.Room) ([]store.Recording, error) {
	from, to := time.Unix(r.StartTime, 0).Add(-time.Minute), time.Unix(r.EndTime, 0).Add(s.Cfg.VOD.ReconcileAfter)
	var out []store.Recording
	for offset := uint64(0); ; offset += 100 {
		resp, err := client.Records(from, to, offset, 100)
		if err != nil {
			return nil, fmt.Errorf("VOD SearchMedia for room %d: %w", r.ID, err)
		}
		if resp.Response == nil {
			return out, nil
		}
		for _, m := range resp.Response.MediaInfoSet {
			if rec, ok := s.recordingOf(ctx, m, r); ok {
				out = append(out, rec)
			}
		}
		if len(resp.Response.MediaInfoSet) < 100 || resp.Response.TotalCount == nil || offset+100 >= *resp.Response.TotalCount {
			return out, nil
		}
	}
}

func (s *Service) recordingOf(ctx context.Context, m *vod.MediaInfo, r store.Room) (store.Recording, bool) {
	if m == nil || m.FileId == nil || m.BasicInfo == nil || m.BasicInfo.SourceInfo == nil || m.BasicInfo.SourceInfo.SourceContext == nil {
		return store.Recording{}, false
	}
	q, err := url.ParseQuery(*m.BasicInfo.SourceInfo.SourceContext)
	if err != nil || Intval(q.Get("groupid")) != r.ID {
		return store.Recording{}, false
	}
	rec := store.Recording{RoomID: r.ID, Uin: r.HostUin, VideoID: *m.FileId}
	if raw, err := base64.StdEncoding.DecodeString(q.Get("userid")); err == nil {
		if a, err := s.Store.AccountByUID(ctx, strings.TrimRight(string(raw), "\n")); err == nil {
			rec.Uin = a.Uin
		}
	}
	if m.BasicInfo.MediaUrl != nil {
		rec.VideoURL = *m.BasicInfo.MediaUrl
	}
	if md := m.MetaData; md != nil {
		if md.Size != nil {
			rec.Size = *md.Size
		}
		if md.Duration != nil {
			rec.Length = int64(math.Round(*md.Duration))
		}
	}
	rec.EndTime = r.EndTime
	if m.BasicInfo.CreateTime != nil {
		if t, err := time.Parse(time.RFC3339, *m.BasicInfo.CreateTime); err == nil {
			rec.EndTime = t.Unix()
		}
	}
	rec.StartTime = rec.EndTime - rec.Length
	rec.MediaStartTime = rec.StartTime
	return rec, true
}

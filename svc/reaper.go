package svc

import (
	"context"
	"time"
)

const memberRetention = 60 * 24 * 3600 // member rows older than this are deleted

// Reap ends classes whose teacher went silent and marks silent students
// as exited (docs/protocol.md §9). Nothing is reaped until one room timeout has
// passed since the server started: heartbeats sent while it was down were
// never seen.
func (s *Service) Reap(ctx context.Context) error {
	if err := s.adoptRooms(ctx); err != nil {
		return err
	}
	now := s.now()
	roomTimeout := seconds(s.Cfg.RoomTimeout)
	if now-s.started.Unix() < roomTimeout {
		return nil
	}
	margin := s.ReapMargin()
	rooms, members, err := s.Store.Reap(ctx, now, now-roomTimeout-margin, now-seconds(s.Cfg.MemberTimeout)-margin,
		now-memberRetention, seconds(s.Cfg.ReplayIdxDelay))
	if err != nil {
		return err
	}
	for _, id := range rooms {
		s.Log.Info("reaper ended class", "room", id)
	}
	if s.Observe != nil {
		s.Observe("room_ended", len(rooms))
		s.Observe("member_exited", int(members))
	}
	return nil
}

// ReapMargin is how much longer than its timeout, in seconds, a member or
// teacher is given. Reap flushes this server's heartbeats first, but a
// written beat may lag behind the newest by beatLag; another server's may
// also wait up to its flush interval to be written.
func (s *Service) ReapMargin() int64 {
	margin := s.beatLag()
	if s.Store.SeveralServers() {
		margin += seconds(s.Cfg.FlushInterval + time.Second - 1)
	}
	return margin
}

// beatLag is how far, in seconds, a written heartbeat may lag behind the
// newest (store.SetBeatEvery): an eighth of the shorter timeout, at most
// 10 s (with beats every 3 s, one in four is written).
func (s *Service) beatLag() int64 {
	return min(10, seconds(min(s.Cfg.MemberTimeout, s.Cfg.RoomTimeout))/8)
}

// adoptRooms gives rooms without an appid (made by a PHP server still
// running on the same database) their teacher's app, or the one
// configured app: apps list only their own app's rooms.
func (s *Service) adoptRooms(ctx context.Context) error {
	var def int64
	if len(s.Cfg.Apps) == 1 {
		def = s.Cfg.Apps[0].SDKAppID
	}
	n, err := s.Store.AdoptRooms(ctx, def)
	if n > 0 {
		s.Log.Info("rooms without an appid (made by the PHP server) given to their app", "rooms", n)
	}
	return err
}

// RequestDueIndexes requests the replay index of every ended class whose
// waiting time has passed (the reference needed a crontab for this).
func (s *Service) RequestDueIndexes(ctx context.Context) error {
	if s.Cfg.ReplayIndexURL == "" {
		return nil
	}
	ids, err := s.Store.DueReplayIndex(ctx, s.now())
	if err != nil {
		return err
	}
	for _, id := range ids {
		room, err := s.Store.Room(ctx, id)
		if err != nil {
			return err
		}
		if _, ok := s.App(room.AppID); !ok {
			continue
		}
		if err := s.requestIndex(ctx, room); err != nil {
			s.Log.Warn("scheduled replay index", "room", id, "err", err)
		}
	}
	return nil
}

// Run runs the background work until ctx ends: heartbeat flushes, the
// reaper, the replay-index scheduler and the recording reconciler. It flushes once more on the way out.
func (s *Service) Run(ctx context.Context) {
	s.Store.SetBeatEvery(s.beatLag())
	flush := time.NewTicker(s.Cfg.FlushInterval)
	reap := time.NewTicker(s.Cfg.ReaperInterval)
	defer flush.Stop()
	defer reap.Stop()
	// The recording reconciler, when VOD can be asked.
	var reconcile <-chan time.Time
	if _, ok := s.vodClient(); ok && s.Cfg.VOD.Reconcile > 0 {
		t := time.NewTicker(s.Cfg.VOD.Reconcile)
		defer t.Stop()
		reconcile = t.C
	}
	for {
		select {
		case <-ctx.Done():
			if err := s.Store.Flush(context.Background()); err != nil {
				s.Log.Error("final flush", "err", err)
			}
			return
		case <-flush.C:
			if err := s.Store.Flush(ctx); err != nil {
				s.Log.Error("flush heartbeats", "err", err)
			}
		case <-reap.C:
			if err := s.Reap(ctx); err != nil {
				s.Log.Error("reaper", "err", err)
			}
			if err := s.RequestDueIndexes(ctx); err != nil {
				s.Log.Error("replay index scheduler", "err", err)
			}
		case <-reconcile:
			if _, err := s.ReconcileRecordings(ctx); err != nil {
				s.Log.Error("recording reconciler", "err", err)
			}
		}
	}
}

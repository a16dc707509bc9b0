package goclass

import (
	"context"
	"time"

	"sxb-edu/store"
)

// checkEvery is how often presence is checked, as the reference.
const checkEvery = 2 * time.Second

// Run removes silent members and destroys rooms left empty, until ctx
// ends. Several servers may run it on one database: each removal and
// destruction re-checks its condition with the room locked, so it
// happens (and is announced) once.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Reap(ctx)
		}
	}
}

// Reap does one round of the presence checks.
func (s *Service) Reap(ctx context.Context) {
	now := s.ms()
	// Silent for two intervals and two seconds, as the reference.
	cutoff := now - (2*int64(s.cfg.HeartbeatInterval)+2)*1000
	silent, err := s.st.GoClassSilent(ctx, cutoff)
	if err != nil {
		s.log.Error("goclass: presence check", "err", err)
		return
	}
	for _, r := range silent {
		e := s.inRoom(ctx, r.Type, r.Name, nil, nil, func(t *store.GoClassTx, c *change) error {
			m, err := t.Member(ctx, r.UID)
			if err != nil || m == nil || m.HeartbeatMS >= cutoff {
				return err // gone or back meanwhile
			}
			s.log.Info("goclass: removing a silent member", "room", r.Name, "type", r.Type, "uid", r.UID)
			return s.leave(ctx, t, c, m)
		})
		if e != nil {
			s.log.Error("goclass: removing a silent member", "room", r.Name, "uid", r.UID, "err", e)
		}
	}
	if err := s.st.GoClassScheduleEmpty(ctx, now+int64(s.cfg.DestroyBuffer)*1000); err != nil {
		s.log.Error("goclass: scheduling empty rooms", "err", err)
	}
	due, err := s.st.GoClassDue(ctx, now)
	if err != nil {
		s.log.Error("goclass: rooms to destroy", "err", err)
		return
	}
	for _, r := range due {
		e := s.inRoom(ctx, r.Type, r.Name, nil, nil, func(t *store.GoClassTx, c *change) error {
			if t.Room.DestroyMS == 0 || t.Room.DestroyMS > now {
				return nil
			}
			if n, err := t.Count(ctx, false); err != nil {
				return err
			} else if n > 0 { // someone came back
				t.Room.DestroyMS = 0
				return t.SaveRoom(ctx)
			}
			s.log.Info("goclass: destroying an empty room", "room", r.Name, "type", r.Type)
			c.clear = true
			return t.DeleteRoom(ctx)
		})
		if e != nil {
			s.log.Error("goclass: destroying a room", "room", r.Name, "err", e)
		}
	}
}

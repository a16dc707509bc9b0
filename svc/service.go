// Package svc holds the handlers of the protocol's services (account,
// live, cos, vod): plain functions over a decoded request that return data
// or a coded *Error. They never see HTTP.
package svc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"sxb-edu/sig"
	"sxb-edu/store"
)

// Service is the state the handlers share.
type Service struct {
	Cfg   *Config
	Store *store.Store
	IM    *sig.IM
	Log   *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Observe, when set, is told of reaper actions (for metrics).
	Observe func(event string, n int)

	apps     map[int64]App
	hashSem  chan struct{} // bounds the CPU spent on password hashes
	rooms    [64]sync.Mutex
	started  time.Time
	hashCost int
	limiter  *loginLimiter
}

// Req is a request that passed the common checks.
type Req struct {
	Body      Body
	AppID     int64
	TimeStamp int64
	User      *store.Session // kind T only
	Addr      string         // the client's IP address (rate limits)
}

// New makes a Service over a store with a configuration.
func New(cfg *Config, st *store.Store, im *sig.IM, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{Cfg: cfg, Store: st, IM: im, Log: log, Now: time.Now,
		apps: map[int64]App{}, hashSem: make(chan struct{}, cfg.LoginConcurrent),
		hashCost: defaultHashCost, limiter: newLoginLimiter()}
	if cfg.HashCost > 0 {
		s.hashCost = cfg.HashCost
	}
	for _, a := range cfg.Apps {
		s.apps[a.SDKAppID] = a
	}
	s.started = s.Now()
	return s
}

// SetHashCost changes the bcrypt cost (tests use the minimum).
func (s *Service) SetHashCost(c int) { s.hashCost = c }

// SetStarted sets when the service started, the start of the reaper's
// grace period (tests that replace Now after New use it).
func (s *Service) SetStarted(t time.Time) { s.started = t }

func (s *Service) now() int64 { return s.Now().Unix() }

// App returns a configured SDKAppID.
func (s *Service) App(appid int64) (App, bool) {
	a, ok := s.apps[appid]
	return a, ok
}

func (s *Service) imApp(appid int64) sig.IMApp {
	a := s.apps[appid]
	return sig.IMApp{SDKAppID: a.SDKAppID, Key: a.Key, Admin: a.Admin}
}

// roomLock serialises the state changes of one room (start, end, reaper,
// callbacks), so an IM message and the state it announces stay in order.
func (s *Service) roomLock(id int64) *sync.Mutex {
	return &s.rooms[uint64(id)%uint64(len(s.rooms))]
}

// Authenticate runs the token checks of PROTOCOL §3 (steps 3–7).
func (s *Service) Authenticate(ctx context.Context, b Body, appid int64) (*store.Session, error) {
	if b.Empty("token") {
		return nil, E(ErrReqData, "Lack of token")
	}
	token, ok := b.Str("token")
	if !ok {
		// The reference tested the token's first character, which a number
		// or a bool does not have: those read as missing.
		switch b["token"].(type) {
		case json.Number, bool:
			return nil, E(ErrReqData, "Lack of token")
		}
		return nil, E(ErrReqData, "Invalid token")
	}
	se, err := s.Store.SessionByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, E(ErrTokenExpire, "Token expired")
	}
	if err != nil {
		return nil, internal("read token", err)
	}
	if se.AppID != appid {
		return nil, E(ErrReqData, "appid is diff from appid of the user.")
	}
	now := s.now()
	if now-se.LastRequest() > s.Cfg.TokenExpire {
		if err := s.Store.ExpireSession(ctx, se, now); err != nil {
			return nil, internal("expire token", err)
		}
		return nil, E(ErrTokenExpire, "User token expired")
	}
	se.Touch(now)
	return se, nil
}

// Package svc holds the handlers of the protocol's services (account,
// live, cos, vod): plain functions over a decoded request that return data
// or a coded *Error. They never see HTTP.
package svc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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
	// Observe, when set, is told of reaper actions (for metrics).
	Observe func(event string, n int)
	// Event, when set, is told of what happened to a class after it is
	// stored: "start", "end", "join" and "quit" (uin: who), "record" (a
	// recording stored). The school API turns them into its callbacks.
	Event func(ctx context.Context, kind string, room, uin int64)
	// Opens, when set, is when a class lets students enter (unix
	// seconds; 0: whenever it is living): a scheduled class opens a
	// while before its start.
	Opens func(ctx context.Context, room int64) (int64, error)

	clock   func() time.Time
	apps    map[int64]App
	hashes  *hashQueue
	rooms   roomLocks
	started time.Time
	limiter *loginLimiter
	onHash  func(delta int)
}

// Req is a request that passed the common checks.
type Req struct {
	Body      Body
	AppID     int64
	TimeStamp int64
	User      *store.Session // Token commands only
	Addr      string         // the client's IP address (rate limits)
	// LogUID, set by a handler, is the user the access log names when the
	// transport cannot tell (logout knows it only from the token).
	LogUID string
}

// Deps are what a Service works with besides its configuration.
type Deps struct {
	Store *store.Store
	IM    *sig.IM      // nil: IM disabled
	Log   *slog.Logger // nil: slog.Default()
	// Now is the clock (nil: time.Now). The reaper's grace period starts
	// at its reading when New runs.
	Now func() time.Time
	// Hashing, when set, is told as a password hash starts (+1) and ends
	// (-1): the server lends the hash a Go processor of its own.
	Hashing func(delta int)
}

// New makes a Service from a validated configuration.
func New(cfg *Config, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IM == nil {
		d.IM = &sig.IM{}
	}
	s := &Service{Cfg: cfg, Store: d.Store, IM: d.IM, Log: d.Log, clock: d.Now,
		apps: map[int64]App{}, hashes: newHashQueue(max(cfg.LoginConcurrent, 1), max(cfg.HashQueue, 1)),
		limiter: newLoginLimiter(), onHash: d.Hashing}
	for _, a := range cfg.Apps {
		s.apps[a.SDKAppID] = a
	}
	s.started = s.clock()
	return s
}

func (s *Service) now() int64 { return s.clock().Unix() }

// warmSessions is the most sessions a server reads at its start.
const warmSessions = 100_000

// WarmSessions reads the sessions whose tokens have not expired into
// memory (see store.WarmSessions) and returns how many.
func (s *Service) WarmSessions(ctx context.Context) (int, error) {
	return s.Store.WarmSessions(ctx, s.now()-seconds(s.Cfg.TokenExpire), warmSessions)
}

// App returns a configured SDKAppID.
func (s *Service) App(appid int64) (App, bool) {
	a, ok := s.apps[appid]
	return a, ok
}

func (s *Service) imApp(appid int64) sig.IMApp {
	a := s.apps[appid]
	return sig.IMApp{SDKAppID: a.SDKAppID, Key: a.Key, Admin: a.Admin}
}

// Authenticate runs the token checks of a Token command (docs/protocol.md §3,
// common checks).
func (s *Service) Authenticate(ctx context.Context, b Body, appid int64) (*store.Session, error) {
	if b.Empty("token") {
		return nil, E(CodeReqData, "Lack of token")
	}
	token, ok := b.Str("token")
	if !ok {
		// The reference tested the token's first character, which a number
		// or a bool does not have: those read as missing.
		switch b["token"].(type) {
		case json.Number, bool:
			return nil, E(CodeReqData, "Lack of token")
		}
		return nil, E(CodeReqData, "Invalid token")
	}
	se, err := s.Store.SessionByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, E(CodeTokenExpire, "Token expired")
	}
	if err != nil {
		return nil, internal("read token", err)
	}
	if se.AppID != appid {
		return nil, E(CodeReqData, "appid is diff from appid of the user.")
	}
	now := s.now()
	if now-se.LastRequest() > seconds(s.Cfg.TokenExpire) {
		if err := s.Store.ExpireSession(ctx, se, now); err != nil {
			return nil, internal("expire token", err)
		}
		return nil, E(CodeTokenExpire, "User token expired")
	}
	s.Store.Touch(se, now)
	return se, nil
}

// event tells Event of what happened to a class, if anyone listens.
func (s *Service) event(ctx context.Context, kind string, room, uin int64) {
	if s.Event != nil {
		s.Event(context.WithoutCancel(ctx), kind, room, uin)
	}
}

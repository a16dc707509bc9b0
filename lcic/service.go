package lcic

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"sxb-edu/store"
)

// Config is the "lcic" section of the configuration file.
type Config struct {
	// EntryWindow is how long before a scheduled class's start its
	// students may enter (default 10 minutes; the teacher may start it
	// any time).
	EntryWindow time.Duration `json:"entry_window_s" unit:"s"`
	// SecretsFile keeps the key that seals the API keys' secrets
	// (default: beside the SQLite file, or sxb-edu.secrets for MySQL).
	SecretsFile string `json:"secrets_file"`
	// MaxClass is the longest class a schedule may hold (default 24 h).
	MaxClass time.Duration `json:"max_class_s" unit:"s"`
	// A PDF's pages are counted when it is added: the server reads it
	// within FetchTimeout (default 20 s), from public addresses only
	// unless FetchPrivate.
	FetchTimeout time.Duration `json:"fetch_timeout_s" unit:"s"`
	FetchPrivate bool          `json:"fetch_private"`
}

// Defaults fills unset fields but SecretsFile (the server's, by database).
func (c *Config) Defaults() {
	if c.EntryWindow <= 0 {
		c.EntryWindow = 10 * time.Minute
	}
	if c.MaxClass <= 0 {
		c.MaxClass = 24 * time.Hour
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 20 * time.Second
	}
}

// ErrState is a class not in the state an action needs (the 随心播
// service's refusal of a start or an end).
var ErrState = errors.New("the class is not in a state for that")

// Deps are what the front needs: the store, the keyring, and the
// 随心播 service's actions on classes and accounts (with their IM
// messages and locks).
type Deps struct {
	Store   *store.Store
	Keyring *Keyring
	// SignIn opens a session: the 随心播 token and IM userSig.
	SignIn  func(ctx context.Context, a *store.Account) (token, userSig string, err error)
	SignOut func(ctx context.Context, uin int64) (bool, error)
	Start   func(ctx context.Context, room int64) error
	End     func(ctx context.Context, room int64) error
	Kick    func(ctx context.Context, room, uin int64) error
	Unblock func(ctx context.Context, room, uin int64) (bool, error)
	// DeleteRecordings removes a class's recordings (and their VOD
	// media); how many there were.
	DeleteRecordings func(ctx context.Context, room int64) (int64, error)
	// Upload pre-signs a COS upload of key: where to PUT, and the
	// object's URL.
	Upload func(key string, ttl time.Duration) (put, object string, err error)
	// VerifyCallback checks a signed report (t, sign) as the server's
	// callbacks are checked.
	VerifyCallback func(t, sign string) error
	// HTTP posts the callbacks (default: 5-second timeout).
	HTTP *http.Client
	Now  func() time.Time
	Log  *slog.Logger
}

// Service is the LCIC API.
type Service struct {
	cfg *Config
	d   Deps
	st  *store.Store
}

// New builds the API.
func New(cfg *Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{cfg: cfg, d: d, st: d.Store}
}

// Opens is when students may enter a class: a scheduled class's start
// less the entry window; 0 for other classes.
func (s *Service) Opens(ctx context.Context, room int64) (int64, error) {
	start, err := s.st.LCICOpens(ctx, room)
	if err != nil || start == 0 {
		return 0, err
	}
	return start - int64(s.cfg.EntryWindow/time.Second), nil
}

// Run expires the scheduled classes nobody started by their end, every
// interval, and delivers the callbacks due, every second, until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	expire := time.NewTicker(interval)
	defer expire.Stop()
	send := time.NewTicker(time.Second)
	defer send.Stop()
	s.Expire(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-expire.C:
			s.Expire(ctx)
		case <-send.C:
			s.deliver(ctx)
		}
	}
}

// Deliver sends the callbacks due now (Run does it every second).
func (s *Service) Deliver(ctx context.Context) { s.deliver(ctx) }

// Expire ends the scheduled classes nobody started by their end time.
func (s *Service) Expire(ctx context.Context) {
	ids, err := s.st.ExpireLCICRooms(ctx, s.d.Now().Unix())
	if err != nil {
		s.d.Log.Error("lcic: expire rooms", "err", err)
	}
	if len(ids) > 0 {
		s.d.Log.Info("lcic: rooms expired (nobody started them by their end)", "rooms", ids)
	}
	for _, id := range ids {
		if r, err := s.st.LCICRoom(ctx, id); err == nil {
			s.enqueue(ctx, r.AppID, id, "RoomExpire", map[string]any{"RoomId": id})
		}
	}
}

// CreateKey makes an API key for app (the console's form).
func (s *Service) CreateKey(ctx context.Context, name string, app int64) (id, secret string, err error) {
	return CreateKey(ctx, s.st, s.d.Keyring, name, app, s.d.Now().Unix())
}

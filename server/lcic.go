package server

import (
	"context"
	"errors"
	"time"

	"sxb-edu/lcic"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// lcicExpireEvery is how often scheduled classes nobody started are
// expired.
const lcicExpireEvery = 30 * time.Second

// newLCIC builds the LCIC API on the 随心播 service's actions.
func (s *Server) newLCIC(cfg *lcic.Config, service *svc.Service, o Options) (*lcic.Service, error) {
	path := cfg.SecretsFile
	if path == "" {
		path = lcic.SecretsFile(o.DB)
	}
	kr, err := lcic.LoadKeyring(path)
	if err != nil {
		return nil, err
	}
	state := func(err error) error {
		var e *svc.Error
		if errors.As(err, &e) && e.Code == svc.CodeRoomState {
			return lcic.ErrState
		}
		return err
	}
	a := lcic.New(cfg, lcic.Deps{Store: s.Store, Keyring: kr, Now: o.Now, Log: s.Log,
		SignIn: func(ctx context.Context, a *store.Account) (string, string, error) {
			d, err := service.SignIn(ctx, a)
			return d.Token, d.UserSig, err
		},
		SignOut:          service.AdminSignOut,
		Start:            func(ctx context.Context, room int64) error { return state(service.AdminStartRoom(ctx, room)) },
		End:              func(ctx context.Context, room int64) error { return state(service.AdminEndRoom(ctx, room)) },
		Kick:             service.AdminRemoveMember,
		Unblock:          service.AdminUnblock,
		DeleteRecordings: service.DeleteRecordings,
		Upload:           service.UploadURL,
		VerifyCallback: func(t, sign string) error {
			if err := service.VerifyCallback(svc.Body{"t": t, "sign": sign}); err != nil {
				return errors.New("the report's signature does not check (t, sign = md5(callback_key + t))")
			}
			return nil
		},
	})
	s.Log.Info("LCIC API on POST / (X-TC-Action, version "+lcic.Version+")", "secrets_file", path,
		"entry_window", cfg.EntryWindow.String(), "keys", "sxb-edu apikey create or the console")
	return a, nil
}

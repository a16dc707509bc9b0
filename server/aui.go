package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"sxb-edu/aui"
	"sxb-edu/auiclass"
	"sxb-edu/auilive"
	"sxb-edu/store"
	"sxb-edu/svc"
)

// auiAccounts logs the AUI live apps in with the server's accounts.
type auiAccounts struct {
	svc   *svc.Service
	appID int64 // of accounts made by a demo login
}

func (a auiAccounts) Verify(ctx context.Context, name, pwd, addr string) error {
	_, err := a.svc.CheckPassword(ctx, name, pwd, addr, nil)
	return auiLoginError(err)
}

func (a auiAccounts) Ensure(ctx context.Context, name, pwd, addr string) error {
	_, err := a.svc.EnsureAccount(ctx, name, pwd, addr, a.appID)
	return auiLoginError(err)
}

// auiLoginError turns the 随心播 service's login errors into the AUI
// front's: a wrong or unknown account is the reference's one refusal.
func auiLoginError(err error) error {
	var e *svc.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	switch {
	case e.Code == svc.CodeUserNotExist, e.Code == svc.CodePassword && e.Info == "User password error":
		return aui.ErrCredentials
	case e.Code == svc.CodeServer && e.Unwrap() != nil:
		return err
	}
	return aui.Refusal(e.Info)
}

// auiBase is what both AUI fronts get from the server: their token key
// (made on first start and kept in the database under keyName), the
// client of their clouds, and the warnings about their configuration.
type auiBase struct {
	key    []byte
	client *http.Client
	keyWas string // for the start-up log
}

func (s *Server) auiBase(keyName, section, login string, cloud bool, o Options) (auiBase, error) {
	key, made, err := settingKey(s.Store, keyName)
	if err != nil {
		return auiBase{}, err
	}
	if login == "demo" {
		s.Log.Warn(section + ": demo login: any name whose password is the name logs in, and its account is made on first login; set " +
			section + ".login to \"accounts\" for real users")
	}
	if !cloud {
		s.Log.Warn(section + ": no openapi keys: rooms get local ids, no IM group is made, no IM message is sent and IM tokens are refused")
	}
	b := auiBase{key: []byte(key), client: o.AUIClient, keyWas: "kept in the database"}
	if made {
		b.keyWas = "generated now, kept in the database"
	}
	if b.client == nil {
		b.client = &http.Client{Timeout: 5 * time.Second}
	}
	return b, nil
}

// newAUILive builds the AUI live front.
func (s *Server) newAUILive(cfg *auilive.Config, service *svc.Service, appID int64, o Options) (*auilive.Service, error) {
	b, err := s.auiBase("aui_live_jwt_key", "aui_live", cfg.Login, cfg.OpenAPI.Configured(), o)
	if err != nil {
		return nil, err
	}
	a := auilive.New(cfg, auilive.Deps{Store: s.Store, Accounts: auiAccounts{svc: service, appID: appID},
		Key: b.key, HTTP: b.client, Now: o.Now, Log: s.Log})
	s.Log.Info("AUI live API on /api/v1/live/ and /api/v2/live/", "login", cfg.Login, "key", b.keyWas,
		"reference_key_honoured", cfg.JWTKey != "", "list_shape", cfg.ListShape, "meeting_update", cfg.MeetingUpdate)
	return a, nil
}

// newAUIClass builds the AUI classroom front.
func (s *Server) newAUIClass(cfg *auiclass.Config, service *svc.Service, appID int64, o Options) (*auiclass.Service, error) {
	b, err := s.auiBase("aui_class_jwt_key", "aui_class", cfg.Login, cfg.OpenAPI.Configured(), o)
	if err != nil {
		return nil, err
	}
	if !cfg.Whiteboard.On() {
		s.Log.Warn("aui_class: no whiteboard keys: classes get no whiteboard room")
	}
	a := auiclass.New(cfg, auiclass.Deps{Store: s.Store, Accounts: auiAccounts{svc: service, appID: appID},
		Key: b.key, HTTP: b.client, Now: o.Now, Log: s.Log})
	s.Log.Info("AUI class API on /api/v1/class/ and /api/v2/class/", "login", cfg.Login, "key", b.keyWas,
		"java_key_honoured", cfg.JWTKey != "")
	return a, nil
}

// settingKey returns the random key kept in t_setting under name, made
// on first start (made is true then). Servers starting together on one
// database agree on one.
func settingKey(st *store.Store, name string) (key string, made bool, err error) {
	ctx := context.Background()
	key, err = st.Setting(ctx, name)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", false, fmt.Errorf("read %s: %w", name, err)
	}
	mine, err := randomHex(32)
	if err != nil {
		return "", false, err
	}
	key, err = st.AddSetting(ctx, name, mine)
	if err != nil {
		return "", false, fmt.Errorf("store %s: %w", name, err)
	}
	return key, key == mine, nil
}

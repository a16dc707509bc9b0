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

// newAUILive builds the AUI live front: its token key is made on first
// start and kept in the database.
func newAUILive(cfg *auilive.Config, st *store.Store, service *svc.Service, appID int64, o Options, s *Server) (*auilive.Service, error) {
	key, made, err := settingKey(st, "aui_live_jwt_key")
	if err != nil {
		return nil, err
	}
	if cfg.Login == "demo" {
		s.Log.Warn("AUI live: demo login: any name whose password is the name logs in, and its account is made on first login; set aui_live.login to \"accounts\" for real users")
	}
	if !cfg.OpenAPI.Configured() {
		s.Log.Warn("AUI live: no openapi keys: rooms get local ids, no IM group is made and IM tokens are refused")
	}
	client := o.AUIClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	a := auilive.New(cfg, auilive.Deps{Store: st, Accounts: auiAccounts{svc: service, appID: appID},
		Key: []byte(key), HTTP: client, Now: o.Now, Log: s.Log})
	s.Log.Info("AUI live API on /api/v1/live/, /api/v2/live/ and /login", "login", cfg.Login,
		"key", map[bool]string{true: "generated now, kept in the database", false: "kept in the database"}[made],
		"reference_key_honoured", cfg.JWTKey != "", "list_shape", cfg.ListShape, "meeting_update", cfg.MeetingUpdate)
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

// newAUIClass builds the AUI classroom front: its token key is made on
// first start and kept in the database.
func newAUIClass(cfg *auiclass.Config, st *store.Store, service *svc.Service, appID int64, o Options, s *Server) (*auiclass.Service, error) {
	key, made, err := settingKey(st, "aui_class_jwt_key")
	if err != nil {
		return nil, err
	}
	if cfg.Login == "demo" {
		s.Log.Warn("AUI class: demo login: any name whose password is the name logs in, and its account is made on first login; set aui_class.login to \"accounts\" for real users")
	}
	if !cfg.OpenAPI.Configured() {
		s.Log.Warn("AUI class: no openapi keys: classes get local ids, no IM group is made, no IM message is sent and IM tokens are refused")
	}
	if !cfg.Whiteboard.On() {
		s.Log.Warn("AUI class: no whiteboard keys: classes get no whiteboard room")
	}
	client := o.AUIClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	a := auiclass.New(cfg, auiclass.Deps{Store: st, Accounts: auiAccounts{svc: service, appID: appID},
		Key: []byte(key), HTTP: client, Now: o.Now, Log: s.Log})
	s.Log.Info("AUI class API on /api/v1/class/ and /api/v2/class/", "login", cfg.Login,
		"key", map[bool]string{true: "generated now, kept in the database", false: "kept in the database"}[made],
		"java_key_honoured", cfg.JWTKey != "")
	return a, nil
}

package tests

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"sxb-edu/lcic"
	"sxb-edu/server"
)

type lcicRequest struct {
	*tchttp.BaseRequest
	params M
}

func (r *lcicRequest) MarshalJSON() ([]byte, error) { return json.Marshal(r.params) }

type lcicResponse struct {
	*tchttp.BaseResponse
	Response M `json:"Response"`
}

// School is a school's system calling the LCIC API through Tencent's own
// Go SDK client.
type School struct {
	T      testing.TB
	Client *common.Client
}

// NewSchool is a school system with the key (id, secret) pointed at h.
func NewSchool(t testing.TB, h *Env, id, secret string) *School {
	u, _ := url.Parse(h.HTTP.URL)
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = u.Host
	cpf.HttpProfile.Scheme = "http"
	c := &common.Client{}
	c.Init("ap-guangzhou").WithCredential(common.NewCredential(id, secret)).WithProfile(cpf)
	return &School{T: t, Client: c}
}

// Try sends an action; the SDK's error as it gives it.
func (s *School) Try(action string, params M) (M, error) {
	req := &lcicRequest{BaseRequest: &tchttp.BaseRequest{}, params: params}
	req.Init().WithApiInfo("lcic", lcic.Version, action)
	resp := &lcicResponse{BaseResponse: &tchttp.BaseResponse{}}
	err := s.Client.Send(req, resp)
	return resp.Response, err
}

// Call sends an action that must succeed.
func (s *School) Call(action string, params M) M {
	s.T.Helper()
	out, err := s.Try(action, params)
	if err != nil {
		s.T.Fatalf("%s %v: %v", action, params, err)
	}
	if out["RequestId"] == "" {
		s.T.Fatalf("%s: no RequestId: %v", action, out)
	}
	return out
}

// Fails sends an action that must fail with code.
func (s *School) Fails(action string, params M, code string) {
	s.T.Helper()
	_, err := s.Try(action, params)
	var e *tcerr.TencentCloudSDKError
	if !errors.As(err, &e) || e.Code != code || e.RequestId == "" {
		s.T.Fatalf("%s %v: want %s, got %v", action, params, code, err)
	}
}

// NewLCIC starts a server with the LCIC API on (edit may change the
// configuration further) and a key of AppA; it answers the key too.
func NewLCIC(t testing.TB, edit func(*server.Config)) (h *Env, sc *School, id, secret string) {
	secrets := filepath.Join(t.TempDir(), "secrets")
	h = New(t, func(c *server.Config) {
		c.LCIC = &lcic.Config{SecretsFile: secrets}
		if edit != nil {
			edit(c)
		}
	})
	kr, err := lcic.LoadKeyring(secrets)
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err = lcic.CreateKey(context.Background(), h.Store, kr, "timetable sync", AppA, h.Unix())
	if err != nil {
		t.Fatal(err)
	}
	return h, NewSchool(t, h, id, secret), id, secret
}

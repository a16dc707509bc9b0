package lcic

import (
	"context"
	"errors"

	"sxb-edu/store"
)

// The actions, by name.
var actions = map[string]action{}

func init() {
	for name, a := range map[string]action{
		"RegisterUser": (*Service).registerUser, "BatchRegister": (*Service).batchRegister,
		"LoginUser": (*Service).loginUser, "LoginOriginId": (*Service).loginOriginID,
		"ModifyUserProfile": (*Service).modifyUser, "DescribeUser": (*Service).describeUser,
		"DeleteUser": (*Service).deleteUser,
	} {
		actions[name] = a
	}
}

type userParams struct {
	SdkAppId *uint64
	Name     *string
	OriginId *string
	Avatar   *string
}

// maxUserField bounds a user's name, avatar URL and school id.
const maxUserField = 255

func (s *Service) register(ctx context.Context, app int64, p *userParams) (*store.LCICUser, error) {
	name, origin, avatar := str(p.Name), str(p.OriginId), str(p.Avatar)
	if len(name) > maxUserField || len(origin) > maxUserField || len(avatar) > 2048 {
		return nil, fail("InvalidParameter", "Name and OriginId hold at most 255 bytes, Avatar 2048")
	}
	id := randomText(27)
	if origin == "" {
		origin = id // as LCIC does: the user's own id
	}
	u, _, err := s.st.RegisterLCICUser(ctx, &store.LCICUser{UserID: id, AppID: app, OriginID: origin, Name: name, Avatar: avatar,
		Created: s.d.Now().Unix()})
	return u, err
}

// token signs a user in: the 随心播 token the apps use (and its IM userSig).
func (s *Service) token(ctx context.Context, u *store.LCICUser) (map[string]any, error) {
	if u.Deleted {
		return nil, fail("ResourceNotFound.User", "user %s was deleted", u.UserID)
	}
	a, err := s.st.AccountByUID(ctx, u.UserID)
	if err != nil {
		return nil, err
	}
	tok, sig, err := s.d.SignIn(ctx, a)
	if err != nil {
		return nil, err
	}
	return map[string]any{"UserId": u.UserID, "Token": tok, "UserSig": sig}, nil
}

func (s *Service) registerUser(ctx context.Context, c *call) (any, error) {
	var p userParams
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	u, err := s.register(ctx, c.key.AppID, &p)
	if err != nil {
		return nil, err
	}
	return s.token(ctx, u)
}

func (s *Service) batchRegister(ctx context.Context, c *call) (any, error) {
	var p struct{ Users []userParams }
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if len(p.Users) == 0 || len(p.Users) > 1000 {
		return nil, fail("InvalidParameter", "Users holds 1 to 1000 users")
	}
	for i := range p.Users {
		if err := c.app(p.Users[i].SdkAppId, true); err != nil {
			return nil, err
		}
	}
	out := make([]map[string]any, 0, len(p.Users))
	for i := range p.Users {
		u, err := s.register(ctx, c.key.AppID, &p.Users[i])
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"SdkAppId": c.key.AppID, "UserId": u.UserID, "OriginId": u.OriginID})
	}
	return map[string]any{"Users": out}, nil
}

// user finds a user of the key's app.
func (s *Service) user(ctx context.Context, c *call, id string) (*store.LCICUser, error) {
	if id == "" {
		return nil, fail("MissingParameter", "UserId is required")
	}
	u, err := s.st.LCICUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (u.AppID != c.key.AppID || u.Deleted) {
		return nil, fail("ResourceNotFound.User", "no user %s", id)
	}
	return u, err
}

func (s *Service) loginUser(ctx context.Context, c *call) (any, error) {
	var p struct{ UserId *string }
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	u, err := s.user(ctx, c, str(p.UserId))
	if err != nil {
		return nil, err
	}
	return s.token(ctx, u)
}

func (s *Service) loginOriginID(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId *uint64
		OriginId *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	if str(p.OriginId) == "" {
		return nil, fail("MissingParameter", "OriginId is required")
	}
	u, err := s.st.LCICUserByOrigin(ctx, c.key.AppID, str(p.OriginId))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fail("ResourceNotFound.User", "no user has OriginId %s", str(p.OriginId))
	}
	if err != nil {
		return nil, err
	}
	return s.token(ctx, u)
}

func (s *Service) modifyUser(ctx context.Context, c *call) (any, error) {
	var p struct {
		UserId, Nickname, Avatar *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if len(str(p.Nickname)) > maxUserField || len(str(p.Avatar)) > 2048 {
		return nil, fail("InvalidParameter", "Nickname holds at most 255 bytes, Avatar 2048")
	}
	u, err := s.user(ctx, c, str(p.UserId))
	if err != nil {
		return nil, err
	}
	return nil, s.st.ModifyLCICUser(ctx, u.UserID, p.Nickname, p.Avatar)
}

func (s *Service) describeUser(ctx context.Context, c *call) (any, error) {
	var p struct{ UserId *string }
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	u, err := s.user(ctx, c, str(p.UserId))
	if err != nil {
		return nil, err
	}
	return map[string]any{"SdkAppId": u.AppID, "UserId": u.UserID, "Name": u.Name, "Avatar": u.Avatar, "OriginId": u.OriginID}, nil
}

func (s *Service) deleteUser(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId *uint64
		UserId   *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, false); err != nil {
		return nil, err
	}
	u, err := s.user(ctx, c, str(p.UserId))
	if err != nil {
		return nil, err
	}
	if err := s.st.DeleteLCICUser(ctx, u, s.d.Now().Unix()); err != nil {
		return nil, err
	}
	_, err = s.d.SignOut(ctx, u.Uin)
	return nil, err
}

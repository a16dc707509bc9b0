package lcic

import (
	"context"
	"errors"
	"net/url"

	"sxb-edu/store"
)

func init() {
	for name, a := range map[string]action{
		"CreateGroupWithMembers": (*Service).createGroup, "AddGroupMember": (*Service).addGroupMember,
		"DeleteGroupMember": (*Service).deleteGroupMember, "DescribeGroup": (*Service).describeGroup,
		"DescribeGroupList": (*Service).groupList, "DescribeGroupMemberList": (*Service).groupMembers,
		"DeleteGroup":       (*Service).deleteGroup,
		"DescribeDeveloper": (*Service).describeDeveloper, "DescribeAppDetail": (*Service).describeApp,
		"ModifyApp": (*Service).modifyApp,
	} {
		actions[name] = a
	}
}

// maxMembers bounds the members one call adds or removes.
const maxMembers = 200

// group finds a group of the key's app.
func (s *Service) group(ctx context.Context, c *call, id string) (*store.LCICGroup, error) {
	if id == "" {
		return nil, fail("MissingParameter", "GroupId is required")
	}
	g, err := s.st.LCICGroup(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && g.AppID != c.key.AppID {
		return nil, fail("ResourceNotFound.GroupNotExist", "no group %s", id)
	}
	return g, err
}

// members checks that every id is a user of the app.
func (s *Service) members(ctx context.Context, c *call, ids []string) error {
	if len(ids) > maxMembers {
		return fail("InvalidParameter", "MemberIds holds at most %d users", maxMembers)
	}
	users, err := s.st.LCICUsers(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if u := users[id]; u == nil || u.AppID != c.key.AppID || u.Deleted {
			return fail("ResourceNotFound.User", "no user %s", id)
		}
	}
	return nil
}

type groupParams struct {
	GroupId   *string
	GroupName *string
	SdkAppId  *uint64
	TeacherId *string
	MemberIds []string
}

func (s *Service) createGroup(ctx context.Context, c *call) (any, error) {
	var p groupParams
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	name := str(p.GroupName)
	if name == "" || len(name) > 255 {
		return nil, fail("InvalidParameter", "GroupName holds 1 to 255 bytes")
	}
	if t := str(p.TeacherId); t != "" {
		if _, err := s.user(ctx, c, t); err != nil {
			return nil, err
		}
	}
	if err := s.members(ctx, c, p.MemberIds); err != nil {
		return nil, err
	}
	g := &store.LCICGroup{GroupID: randomText(24), AppID: c.key.AppID, Name: name, TeacherID: str(p.TeacherId), Created: s.d.Now().Unix()}
	if err := s.st.CreateLCICGroup(ctx, g, p.MemberIds); err != nil {
		return nil, err
	}
	return map[string]any{"GroupId": g.GroupID}, nil
}

func (s *Service) groupCall(ctx context.Context, c *call) (*groupParams, *store.LCICGroup, error) {
	var p groupParams
	if err := c.bind(&p); err != nil {
		return nil, nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, nil, err
	}
	g, err := s.group(ctx, c, str(p.GroupId))
	return &p, g, err
}

func (s *Service) addGroupMember(ctx context.Context, c *call) (any, error) {
	p, g, err := s.groupCall(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.members(ctx, c, p.MemberIds); err != nil {
		return nil, err
	}
	return nil, s.st.AddLCICGroupMembers(ctx, g.GroupID, p.MemberIds, s.d.Now().Unix())
}

func (s *Service) deleteGroupMember(ctx context.Context, c *call) (any, error) {
	p, g, err := s.groupCall(ctx, c)
	if err != nil {
		return nil, err
	}
	if len(p.MemberIds) > maxMembers {
		return nil, fail("InvalidParameter", "MemberIds holds at most %d users", maxMembers)
	}
	return nil, s.st.DeleteLCICGroupMembers(ctx, g.GroupID, p.MemberIds)
}

func (s *Service) describeGroup(ctx context.Context, c *call) (any, error) {
	_, g, err := s.groupCall(ctx, c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"GroupId": g.GroupID, "GroupName": g.Name, "TeacherId": g.TeacherID, "GroupType": 0, "SubGroupIds": []string{}}, nil
}

func (s *Service) groupList(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId, Page, Limit *uint64
		TeacherId, MemberId   *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	offset, limit := page(p.Page, p.Limit, 20, 1000)
	total, gs, err := s.st.LCICGroups(ctx, c.key.AppID, str(p.TeacherId), str(p.MemberId), offset, limit)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, len(gs))
	for i, g := range gs {
		list[i] = map[string]any{"GroupId": g.GroupID, "GroupName": g.Name, "TeacherId": g.TeacherID, "GroupType": 0}
	}
	return map[string]any{"Total": total, "GroupInfos": list}, nil
}

func (s *Service) groupMembers(ctx context.Context, c *call) (any, error) {
	var p struct {
		GroupId               *string
		SdkAppId, Page, Limit *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, c, str(p.GroupId))
	if err != nil {
		return nil, err
	}
	offset, limit := page(p.Page, p.Limit, 20, 1000)
	total, ids, err := s.st.LCICGroupMembers(ctx, g.GroupID, offset, limit)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	return map[string]any{"Total": total, "MemberIds": ids}, nil
}

func (s *Service) deleteGroup(ctx context.Context, c *call) (any, error) {
	var p struct {
		GroupIds []string
		SdkAppId *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	for _, id := range p.GroupIds {
		if _, err := s.group(ctx, c, id); err != nil {
			return nil, err
		}
	}
	return nil, s.st.DeleteLCICGroups(ctx, c.key.AppID, p.GroupIds)
}

// developerID is the one developer of a self-hosted server.
const developerID = "sxb-edu"

func (s *Service) describeDeveloper(ctx context.Context, c *call) (any, error) {
	return map[string]any{"DeveloperId": developerID, "PayMode": 0, "RefundMode": 0}, nil
}

func (s *Service) describeApp(ctx context.Context, c *call) (any, error) {
	var p struct{ ApplicationId, DeveloperId *string }
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if id := str(p.ApplicationId); id != "" && id != itoa(c.key.AppID) {
		return nil, fail("InvalidParameter.SdkAppId", "ApplicationId %s is not this key's app", id)
	}
	a, err := s.st.LCICApp(ctx, c.key.AppID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"SdkAppId": itoa(c.key.AppID), "AppConfig": map[string]any{"Callback": a.Callback}, "SceneConfig": []any{}}, nil
}

func (s *Service) modifyApp(ctx context.Context, c *call) (any, error) {
	var p struct {
		SdkAppId              *uint64
		Callback, CallbackKey *string
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, true); err != nil {
		return nil, err
	}
	a, err := s.st.LCICApp(ctx, c.key.AppID)
	if err != nil {
		return nil, err
	}
	if p.Callback != nil {
		a.Callback = str(p.Callback)
		if err := checkCallback(a.Callback); err != nil {
			return nil, err
		}
	}
	if p.CallbackKey != nil {
		a.CallbackKey = str(p.CallbackKey)
	}
	return nil, s.st.SetLCICApp(ctx, a)
}

// checkCallback accepts an http(s) URL, or none (no callbacks).
func checkCallback(u string) error {
	p, err := url.Parse(u)
	if u != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
		return fail("InvalidParameter", "Callback %q is not an http(s) URL", u)
	}
	return nil
}

// SetCallback sets an app's callback URL and key (the console's form).
func (s *Service) SetCallback(ctx context.Context, app int64, callback, key string) error {
	if err := checkCallback(callback); err != nil {
		return err
	}
	return s.st.SetLCICApp(ctx, &store.LCICApp{AppID: app, Callback: callback, CallbackKey: key})
}

package auiclass

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"sxb-edu/aui"
	"sxb-edu/store"
)

func (s *Service) token(ctx context.Context, in *tokenRequest, user string) result {
	if in.UserID != user {
		return notYou
	}
	servers := in.ImServer
	if len(servers) == 0 {
		servers = []string{"aliyun"}
	}
	out := struct {
		Access  string `json:"aliyun_access_token"`
		Refresh string `json:"aliyun_refresh_token"`
		Rong    string `json:"rong_cloud_token"`
	}{}
	if has(servers, "aliyun") {
		var err error
		if out.Access, out.Refresh, err = s.imToken(ctx, in.UserID, in.DeviceID, in.DeviceType); err != nil {
			s.log.Warn("aui class: IM token", "user", in.UserID, "err", err)
			return fail(500, "aliyun token is null")
		}
	}
	if has(servers, "rongCloud") {
		return fail(500, "rongCloud token is null")
	}
	return ok(out)
}

func (s *Service) tokenV2(ctx context.Context, in *tokenRequest, user string) result {
	if len(in.ImServer) == 0 {
		return errInvalid
	}
	for _, v := range in.ImServer {
		if v != "aliyun_old" && v != "aliyun_new" && v != "rong_cloud" {
			return errInvalid
		}
	}
	if in.UserID != user {
		return notYou
	}
	out := map[string]any{}
	if has(in.ImServer, "aliyun_old") {
		if a, r, err := s.imToken(ctx, in.UserID, in.DeviceID, in.DeviceType); err == nil {
			out["aliyun_old_im"] = map[string]string{"access_token": a, "refresh_token": r}
		} else {
			s.log.Warn("aui class: IM token", "user", in.UserID, "err", err)
		}
	}
	if has(in.ImServer, "aliyun_new") && s.cfg.NewIM.AppID != "" {
		out["aliyun_new_im"] = s.cfg.NewIM.Token(in.UserID, in.Role, s.now())
	}
	return ok(out)
}

func (s *Service) create(ctx context.Context, in *createRequest, old, nw bool) result {
	if !old && !nw {
		return errServer // the Java server's answer when no IM group was made
	}
	id, err := s.createGroup(ctx, in.TeacherID, old, nw)
	if err != nil {
		return fail(500, err.Error())
	}
	boards, err := s.createBoard(ctx, id, in.Title)
	var be *boardError
	if errors.As(err, &be) {
		return fail(be.code, be.msg)
	}
	if err != nil {
		s.log.Warn("aui class: whiteboard room", "class", id, "err", err)
		return errServer
	}
	var im []string
	if old {
		im = append(im, "old")
	}
	if nw {
		im = append(im, "new")
	}
	now := s.now().UnixMilli()
	c := &store.AUIClass{ID: id, CreatedMS: now, UpdatedMS: now, Title: in.Title, TeacherID: in.TeacherID,
		TeacherNick: in.TeacherNick, Extends: in.Extends, Mode: *in.Mode, AliyunID: id, IM: strings.Join(im, ","),
		MeetingID: aui.UUID(), Boards: boards}
	if err := s.st.CreateAUIClass(ctx, c); err != nil {
		s.log.Error("aui class: create", "class", id, "err", err)
		return errServer
	}
	v := viewOf(c)
	v.LinkInfo = s.link(c.MeetingID, in.TeacherID, in.TeacherID, s.now().Unix())
	return ok(v)
}

// maxPage caps a list page: every class on it costs cloud calls.
const maxPage = 100

func (s *Service) list(ctx context.Context, in *listRequest, user string) result {
	size := min(max(*in.PageSize, 1), maxPage)
	offset := max(*in.PageNum-1, 0) * size
	_, rows, err := s.st.AUIClasses(ctx, offset, size)
	if err != nil {
		return s.storeFail(err)
	}
	out := make([]*classView, len(rows))
	for i := range rows {
		out[i] = s.view(ctx, &rows[i], user)
	}
	return ok(out)
}

// teacherOnly refuses a change by anyone but the class's teacher.
func teacherOnly(c *store.AUIClass, user, what string) error {
	if c.TeacherID != user {
		return refuse(fail(403, "only the teacher may "+what+" this class"))
	}
	return nil
}

func (s *Service) setStatus(ctx context.Context, in *statusRequest, user, cmd string) result {
	if in.UserID != user {
		return notYou
	}
	var c store.AUIClass
	err := s.st.InAUIClass(ctx, in.ID, func(t *store.AUIClassTx) error {
		if err := teacherOnly(&t.Class, user, cmd); err != nil {
			return err
		}
		if t.Class.Status == StatusStopped && cmd != "stop" {
			return refuse(fail(400, "课堂已结束"))
		}
		now := s.now().UnixMilli()
		switch cmd {
		case "start":
			t.Class.Status, t.Class.StartedMS = StatusStarted, now
		case "pause":
			t.Class.Status = StatusPrepared
		case "stop":
			t.Class.Status, t.Class.StopMS = StatusStopped, now
		}
		t.Class.UpdatedMS = now
		c = t.Class
		return t.Save()
	})
	if err != nil {
		return s.storeFail(err)
	}
	return ok(s.view(ctx, &c, user))
}

func (s *Service) delete(ctx context.Context, in *statusRequest, user string) result {
	if in.UserID != user {
		return notYou
	}
	var v *classView
	var boards string
	err := s.st.InAUIClass(ctx, in.ID, func(t *store.AUIClassTx) error {
		if err := teacherOnly(&t.Class, user, "delete"); err != nil {
			return err
		}
		v, boards = viewOf(&t.Class), t.Class.Boards
		return t.Delete()
	})
	if err != nil {
		return s.storeFail(err)
	}
	s.deleteBoard(ctx, boards)
	return ok(v)
}

// Delete removes a class for a console operator.
func (s *Service) Delete(ctx context.Context, id string) error {
	var boards string
	err := s.st.InAUIClass(ctx, id, func(t *store.AUIClassTx) error {
		boards = t.Class.Boards
		return t.Delete()
	})
	if err == nil {
		s.deleteBoard(ctx, boards)
	}
	return err
}

func (s *Service) update(ctx context.Context, in *updateRequest, user string) result {
	var c store.AUIClass
	err := s.st.InAUIClass(ctx, in.ID, func(t *store.AUIClassTx) error {
		if err := teacherOnly(&t.Class, user, "update"); err != nil {
			return err
		}
		if in.Title != "" {
			t.Class.Title = in.Title
		}
		if in.Notice != "" {
			t.Class.Notice = in.Notice
		}
		if in.Extends != "" {
			t.Class.Extends = in.Extends
		}
		t.Class.UpdatedMS = s.now().UnixMilli()
		c = t.Class
		return t.Save()
	})
	if err != nil {
		return s.storeFail(err)
	}
	return ok(s.view(ctx, &c, user))
}

// meetingInfo is a class's co-streaming state as the apps keep it.
type meetingInfo struct {
	Members            []json.RawMessage `json:"members"`
	AllMute            *bool             `json:"all_mute,omitempty"`
	InteractionAllowed *bool             `json:"interaction_allowed,omitempty"`
}

func meetingOf(stored string) *meetingInfo {
	m := &meetingInfo{}
	if json.Unmarshal([]byte(stored), m) != nil || stored == "" {
		return &meetingInfo{Members: []json.RawMessage{}}
	}
	return m
}

func (s *Service) updateMeeting(ctx context.Context, in *meetingRequest, user string) result {
	var m *meetingInfo
	err := s.st.InAUIClass(ctx, in.ID, func(t *store.AUIClassTx) error {
		m = meetingOf(t.Class.MeetingInfo)
		if in.Members != nil {
			m.Members = in.Members
		}
		if in.AllMute != nil {
			m.AllMute = in.AllMute
		}
		if in.InteractionAllowed != nil {
			m.InteractionAllowed = in.InteractionAllowed
		}
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		t.Class.MeetingInfo, t.Class.UpdatedMS = string(b), s.now().UnixMilli()
		return t.Save()
	})
	if err != nil {
		return s.storeFail(err)
	}
	s.log.Info("aui class: co-streaming state changed", "class", in.ID, "by", user, "members", len(m.Members))
	return ok(m)
}

func (s *Service) join(ctx context.Context, in *joinRequest, user string) result {
	if in.Identity != nil && (*in.Identity < 0 || *in.Identity > Teacher) {
		return errInvalid
	}
	if in.UserID != user {
		return notYou
	}
	var c store.AUIClass
	var joined *store.AUIClassMember
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		c = t.Class
		now := s.now().UnixMilli()
		if kicked, err := t.Kicked(in.UserID, now); err != nil || kicked {
			if err != nil {
				return err
			}
			return refuse(refusal("InBlackList"))
		}
		old, err := t.Member(in.UserID)
		if err == nil && old.Status == Present {
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		m := &store.AUIClassMember{ClassID: c.ID, UserID: in.UserID, UserName: in.UserName, UserAvatar: in.UserAvatar,
			Identity: Student, Status: Present, CreatedMS: now, UpdatedMS: now}
		switch {
		case c.TeacherID == in.UserID:
			m.Identity = Teacher
		case in.Identity != nil && *in.Identity == Assistant:
			m.Identity = Assistant
			if _, err := t.Permit(); errors.Is(err, store.ErrNotFound) {
				return refuse(refusal("ClassNotAssistantPermit"))
			} else if err != nil {
				return err
			}
			if a, err := t.Assistant(); err == nil && a.UserID != in.UserID {
				return refuse(refusal("ClassHasAssistant"))
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		joined = m
		return t.PutMember(m)
	})
	if errors.Is(err, store.ErrNotFound) {
		return refusal("ClassNotFound")
	}
	if err != nil {
		return s.storeFail(err)
	}
	if joined != nil {
		s.notify(ctx, &c, msgJoin, joined)
	}
	return ok(nil)
}

func (s *Service) leave(ctx context.Context, in *leaveRequest, user string) result {
	if in.UserID != user {
		return notYou
	}
	var c store.AUIClass
	var left *store.AUIClassMember
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		c = t.Class
		m, err := t.Member(in.UserID)
		if errors.Is(err, store.ErrNotFound) || err == nil && m.Status != Present {
			return refuse(refusal("NotInClass"))
		}
		if err != nil {
			return err
		}
		m.Status, m.UpdatedMS = Left, s.now().UnixMilli()
		left = m
		_, err = t.SetMemberStatus(in.UserID, Left, m.UpdatedMS)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return refusal("ClassNotFound")
	}
	if err != nil {
		return s.storeFail(err)
	}
	s.notify(ctx, &c, msgLeave, left)
	return ok(nil)
}

func (s *Service) kick(ctx context.Context, in *kickRequest, user string) result {
	var c store.AUIClass
	var kicked *store.AUIClassMember
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		c = t.Class
		if err := teacherOnly(&t.Class, user, "kick members out of"); err != nil {
			return err
		}
		if in.UserID == t.Class.TeacherID {
			return refuse(fail(400, "the teacher cannot be kicked out"))
		}
		now := s.now()
		if err := t.Kick(in.UserID, now.Add(kickFor).UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		m, err := t.Member(in.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		m.Status, m.UpdatedMS = Kicked, now.UnixMilli()
		kicked = m
		_, err = t.SetMemberStatus(in.UserID, Kicked, m.UpdatedMS)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return errServer // the Java server's answer to a kick from a missing class
	}
	if err != nil {
		return s.storeFail(err)
	}
	if kicked != nil {
		s.notify(ctx, &c, msgKick, kicked)
	}
	return ok(nil)
}

// LiftKick lets a kicked user join again (the console's action).
func (s *Service) LiftKick(ctx context.Context, classID, userID string) (bool, error) {
	var lifted bool
	err := s.st.InAUIClass(ctx, classID, func(t *store.AUIClassTx) error {
		var err error
		lifted, err = t.LiftKick(userID)
		return err
	})
	return lifted, err
}

// RemoveMember kicks a member out for a console operator (the teacher too).
func (s *Service) RemoveMember(ctx context.Context, classID, userID string) error {
	var c store.AUIClass
	var m *store.AUIClassMember
	err := s.st.InAUIClass(ctx, classID, func(t *store.AUIClassTx) error {
		c = t.Class
		var err error
		if m, err = t.Member(userID); err != nil {
			return err
		}
		now := s.now()
		if err := t.Kick(userID, now.Add(kickFor).UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		m.Status = Kicked
		_, err = t.SetMemberStatus(userID, Kicked, now.UnixMilli())
		return err
	})
	if err == nil {
		s.notify(ctx, &c, msgKick, m)
	}
	return err
}

// Stop ends a class for a console operator.
func (s *Service) Stop(ctx context.Context, id string) error {
	return s.st.InAUIClass(ctx, id, func(t *store.AUIClassTx) error {
		now := s.now().UnixMilli()
		t.Class.Status, t.Class.StopMS, t.Class.UpdatedMS = StatusStopped, now, now
		return t.Save()
	})
}

func (s *Service) members(ctx context.Context, in *membersRequest, user string) result {
	if *in.Status < 0 || *in.Status > Kicked {
		return errInvalid
	}
	if _, err := s.st.AUIClass(ctx, in.ClassID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errServer // the Java server's answer for a missing class
		}
		return s.storeFail(err)
	}
	num, size := int64(1), int64(20)
	if in.PageNum != nil {
		num = max(*in.PageNum, 1)
	}
	if in.PageSize != nil {
		size = min(max(*in.PageSize, 1), maxPage)
	}
	identity := 0
	if in.Identity != nil {
		identity = *in.Identity
	}
	total, rows, err := s.st.AUIClassMembers(ctx, in.ClassID, identity, *in.Status, (num-1)*size, size)
	if err != nil {
		return s.storeFail(err)
	}
	list := make([]*memberView, len(rows))
	for i := range rows {
		list[i] = memberOf(&rows[i], false)
	}
	return ok(map[string]any{"total": total, "members": list})
}

type docView struct {
	ClassID    string `json:"classId"`
	DocID      string `json:"docId"`
	ServerType string `json:"serverType,omitempty"`
	DocInfos   string `json:"docInfos,omitempty"`
	CreatedAt  *jdate `json:"createdAt,omitempty"`
}

func (s *Service) addDoc(ctx context.Context, in *docRequest, user string) result {
	d := &store.AUIClassDoc{DocID: in.DocID, ServerType: in.ServerType, DocInfos: in.Data, CreatedMS: s.now().UnixMilli()}
	added := false
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		var err error
		added, err = t.AddDoc(d)
		return err
	})
	if err != nil {
		return s.storeFail(err)
	}
	if !added {
		return fail(500, "id已经存在")
	}
	return ok(docView{ClassID: in.ClassID, DocID: d.DocID, ServerType: d.ServerType, DocInfos: d.DocInfos, CreatedAt: date(d.CreatedMS)})
}

func (s *Service) deleteDoc(ctx context.Context, in *docDeleteRequest, user string) result {
	removed := false
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		var err error
		removed, err = t.DeleteDoc(in.DocID)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.storeFail(err)
	}
	if !removed {
		return errServer
	}
	return ok(nil)
}

func (s *Service) queryDocs(ctx context.Context, in *docQueryRequest, user string) result {
	docs, err := s.st.AUIClassDocs(ctx, in.ClassID)
	if err != nil {
		return s.storeFail(err)
	}
	list := make([]docView, len(docs))
	for i, d := range docs {
		list[i] = docView{ClassID: d.ClassID, DocID: d.DocID, ServerType: d.ServerType, DocInfos: d.DocInfos, CreatedAt: date(d.CreatedMS)}
	}
	return ok(map[string]any{"docInfos": list})
}

func (s *Service) addDocs(ctx context.Context, in *docsRequest, user string) result {
	added := []docsInfo{}
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		now := s.now().UnixMilli()
		for _, d := range in.DocInfo {
			if d.DocID == "" {
				continue
			}
			ok, err := t.AddDoc(&store.AUIClassDoc{DocID: d.DocID, ServerType: d.ServerType, DocInfos: d.Data, CreatedMS: now})
			if err != nil {
				return err
			}
			if ok {
				added = append(added, d)
			}
		}
		return nil
	})
	if err != nil {
		return s.storeFail(err)
	}
	return ok(map[string]any{"classId": in.ClassID, "docsInfoList": added})
}

func (s *Service) deleteDocs(ctx context.Context, in *docsDeleteRequest, user string) result {
	type deleted struct {
		ClassID string `json:"classId"`
		DocID   string `json:"docId"`
	}
	var out []deleted
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		for _, id := range strings.Split(in.DocIDs, ",") {
			ok, err := t.DeleteDoc(id)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, deleted{in.ClassID, id})
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.storeFail(err)
	}
	if len(out) == 0 {
		return ok("docIds不存在")
	}
	return ok(out)
}

type permitView struct {
	ClassID   string `json:"class_id"`
	Permit    string `json:"permit"`
	CreatedAt *jdate `json:"created_at,omitempty"`
	UpdatedAt *jdate `json:"updated_at,omitempty"`
}

func permitOf(p *store.AUIClassPermit) permitView {
	return permitView{ClassID: p.ClassID, Permit: p.Permit, CreatedAt: date(p.CreatedMS), UpdatedAt: date(p.UpdatedMS)}
}

func (s *Service) setPermit(ctx context.Context, in *permitRequest, user string) result {
	var p *store.AUIClassPermit
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		if err := teacherOnly(&t.Class, user, "set the assistant permit of"); err != nil {
			return err
		}
		if err := t.SetPermit(in.Permit, s.now().UnixMilli()); err != nil {
			return err
		}
		var err error
		p, err = t.Permit()
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return errServer // the Java server's answer for a missing class
	}
	if err != nil {
		return s.storeFail(err)
	}
	return ok(permitOf(p))
}

func (s *Service) deletePermit(ctx context.Context, in *permitClassRequest, user string) result {
	var c store.AUIClass
	var gone *store.AUIClassMember
	err := s.st.InAUIClass(ctx, in.ClassID, func(t *store.AUIClassTx) error {
		c = t.Class
		if err := teacherOnly(&t.Class, user, "delete the assistant permit of"); err != nil {
			return err
		}
		if err := t.DeletePermit(); err != nil {
			return err
		}
		a, err := t.Assistant()
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		gone = a
		return t.DeleteMember(a.UserID)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.storeFail(err)
	}
	if gone != nil {
		s.notify(ctx, &c, msgLeave, gone)
	}
	return ok(nil)
}

package auiclass

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"sxb-edu/store"
)

// The requests, with the Java server's field rules and messages.
type (
	tokenRequest struct {
		UserID     string   `json:"user_id" check:"notblank" msg:"userId不能为空"`
		DeviceID   string   `json:"device_id" check:"notblank" msg:"deviceId不能为空"`
		DeviceType string   `json:"device_type" check:"notblank" msg:"deviceType不能为空"`
		ImServer   []string `json:"im_server"`
		Role       string   `json:"role"`
	}
	createRequest struct {
		Title       string   `json:"title" check:"notblank" msg:"title不能为空"`
		TeacherID   string   `json:"teacher_id" check:"notblank" msg:"teacher_id不能为空"`
		TeacherNick string   `json:"teacher_nick"`
		Mode        *int64   `json:"mode" check:"notnull" msg:"mode不能为空"`
		Extends     string   `json:"extends"`
		ImServer    []string `json:"im_server"`
	}
	getRequest struct {
		ID     string `json:"id" check:"notblank" msg:"课堂Id不能为空"`
		UserID string `json:"user_id" check:"notblank" msg:"UserId不能为空"`
	}
	listRequest struct {
		UserID   string `json:"user_id" check:"notblank" msg:"UserId不能为空"`
		PageNum  *int64 `json:"page_num" check:"notnull" msg:"page_num不能为空"`
		PageSize *int64 `json:"page_size" check:"notnull" msg:"page_size不能为空"`
	}
	statusRequest struct {
		ID     string `json:"id" check:"notblank" msg:"直播间Id不能为空"`
		UserID string `json:"user_id" check:"notblank" msg:"UserId不能为空"`
	}
	updateRequest struct {
		ID      string `json:"id" check:"notblank" msg:"直播间Id不能为空"`
		Title   string `json:"title"`
		Notice  string `json:"notice"`
		Extends string `json:"extends"`
	}
	meetingRequest struct {
		ID                 string            `json:"id" check:"notblank" msg:"直播间Id不能为空"`
		Members            []json.RawMessage `json:"members"`
		AllMute            *bool             `json:"all_mute"`
		InteractionAllowed *bool             `json:"interaction_allowed"`
	}
	meetingGetRequest struct {
		ID string `json:"id" check:"notblank" msg:"直播间Id不能为空"`
	}
	joinRequest struct {
		ClassID    string `json:"class_id" check:"notblank" msg:"课堂Id不能为空"`
		UserID     string `json:"user_id" check:"notblank,len2" msg:"userId不能为空"`
		UserName   string `json:"user_name" check:"notblank,len2" msg:"userName不能为空"`
		UserAvatar string `json:"user_avatar"`
		Identity   *int   `json:"identity"`
	}
	leaveRequest struct {
		ClassID string `json:"class_id" check:"notblank" msg:"课堂Id不能为空"`
		UserID  string `json:"user_id" check:"notblank" msg:"UserId不能为空"`
	}
	kickRequest struct {
		ClassID  string   `json:"class_id" check:"notblank" msg:"课堂Id不能为空"`
		UserID   string   `json:"user_id" check:"notblank,len2" msg:"UserId不能为空"`
		ImServer []string `json:"im_server"`
	}
	membersRequest struct {
		ClassID  string `json:"class_id" check:"notblank" msg:"课堂Id不能为空"`
		Identity *int   `json:"identity"`
		Status   *int   `json:"status" check:"notnull" msg:"status不能为空"`
		PageNum  *int64 `json:"page_num"`
		PageSize *int64 `json:"page_size"`
	}
	docRequest struct {
		ClassID    string `json:"classId" check:"notblank" msg:"课堂id"`
		DocID      string `json:"docId" check:"notblank" msg:"文档id"`
		ServerType string `json:"serverType" check:"notblank" msg:"serverType"`
		Data       string `json:"data" check:"notblank" msg:"data"`
	}
	docDeleteRequest struct {
		ClassID string `json:"classId"`
		DocID   string `json:"docId"`
	}
	docQueryRequest struct {
		ClassID string `json:"classId"`
	}
	docsInfo struct {
		DocID      string `json:"docId"`
		ServerType string `json:"serverType"`
		Data       string `json:"data"`
	}
	docsRequest struct {
		ClassID string     `json:"classId"`
		DocInfo []docsInfo `json:"docInfo"`
	}
	docsDeleteRequest struct {
		ClassID string `json:"classId"`
		DocIDs  string `json:"docIds"`
	}
	permitRequest struct {
		ClassID string `json:"class_id" check:"notblank" msg:"课堂id"`
		Permit  string `json:"permit" check:"notblank" msg:"权限信息"`
	}
	permitClassRequest struct {
		ClassID  string   `json:"class_id" check:"notblank" msg:"课堂id"`
		ImServer []string `json:"im_server"`
	}
)

func has(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func (h *Handler) v1(cmd string) command {
	s := h.s
	switch cmd {
	case "token":
		return read(s.token)
	case "create":
		return read(func(ctx context.Context, in *createRequest, user string) result {
			if len(in.ImServer) == 0 {
				return fail(500, "imServer null")
			}
			if has(in.ImServer, "rongCloud") {
				return fail(500, "rongCloud createMessageGroup error. teacher: "+in.TeacherID)
			}
			return s.create(ctx, in, has(in.ImServer, "aliyun"), false)
		})
	case "get":
		return read(func(ctx context.Context, in *getRequest, user string) result {
			c, err := s.st.AUIClass(ctx, in.ID)
			if err != nil {
				return s.storeFail(err)
			}
			return ok(s.view(ctx, c, user))
		})
	case "list":
		return read(s.list)
	case "start", "stop", "pause":
		return read(func(ctx context.Context, in *statusRequest, user string) result {
			return s.setStatus(ctx, in, user, cmd)
		})
	case "delete":
		return read(s.delete)
	case "update":
		return read(s.update)
	case "updateMeetingInfo":
		return read(s.updateMeeting)
	case "getMeetingInfo":
		return read(func(ctx context.Context, in *meetingGetRequest, user string) result {
			c, err := s.st.AUIClass(ctx, in.ID)
			if err != nil {
				return s.storeFail(err)
			}
			return ok(meetingOf(c.MeetingInfo))
		})
	case "getWhiteboardAuthInfo":
		return func(context.Context, *http.Request, string) result { return ok(s.whiteboardAuth()) }
	case "joinClass":
		return read(s.join)
	case "leaveClass":
		return read(s.leave)
	case "kickClass":
		return read(s.kick)
	case "listMembers":
		return read(s.members)
	case "addDoc":
		return read(s.addDoc)
	case "deleteDoc":
		return readAny(s.deleteDoc)
	case "queryDoc":
		return readAny(s.queryDocs)
	case "addDocs":
		return readAny(s.addDocs)
	case "deleteDocs":
		return readAny(s.deleteDocs)
	case "setAssistantPermit":
		return read(s.setPermit)
	case "getAssistantPermit":
		return read(func(ctx context.Context, in *permitClassRequest, user string) result {
			p, err := s.st.AUIClassPermit(ctx, in.ClassID)
			if errors.Is(err, store.ErrNotFound) {
				return ok(nil)
			}
			if err != nil {
				return s.storeFail(err)
			}
			return ok(permitOf(p))
		})
	case "deleteAssistantPermit":
		return read(s.deletePermit)
	}
	return nil
}

func (h *Handler) v2(cmd string) command {
	s := h.s
	switch cmd {
	case "token":
		return read(s.tokenV2)
	case "create":
		return read(func(ctx context.Context, in *createRequest, user string) result {
			if len(in.ImServer) == 0 {
				return fail(500, "imServer null")
			}
			if has(in.ImServer, "rong_cloud") {
				return fail(500, "rongCloud createMessageGroup error. teacher: "+in.TeacherID)
			}
			return s.create(ctx, in, has(in.ImServer, "aliyun_old"), has(in.ImServer, "aliyun_new"))
		})
	}
	return nil
}

// readAny is read for the requests the Java server does not check.
func readAny[T any](fn func(ctx context.Context, in *T, user string) result) command {
	return read(fn)
}

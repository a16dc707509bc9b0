package lcic_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"sxb-edu/lcic"
	"sxb-edu/server"
	"sxb-edu/store"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

type M = map[string]any

// request is any LCIC action, sent by Tencent's own SDK client.
type request struct {
	*tchttp.BaseRequest
	params M
}

func (r *request) MarshalJSON() ([]byte, error) { return json.Marshal(r.params) }

type response struct {
	*tchttp.BaseResponse
	Response M `json:"Response"`
}

// school is a school system calling the API with Tencent's Go SDK.
type school struct {
	t      *testing.T
	client *common.Client
}

func newSchool(t *testing.T, h *tests.Env, id, key string) *school {
	u, _ := url.Parse(h.HTTP.URL)
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = u.Host
	cpf.HttpProfile.Scheme = "http"
	c := &common.Client{}
	c.Init("ap-guangzhou").WithCredential(common.NewCredential(id, key)).WithProfile(cpf)
	return &school{t: t, client: c}
}

func (s *school) try(action string, params M) (M, error) {
	req := &request{BaseRequest: &tchttp.BaseRequest{}, params: params}
	req.Init().WithApiInfo("lcic", lcic.Version, action)
	resp := &response{BaseResponse: &tchttp.BaseResponse{}}
	err := s.client.Send(req, resp)
	return resp.Response, err
}

func (s *school) call(action string, params M) M {
	s.t.Helper()
	out, err := s.try(action, params)
	if err != nil {
		s.t.Fatalf("%s %v: %v", action, params, err)
	}
	if out["RequestId"] == "" {
		s.t.Fatalf("%s: no RequestId: %v", action, out)
	}
	return out
}

func (s *school) fails(action string, params M, code string) {
	s.t.Helper()
	_, err := s.try(action, params)
	var e *tcerr.TencentCloudSDKError
	if !errors.As(err, &e) || e.Code != code || e.RequestId == "" {
		s.t.Fatalf("%s %v: want %s, got %v", action, params, code, err)
	}
}

// newEnv starts a server with the API on and a key of tests.AppA.
func newEnv(t *testing.T) (*tests.Env, *school, string, string) {
	secrets := filepath.Join(t.TempDir(), "secrets")
	h := tests.New(t, func(c *server.Config) { c.LCIC = &lcic.Config{SecretsFile: secrets} })
	kr, err := lcic.LoadKeyring(secrets)
	if err != nil {
		t.Fatal(err)
	}
	id, key, err := lcic.CreateKey(context.Background(), h.Store, kr, "timetable sync", tests.AppA, h.Unix())
	if err != nil {
		t.Fatal(err)
	}
	return h, newSchool(t, h, id, key), id, key
}

func TestSchoolWeek(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		h, sc, _, _ := newEnv(t)
		app := int64(tests.AppA)
		now := h.Unix()

		// Account mapping: the school's ids become users; a second register is the same user.
		teacher := sc.call("RegisterUser", M{"SdkAppId": app, "Name": "Ms Li", "OriginId": "staff-100"})
		again := sc.call("RegisterUser", M{"SdkAppId": app, "Name": "Ms Li", "OriginId": "staff-100"})
		if teacher["UserId"] == "" || again["UserId"] != teacher["UserId"] || teacher["Token"] == "" {
			t.Fatalf("register: %v then %v", teacher, again)
		}
		tid := teacher["UserId"].(string)
		batch := sc.call("BatchRegister", M{"Users": []M{{"SdkAppId": app, "Name": "Ann", "OriginId": "stu-1"},
			{"SdkAppId": app, "Name": "Bob", "OriginId": "stu-2"}, {"SdkAppId": app, "Name": "Cy", "OriginId": "stu-3"}}})
		var students []string
		for _, u := range batch["Users"].([]any) {
			students = append(students, u.(M)["UserId"].(string))
		}
		if len(students) != 3 {
			t.Fatalf("batch: %v", batch)
		}
		if d := sc.call("DescribeUser", M{"UserId": students[0]}); d["Name"] != "Ann" || d["OriginId"] != "stu-1" {
			t.Fatalf("describe user: %v", d)
		}
		sc.call("ModifyUserProfile", M{"UserId": students[0], "Nickname": "Ann L."})

		// A group and a week of rooms for it.
		g := sc.call("CreateGroupWithMembers", M{"SdkAppId": app, "GroupName": "Class 3A", "TeacherId": tid, "MemberIds": students})["GroupId"].(string)
		if gm := sc.call("DescribeGroupMemberList", M{"SdkAppId": app, "GroupId": g}); gm["Total"] != float64(3) {
			t.Fatalf("group members: %v", gm)
		}
		var infos []M
		for day := range 5 {
			start := now + 5*60 + int64(day)*86400
			infos = append(infos, M{"Name": fmt.Sprintf("Physics %d", day+1), "StartTime": start, "EndTime": start + 2700,
				"TeacherId": tid, "GroupId": g, "SubType": "videodoc", "MaxMicNumber": 6})
		}
		ids := sc.call("BatchCreateRoom", M{"SdkAppId": app, "RoomInfos": infos})["RoomIds"].([]any)
		if len(ids) != 5 {
			t.Fatalf("rooms: %v", ids)
		}
		room := func(i int) int64 { return int64(ids[i].(float64)) }
		week := sc.call("GetRooms", M{"SdkAppId": app, "StartTime": now, "EndTime": now + 7*86400, "Limit": 100})
		if week["Total"] != float64(5) {
			t.Fatalf("week: %v", week)
		}
		// One moved an hour, one deleted.
		sc.call("ModifyRoom", M{"RoomId": room(1), "SdkAppId": app, "StartTime": now + 86400 + 3600, "EndTime": now + 86400 + 3600 + 2700})
		sc.call("DeleteRoom", M{"RoomId": room(4)})
		d := sc.call("DescribeRoom", M{"RoomId": room(1)})
		if d["StartTime"] != float64(now+86400+3600) || d["Status"] != float64(0) || d["SubType"] != "videodoc" || d["MaxMicNumber"] != float64(6) ||
			d["GroupId"] != g || d["TeacherId"] != tid {
			t.Fatalf("moved room: %v", d)
		}
		sc.fails("DescribeRoom", M{"RoomId": room(4)}, "ResourceNotFound.Room")
		if week := sc.call("GetRooms", M{"SdkAppId": app, "StartTime": now, "EndTime": now + 7*86400}); week["Total"] != float64(4) {
			t.Fatalf("week after a delete: %v", week)
		}
		// The student's timetable: the group's rooms.
		if n, rows, _ := h.Store.LCICRooms(t.Context(), store.LCICRoomFilter{AppID: app, MemberID: students[2]}); n != 4 || rows[0].RoomID != room(0) {
			t.Fatalf("student's timetable: %d %v", n, rows)
		}

		// Single sign-on: the school's login gives the apps their 随心播 token.
		tt := sc.call("LoginUser", M{"UserId": tid})["Token"].(string)
		st := sc.call("LoginOriginId", M{"SdkAppId": app, "OriginId": "stu-1"})
		stok := st["Token"].(string)
		if st["UserId"] != students[0] || st["UserSig"] == "" {
			t.Fatalf("login origin: %v", st)
		}
		// The teacher starts today's class early; a student may enter (it opens 10 minutes before).
		h.Call(app, tt, "live", "startcourse", M{"roomnum": room(0)}).Want(t, 0)
		h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(0), "operate": 0}).Want(t, 0)
		// Tomorrow's class, started by its teacher now: its students must wait.
		h.Call(app, tt, "live", "startcourse", M{"roomnum": room(1)}).Want(t, 0)
		a := h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(1), "operate": 0}).Want(t, svc.CodeRoomState)
		if !strings.Contains(a.Info, "opens at") {
			t.Fatalf("an early entry: %s", a.Raw)
		}
		// A started room cannot be moved.
		sc.fails("ModifyRoom", M{"RoomId": room(1), "SdkAppId": app, "Name": "x"}, "FailedOperation.ClassStarted")

		// The member list, a kick that sticks, and its lifting.
		cur := sc.call("DescribeCurrentMemberList", M{"RoomId": room(0)})
		if cur["Total"] != float64(2) {
			t.Fatalf("members: %v", cur)
		}
		sc.call("KickUserFromRoom", M{"SdkAppId": app, "RoomId": room(0), "UserId": students[0], "KickType": 2})
		h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(0), "operate": 0}).Want(t, svc.CodeRemoved)
		sc.fails("KickUserFromRoom", M{"SdkAppId": app, "RoomId": room(0), "UserId": tid}, "InvalidParameter.UserId")
		sc.call("UnblockKickedUser", M{"SdkAppId": app, "RoomId": room(0), "UserId": students[0]})
		h.Call(app, stok, "live", "reportmemid", M{"roomnum": room(0), "operate": 0}).Want(t, 0)

		// The school ends the class; its events and statistics.
		sc.call("EndRoom", M{"RoomId": room(0)})
		if d := sc.call("DescribeRoom", M{"RoomId": room(0)}); d["Status"] != float64(2) || d["RealStartTime"] == nil || d["RealEndTime"] == nil {
			t.Fatalf("ended room: %v", d)
		}
		ev := sc.call("GetRoomEvent", M{"SdkAppId": app, "RoomId": room(0)})
		if ev["Total"] != float64(2) || ev["Events"].([]any)[1].(M)["EventType"] != "RoomEnd" {
			t.Fatalf("events: %v", ev)
		}
		if stats := sc.call("DescribeRoomStatistics", M{"RoomId": room(0)}); stats["MemberNumber"] != float64(2) {
			t.Fatalf("statistics: %v", stats)
		}
		sc.fails("EndRoom", M{"RoomId": room(0)}, "FailedOperation.RoomNotStart")
		sc.fails("DeleteRoom", M{"RoomId": room(1)}, "FailedOperation.RoomNotEnd")

		// A room nobody starts expires after its end.
		short := sc.call("CreateRoom", M{"SdkAppId": app, "Name": "Quiz", "StartTime": now + 30, "EndTime": now + 60, "TeacherId": tid})["RoomId"]
		h.Advance(2 * time.Minute)
		h.App.LCIC.Expire(t.Context())
		if d := sc.call("DescribeRoom", M{"RoomId": short}); d["Status"] != float64(3) {
			t.Fatalf("expired room: %v", d)
		}
		h.Call(app, tt, "live", "startcourse", M{"roomnum": short}).Want(t, svc.CodeRoomState)
		if n, _, _ := h.Store.LCICRooms(t.Context(), store.LCICRoomFilter{AppID: app, Statuses: []int{3}}); n != 1 {
			t.Fatalf("%d expired rooms", n)
		}

		// Deleting a user: its personal fields go, its sessions end, its history stays.
		sc.call("DeleteUser", M{"SdkAppId": app, "UserId": students[0]})
		sc.fails("LoginUser", M{"UserId": students[0]}, "ResourceNotFound.User")
		sc.fails("LoginOriginId", M{"SdkAppId": app, "OriginId": "stu-1"}, "ResourceNotFound.User")
		h.Call(app, stok, "live", "roomlist", M{"index": 0, "size": 5}).Want(t, svc.CodeTokenExpire)
		if u, _ := h.Store.LCICUser(t.Context(), students[0]); u.Name != "" || !u.Deleted {
			t.Fatalf("deleted user keeps %v", u)
		}
		if stats := sc.call("DescribeRoomStatistics", M{"RoomId": room(0)}); stats["MemberNumber"] != float64(2) {
			t.Fatalf("history after a delete: %v", stats)
		}
		// Groups go too.
		sc.call("DeleteGroupMember", M{"SdkAppId": app, "GroupId": g, "MemberIds": students[1:2]})
		if gl := sc.call("DescribeGroupList", M{"SdkAppId": app, "MemberId": students[1]}); gl["Total"] != float64(0) {
			t.Fatalf("groups of a removed member: %v", gl)
		}
		sc.call("DeleteGroup", M{"SdkAppId": app, "GroupIds": []string{g}})
		sc.fails("DescribeGroup", M{"SdkAppId": app, "GroupId": g}, "ResourceNotFound.GroupNotExist")
	})
}

func TestAuthFailures(t *testing.T) {
	h, sc, id, key := newEnv(t)
	app := int64(tests.AppA)
	sc.call("DescribeDeveloper", M{})
	newSchool(t, h, id, "wrong-secret").fails("DescribeDeveloper", M{}, "AuthFailure.SignatureFailure")
	newSchool(t, h, "AKIDnobody", "x").fails("DescribeDeveloper", M{}, "AuthFailure.SecretIdNotFound")
	sc.fails("NoSuchAction", M{}, "InvalidAction")
	sc.fails("RegisterUser", M{"SdkAppId": tests.AppB, "Name": "x"}, "InvalidParameter.SdkAppId")
	sc.fails("RegisterUser", M{"Name": "x"}, "MissingParameter")
	sc.fails("RegisterUser", M{"SdkAppId": "1400000001"}, "InvalidParameter")
	sc.fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 30, "TeacherId": "nobody"}, "InvalidParameter.EndTime")
	sc.fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 2*86400, "TeacherId": "nobody"}, "FailedOperation.ClassTooLong")
	sc.fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 120, "TeacherId": "nobody"}, "ResourceNotFound.User")
	sc.fails("CreateRoom", M{"SdkAppId": app, "Name": "x", "StartTime": h.Unix() + 60, "EndTime": h.Unix() + 120, "Bogus": 1}, "UnknownParameter")
	sc.fails("DescribeGroup", M{"SdkAppId": app, "GroupId": "nope"}, "ResourceNotFound.GroupNotExist")

	// Requests signed by hand: for another service, stale, tampered.
	send := func(mutate func(r *http.Request, sig *signer)) (string, string) {
		body := `{}`
		r, _ := http.NewRequest(http.MethodPost, h.HTTP.URL+"/", strings.NewReader(body))
		s := &signer{id: id, key: key, service: "lcic", ts: time.Now().Unix()}
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		r.Header.Set("X-TC-Action", "DescribeDeveloper")
		r.Header.Set("X-TC-Version", lcic.Version)
		mutate(r, s)
		return s.do(t, r, body)
	}
	cases := []struct {
		name   string
		mutate func(*http.Request, *signer)
		code   string
	}{
		{"another service", func(r *http.Request, s *signer) { s.service = "cvm" }, "AuthFailure.SignatureFailure"},
		{"stale", func(r *http.Request, s *signer) { s.ts -= 600 }, "AuthFailure.SignatureExpire"},
		{"tampered body", func(r *http.Request, s *signer) { s.tamper = true }, "AuthFailure.SignatureFailure"},
		{"no authorization", func(r *http.Request, s *signer) { s.none = true }, "AuthFailure.InvalidAuthorization"},
		{"old version", func(r *http.Request, s *signer) { r.Header.Set("X-TC-Version", "2020-01-01") }, "InvalidParameterValue"},
		{"host label as service", func(r *http.Request, s *signer) { s.service = "127" }, ""},
		{"host without port", func(r *http.Request, s *signer) { s.hostNoPort = true }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, raw := send(c.mutate)
			if code != c.code {
				t.Fatalf("want %q, got %q: %s", c.code, code, raw)
			}
		})
	}
	// A revoked key is refused at once.
	if ok, err := h.Store.RevokeAPIKey(t.Context(), id, h.Unix()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	sc.fails("DescribeDeveloper", M{}, "AuthFailure.SecretIdNotFound")
	// Every call is audited.
	_, audit, _ := h.Store.AuditList(t.Context(), 0, 100)
	n := 0
	for _, e := range audit {
		if strings.HasPrefix(e.Action, "lcic ") {
			n++
		}
	}
	if n < 15 {
		t.Fatalf("%d audited API calls", n)
	}
}

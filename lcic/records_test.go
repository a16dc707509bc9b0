package lcic_test

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"sxb-edu/server"
	"sxb-edu/svc"
	"sxb-edu/tests"
)

const vodID, vodKey = "AKIDvodTest", "vodSecretKey"

// A class's recordings: the callback's file in DescribeRoom and in
// RecordFinish; DeleteRecord removes the VOD media and our rows (nothing
// when VOD fails); a class whose callback never came is filled in from
// VOD once; BatchDeleteRecord answers the rooms it emptied.
func TestRecordings(t *testing.T) {
	tests.EachEngine(t, func(t *testing.T) {
		vod := tests.NewFakeVOD(t, vodID, vodKey)
		h, sc, _, _ := tests.NewLCIC(t, func(c *server.Config) {
			c.Cloud = svc.Cloud{SecretID: vodID, SecretKey: vodKey}
			c.VOD.Endpoint = vod.URL
		})
		rcv := newReceiver(t, "k", h.Now)
		app := int64(tests.AppA)
		sc.Call("ModifyApp", M{"SdkAppId": app, "Callback": rcv.srv.URL, "CallbackKey": "k"})
		tid := sc.Call("RegisterUser", M{"SdkAppId": app, "Name": "T", "OriginId": "t"})["UserId"].(string)
		tt := sc.Call("LoginUser", M{"UserId": tid})["Token"].(string)
		newRoom := func() int64 {
			now := h.Unix()
			return int64(sc.Call("CreateRoom", M{"SdkAppId": app, "Name": "R", "StartTime": now + 60, "EndTime": now + 3000,
				"TeacherId": tid})["RoomId"].(float64))
		}
		param := func(room int64) string {
			return "groupid=" + strconv.FormatInt(room, 10) + "&userid=" + base64.StdEncoding.EncodeToString([]byte(tid))
		}
		recordings := func(room int64) int64 {
			return tests.QueryInt(t, h.DBPath, "SELECT count(*) FROM t_video_record WHERE room_id = ?", room)
		}

		// A recorded class.
		room := newRoom()
		h.Call(tests.AppA, tt, "live", "startcourse", M{"roomnum": room}).Want(t, 0)
		vod.Add(tests.VODMedia{FileID: "f1", URL: "https://vod.example/f1.mp4", Context: param(room), Created: h.Now()})
		if a := h.Post("live", "reccall", M{"event_type": 100, "stream_id": "s", "start_time": h.Unix() - 60, "end_time": h.Unix(),
			"media_start_time": h.Unix() - 60, "file_size": 2048, "duration": 60, "video_id": "f1", "video_url": "https://vod.example/f1.mp4",
			"stream_param": param(room)}); string(a.Raw) != `{"code":0}` {
			t.Fatalf("reccall: %s", a.Raw)
		}
		h.Call(tests.AppA, tt, "live", "exitroom", M{"roomnum": room}).Want(t, 0)
		d := sc.Call("DescribeRoom", M{"RoomId": room})
		if d["RecordUrl"] != "https://vod.example/f1.mp4" || d["ReplayUrl"] != d["RecordUrl"] || d["Status"] != float64(2) {
			t.Fatalf("DescribeRoom after a recording: %v", d)
		}
		h.App.LCIC.Deliver(t.Context())
		var fin M
		for _, m := range rcv.got {
			if m["EventType"] == "RecordFinish" {
				fin = m["EventData"].(M)
			}
		}
		if fin == nil || fin["RoomId"] != float64(room) || fin["RecordUrl"] != "https://vod.example/f1.mp4" || fin["FileId"] != "f1" ||
			fin["RecordSize"] != float64(2048) || fin["Duration"] != float64(60) {
			t.Fatalf("RecordFinish: %v (all: %v)", fin, rcv.types())
		}

		// VOD down: nothing is deleted.
		vod.SetDown(true)
		sc.Fails("DeleteRecord", M{"RoomId": room, "SdkAppId": app}, "FailedOperation")
		if recordings(room) != 1 {
			t.Fatal("a failed DeleteRecord removed our rows")
		}
		vod.SetDown(false)
		sc.Call("DeleteRecord", M{"RoomId": room, "SdkAppId": app})
		if vod.Has("f1") || recordings(room) != 0 {
			t.Fatalf("after DeleteRecord: VOD has f1 %v, rows %d", vod.Has("f1"), recordings(room))
		}
		if d := sc.Call("DescribeRoom", M{"RoomId": room}); d["RecordUrl"] != nil {
			t.Fatalf("RecordUrl after DeleteRecord: %v", d)
		}
		sc.Call("DeleteRecord", M{"RoomId": room}) // nothing left: still fine
		sc.Fails("DeleteRecord", M{"RoomId": room + 1000}, "ResourceNotFound.Room")
		sc.Fails("DeleteRecord", M{}, "MissingParameter")

		// A class whose recording callback never came.
		late := newRoom()
		h.Call(tests.AppA, tt, "live", "startcourse", M{"roomnum": late}).Want(t, 0)
		h.Advance(20 * time.Minute)
		vod.Add(tests.VODMedia{FileID: "f2", URL: "https://vod.example/f2.mp4", Context: param(late), Created: h.Now(), Size: 4096, Duration: 1199.6},
			tests.VODMedia{FileID: "other", URL: "https://vod.example/other.mp4", Context: param(late + 1), Created: h.Now()})
		h.Call(tests.AppA, tt, "live", "exitroom", M{"roomnum": late}).Want(t, 0)
		before := len(vod.Calls())
		if n, err := h.App.Svc.ReconcileRecordings(t.Context()); n != 0 || err != nil || len(vod.Calls()) != before {
			t.Fatalf("reconciled before Tencent's callbacks had their time: %d %v %v", n, err, vod.Calls()[before:])
		}
		h.Advance(11 * time.Minute)
		if n, err := h.App.Svc.ReconcileRecordings(t.Context()); n != 1 || err != nil {
			t.Fatalf("reconciler: %d %v (calls %v)", n, err, vod.Calls())
		}
		if n, err := h.App.Svc.ReconcileRecordings(t.Context()); n != 0 || err != nil {
			t.Fatalf("reconciled twice: %d %v", n, err)
		}
		if got := vod.Calls()[before:]; len(got) != 1 {
			t.Fatalf("VOD asked %v: once was enough", got)
		}
		got := tests.QueryString(t, h.DBPath, "SELECT "+concat(h)+" FROM t_video_record v JOIN t_account a ON a.uin = v.uin WHERE v.room_id = ?", late)
		if want := tid + " https://vod.example/f2.mp4 4096 1200"; got != want {
			t.Fatalf("the recording found: %q, want %q", got, want)
		}
		h.Advance(-31 * time.Minute) // back within the SDK's signing window
		if d := sc.Call("DescribeRoom", M{"RoomId": late}); d["RecordUrl"] != "https://vod.example/f2.mp4" {
			t.Fatalf("DescribeRoom of the reconciled class: %v", d)
		}

		// BatchDeleteRecord: all the rooms must be the app's; the answer is the rooms emptied.
		sc.Fails("BatchDeleteRecord", M{"RoomIds": []int64{late, 424242}}, "ResourceNotFound.Room")
		if recordings(late) != 1 {
			t.Fatal("a refused BatchDeleteRecord deleted something")
		}
		sc.Fails("BatchDeleteRecord", M{"RoomIds": []int64{}}, "MissingParameter")
		out := sc.Call("BatchDeleteRecord", M{"RoomIds": []int64{late, room}, "SdkAppId": app})
		if fmt.Sprint(out["RoomIds"]) != fmt.Sprint([]any{float64(late)}) || vod.Has("f2") || !vod.Has("other") {
			t.Fatalf("BatchDeleteRecord: %v", out)
		}
	})
}

// concat is the recording's owner, URL, size and length as one string.
func concat(h *tests.Env) string {
	if strings.HasPrefix(h.DBPath, "mysql:") {
		return "CONCAT_WS(' ', a.uid, v.video_url, v.file_size, v.duration)"
	}
	return "a.uid || ' ' || v.video_url || ' ' || v.file_size || ' ' || v.duration"
}

// The reconciler is off without cloud keys, and when the operator sets
// a negative interval.
func TestReconcilerOff(t *testing.T) {
	vod := tests.NewFakeVOD(t, vodID, vodKey)
	for name, edit := range map[string]func(*server.Config){
		"no keys": func(c *server.Config) { c.VOD.Endpoint = vod.URL },
		"negative": func(c *server.Config) {
			c.Cloud = svc.Cloud{SecretID: vodID, SecretKey: vodKey}
			c.VOD.Endpoint, c.VOD.Reconcile = vod.URL, -1
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := tests.New(t, edit)
			tok := h.User(tests.AppA, "teach", 1)
			var d struct{ RoomNum int64 }
			h.Call(tests.AppA, tok, "live", "create", M{"title": "x"}).Want(t, 0).Decode(t, &d)
			h.Call(tests.AppA, tok, "live", "startcourse", M{"roomnum": d.RoomNum}).Want(t, 0)
			h.Call(tests.AppA, tok, "live", "exitroom", M{"roomnum": d.RoomNum}).Want(t, 0)
			h.Advance(time.Hour)
			if n, err := h.App.Svc.ReconcileRecordings(t.Context()); n != 0 || err != nil || len(vod.Calls()) != 0 {
				t.Fatalf("reconciler: %d %v, VOD calls %v", n, err, vod.Calls())
			}
		})
	}
}

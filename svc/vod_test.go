package svc

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	vod "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vod/v20180717"
)

func TestPHPScalar(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
		ok   bool
	}{
		{"abc", "abc", true}, {nil, "", true}, {true, "1", true}, {false, "", true},
		{json.Number("12"), "12", true}, {json.Number("-0"), "0", true},
		{json.Number("1.0"), "1", true}, {json.Number("0.1"), "0.1", true},
		{json.Number("1e2"), "100", true}, {json.Number("1.5e-5"), "1.5E-5", true},
		{json.Number("1e25"), "1.0E+25", true}, {json.Number("0.0001"), "0.0001", true},
		{json.Number("99999999999999999999"), "1.0E+20", true},
		{json.Number("3.14159265358979"), "3.1415926535898", true},
		{[]any{"a"}, "", false}, {map[string]any{}, "", false},
	} {
		got, ok := phpScalar(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("phpScalar(%#v) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestListParam(t *testing.T) {
	p := map[string]any{"fileIds": []any{"a", json.Number("5"), ""}, "fileIds.10": "z", "fileIds.2": "c",
		"fileIds.x": "no", "other.1": "no", "fileId": "single"}
	if got := strings.Join(listParam(p, "fileIds"), ","); got != "a,5,c,z" {
		t.Fatalf("fileIds: %s", got)
	}
	if got := strings.Join(listParam(p, "fileId"), ","); got != "single" {
		t.Fatalf("fileId: %s", got)
	}
	if got := listParam(p, "infoFilter"); len(got) != 0 {
		t.Fatalf("infoFilter: %v", got)
	}
}

func TestVODFailure(t *testing.T) {
	for code, want := range map[string]int{"AuthFailure.SignatureFailure": 4100, "AuthFailure.SignatureExpire": 4200,
		"InvalidParameterValue.FileIds": 4000, "MissingParameter": 4000, "ResourceNotFound.FileNotExist": 5000,
		"UnauthorizedOperation": 4300, "RequestLimitExceeded": 4400, "InternalError": 6000,
		"ClientError.NetworkError": 6200, "FailedOperation": 5100, "Whatever": 6000} {
		e := vodFailure(tcerr.NewTencentCloudSDKError(code, "msg", "rid"))
		d := e.Data.(map[string]any)
		msg := code + ": msg"
		if code == "ClientError.NetworkError" { // no answer: its message would name the endpoint
			msg = "VOD service unavailable"
		}
		if e.Code != CodeServer || d["code"] != want || d["message"] != msg {
			t.Errorf("%s: %d %v", code, e.Code, d)
		}
	}
	e := vodFailure(errors.New("boom"))
	if d := e.Data.(map[string]any); d["code"] != 6200 || e.Info != "Server internal error:call qcloud failed" {
		t.Fatalf("plain error: %v %s", d, e.Info)
	}
}

func TestLegacyShapes(t *testing.T) {
	var m vod.MediaInfo
	const in = `{"FileId":"f1","BasicInfo":{"Name":"n","Description":"d","CreateTime":"2018-07-17T08:00:00Z",
		"UpdateTime":"bad","CoverUrl":"http://c","Status":"Normal","ClassId":3,"ClassName":"cls","Type":"mp4","MediaUrl":"http://m"},
		"MetaData":{"Size":100,"Duration":12.7,"Height":720,"Width":1280,"Bitrate":900,"Container":"mp4","Rotate":0},
		"TranscodeInfo":{"TranscodeSet":[{"Url":"http://t","Definition":20,"Bitrate":500,"Height":360,"Width":640,"Size":50,"Duration":12.5,"Container":"hls","Md5":"x"}]}}`
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(legacyFile(&m))
	const wantFile = `{"createTime":1531814400,"desc":"d","duration":12,"fileId":"f1","fileName":"n","image_url":"http://c","playSet":[{"definition":20,"url":"http://t","vbitrate":500,"vheight":360,"vwidth":640}],"size":100,"status":2,"updateTime":0}`
	if string(got) != wantFile {
		t.Errorf("file\n got %s\nwant %s", got, wantFile)
	}
	got, _ = json.Marshal(legacyVideoInfo(&m))
	const wantInfo = `{"basicInfo":{"classificationId":3,"classificationName":"cls","coverUrl":"http://c","createTime":1531814400,"description":"d","duration":12,"expireTime":0,"name":"n","size":100,"sourceVideoUrl":"http://m","status":2,"type":"mp4","updateTime":0},"metaData":{"bitrate":900,"container":"mp4","duration":12,"height":720,"rotate":0,"size":100,"width":1280},"transcodeInfo":{"transcodeList":[{"bitrate":500,"container":"hls","definition":20,"duration":12,"height":360,"md5":"x","size":50,"url":"http://t","width":640}]}}`
	if string(got) != wantInfo {
		t.Errorf("info\n got %s\nwant %s", got, wantInfo)
	}
	// Nothing but the id: no nil dereference, empty lists.
	got, _ = json.Marshal(legacyFile(&vod.MediaInfo{}))
	if !strings.Contains(string(got), `"playSet":[]`) {
		t.Errorf("empty media: %s", got)
	}
}

func TestValidBucket(t *testing.T) {
	for b, want := range map[string]bool{"sxbedu": true, "a-1250000000": true, "": false, "Up": false,
		"a.b": false, "a/b": false, "evil.com#": false, strings.Repeat("a", 65): false} {
		if validBucket(b) != want {
			t.Errorf("validBucket(%q) != %v", b, want)
		}
	}
}

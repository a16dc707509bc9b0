package main_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"sxb-edu/tests"
)

type sdkRequest struct {
	*tchttp.BaseRequest
	params map[string]any
}

func (r *sdkRequest) MarshalJSON() ([]byte, error) { return json.Marshal(r.params) }

type sdkResponse struct {
	*tchttp.BaseResponse
	Response map[string]any `json:"Response"`
}

// sxb-edu apikey create prints a SecretId and SecretKey (its last two
// lines) that the running binary accepts from Tencent's SDK; list shows
// the key's use; revoke ends it. The secret is sealed with a file the
// database does not hold.
func TestAPIKeyCommand(t *testing.T) {
	bin := tests.Build(t)
	db := filepath.Join(t.TempDir(), "k.db")
	run := func(args ...string) string {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := run("apikey", "create", "-db", db, "-app", strconv.Itoa(tests.AppA), "timetable")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id, _ := strings.CutPrefix(lines[len(lines)-2], "SecretId: ")
	key, _ := strings.CutPrefix(lines[len(lines)-1], "SecretKey: ")
	if !strings.HasPrefix(id, "AKID") || len(key) != 32 {
		t.Fatalf("apikey create:\n%s", out)
	}
	if st, err := os.Stat(db + ".secrets"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v %v", st, err)
	}
	if raw, _ := os.ReadFile(db); strings.Contains(string(raw), key) {
		t.Fatal("the secret is in the database in the clear")
	}

	p := tests.Run(t, bin, db, tests.ConfigFile(t, tests.M{"lcic": tests.M{}}))
	call := func() error {
		cpf := profile.NewClientProfile()
		cpf.HttpProfile.Endpoint, cpf.HttpProfile.Scheme = p.Addr, "http"
		c := &common.Client{}
		c.Init("").WithCredential(common.NewCredential(id, key)).WithProfile(cpf)
		req := &sdkRequest{BaseRequest: &tchttp.BaseRequest{}, params: map[string]any{"SdkAppId": tests.AppA, "Name": "Ann", "OriginId": "s1"}}
		req.Init().WithApiInfo("lcic", "2022-08-17", "RegisterUser")
		resp := &sdkResponse{BaseResponse: &tchttp.BaseResponse{}}
		err := c.Send(req, resp)
		if err == nil && (resp.Response["UserId"] == nil || resp.Response["Token"] == nil) {
			t.Fatalf("RegisterUser: %v", resp.Response)
		}
		return err
	}
	if err := call(); err != nil {
		t.Fatal(err)
	}
	if l := run("apikey", "list", "-db", db); !strings.Contains(l, id) || !strings.Contains(l, "last used") || !strings.Contains(l, "live") {
		t.Fatalf("apikey list:\n%s", l)
	}
	run("apikey", "revoke", "-db", db, id)
	var e *tcerr.TencentCloudSDKError
	if err := call(); !errors.As(err, &e) || e.Code != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("a revoked key: %v", err)
	}
	resp, err := http.Get("http://" + p.Addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(err, resp)
	}
	resp.Body.Close()
}

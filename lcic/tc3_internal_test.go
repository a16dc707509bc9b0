package lcic

import (
	"net/http"
	"strings"
	"testing"
)

// The worked example of Tencent Cloud's API 3.0 signing documentation
// (DescribeInstances on cvm, 2019-02-25).
func TestSignaturePublishedExample(t *testing.T) {
	body := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	r, _ := http.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	c := &credential{secretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", date: "2019-02-25", service: "cvm",
		signedHeaders: []string{"content-type", "host"}}
	got := signature(r, []byte(body), c, 1551113065, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm.tencentcloudapi.com")
	if got != "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168" {
		t.Fatalf("signature %s", got)
	}
	c.signature = got
	if !verified(r, []byte(body), c, 1551113065, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE") {
		t.Fatal("the example does not verify")
	}
	if verified(r, []byte(body), c, 1551113065, "another secret") || verified(r, []byte(body+" "), c, 1551113065, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE") {
		t.Fatal("another secret or another body verifies")
	}
}

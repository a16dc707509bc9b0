// Command aui-compare walks the AUI live API on two servers at once (the
// Go reference, cinience/AUIInteractionLiveService, and sxb-edu) and
// prints, request by request, where their answers and cloud calls
// differ. It serves both a fake Alibaba OpenAPI over HTTPS on
// 127.0.0.1:18801 (its certificate in ./aui-compare-cert.pem: start the
// servers with SSL_CERT_FILE naming it; the reference only speaks HTTPS
// to the cloud), checking every signature with the secret "sk-test".
//
//	aui-compare http://127.0.0.1:7001 http://127.0.0.1:8080
//
// The answers are normalised (tokens, times, signatures, ids) before
// they are compared. docs/protocol.md lists the differences and why.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

func enc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func sign(method string, p map[string]string, secret string) string {
	var keys []string
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, enc(k)+"="+enc(p[k]))
	}
	sts := method + "&%2F&" + enc(strings.Join(parts, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

var (
	mu    sync.Mutex
	calls []string
	n     int
)

func fake(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	p := map[string]string{}
	for k, v := range r.Form {
		p[k] = v[0]
	}
	ok := sign(r.Method, p, "sk-test") == p["Signature"]
	mu.Lock()
	n++
	k := n
	var ps []string
	for key, v := range p {
		switch key {
		case "Signature", "SignatureNonce", "Timestamp", "AccessKeyId", "SignatureMethod", "SignatureVersion", "Format", "Version", "RegionId", "SignatureType":
			continue
		}
		ps = append(ps, key+"="+v)
	}
	sort.Strings(ps)
	calls = append(calls, fmt.Sprintf("%s sig_ok=%v %s [common: Format=%s Version=%s Region=%s SigType=%q]", p["Action"], ok, strings.Join(ps, "&"), p["Format"], p["Version"], p["RegionId"], p["SignatureType"]))
	mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"Code":"SignatureDoesNotMatch","Message":"bad","RequestId":"x"}`)
		return
	}
	var res any
	switch p["Action"] {
	case "CreateMessageGroup":
		res = map[string]any{"GroupId": fmt.Sprintf("grp-%d", k)}
	case "GetMessageToken":
		res = map[string]any{"AccessToken": "tok-" + p["UserId"], "RefreshToken": "r"}
	case "GetGroupStatistics":
		res = map[string]any{"LikeCount": 3, "OnlineCount": 7, "PV": 12, "UV": 9}
	case "ListMessageGroupUserById":
		res = map[string]any{"UserList": []any{map[string]any{"IsMute": false, "MuteBy": []string{}}}}
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"Code":"InvalidAction.NotFound","Message":"x","RequestId":"x"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"RequestId": "req", "Result": res})
}

func serveFake() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	os.WriteFile("aui-compare-cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	srv := &http.Server{Addr: "127.0.0.1:18801", Handler: http.HandlerFunc(fake),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	ln, _ := net.Listen("tcp", srv.Addr)
	go srv.Serve(tls.NewListener(ln, srv.TLSConfig))
}

type step struct {
	name, method, path, ct, body string
	tok                          string // "a" anchor, "v" viewer, "" none, "bad"
}

var norms = []*regexp.Regexp{
	regexp.MustCompile(`eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+`),
	regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`),
	regexp.MustCompile(`auth_key=[0-9a-f\-]+`),
	regexp.MustCompile(`timestamp=\d+(&|\\u0026)token=[0-9a-f]+`),
	regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`),
	regexp.MustCompile(`grp-\d+`),
}
var repl = []string{"<JWT>", "<TIME>", "auth_key=<K>", "timestamp=<TS>&token=<T>", "<UUID>", "grp-N"}

func norm(s string) string {
	if strings.HasPrefix(s, "0001-01-01T00:00:00Z") {
		return s
	}
	s = strings.ReplaceAll(s, "0001-01-01T00:00:00Z", "ZEROTIME")
	for i, re := range norms {
		s = re.ReplaceAllString(s, repl[i])
	}
	return strings.ReplaceAll(s, "ZEROTIME", "0001-01-01T00:00:00Z")
}

func run(base string, steps []step) []string {
	toks := map[string]string{}
	var lines []string
	room := ""
	for _, s := range steps {
		body := strings.ReplaceAll(s.body, "$ROOM", room)
		req, _ := http.NewRequest(s.method, base+s.path, strings.NewReader(body))
		if s.ct != "" {
			req.Header.Set("Content-Type", s.ct)
		}
		if t := toks[s.tok]; t != "" {
			req.Header.Set("Authorization", "Bearer "+t)
		} else if s.tok == "bad" {
			req.Header.Set("Authorization", "Bearer x.y.z")
		}
		mu.Lock()
		before := len(calls)
		mu.Unlock()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			lines = append(lines, s.name+": "+err.Error())
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			if t, ok := m["token"].(string); ok && (s.name == "login anchor" || s.name == "login viewer") {
				toks[map[string]string{"login anchor": "a", "login viewer": "v"}[s.name]] = t
			}
			if id, ok := m["id"].(string); ok && s.name == "create link" {
				room = id
			}
		}
		mu.Lock()
		cl := append([]string(nil), calls[before:]...)
		mu.Unlock()
		lines = append(lines, fmt.Sprintf("## %s\n%d %s %s\n%s\ncloud: %v", s.name, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Access-Control-Allow-Origin"), norm(strings.TrimSpace(string(b))), cl))
	}
	return lines
}

func main() {
	serveFake()
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: aui-compare REFERENCE_URL SXB_EDU_URL")
		os.Exit(2)
	}
	for _, base := range os.Args[1:3] {
		for i := 0; i < 300; i++ {
			if resp, err := http.Get(base + "/login"); err == nil {
				resp.Body.Close()
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	J := "application/json"
	steps := []step{
		{"login anchor", "POST", "/login", J, `{"username":"anchor","password":"anchor"}`, ""},
		{"login viewer", "POST", "/api/v1/live/login", J, `{"username":"viewer","password":"viewer"}`, ""},
		{"login wrong", "POST", "/login", J, `{"username":"x","password":"y"}`, ""},
		{"login missing", "POST", "/login", J, `{"username":"x"}`, ""},
		{"no token", "POST", "/api/v1/live/list", J, `{}`, ""},
		{"bad token", "POST", "/api/v1/live/list", J, `{}`, "bad"},
		{"create link", "POST", "/api/v1/live/create", J, `{"title":"T","notice":"N","anchor":"anchor","anchor_nick":"Nick","mode":1,"extends":"{\"a\":1}"}`, "a"},
		{"create no title", "POST", "/api/v1/live/create", J, `{"anchor":"anchor"}`, "a"},
		{"create empty body", "POST", "/api/v1/live/create", J, ``, "a"},
		{"create bad mode", "POST", "/api/v1/live/create", J, `{"title":"T","anchor":"anchor","mode":"x"}`, "a"},
		{"get anchor", "POST", "/api/v1/live/get", J, `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"get viewer", "POST", "/api/v1/live/get", J, `{"id":"$ROOM","user_id":"viewer"}`, "v"},
		{"get missing", "POST", "/api/v1/live/get", J, `{"id":"nope","user_id":"viewer"}`, "v"},
		{"get no id", "POST", "/api/v1/live/get", J, `{"user_id":"viewer"}`, "v"},
		{"list", "POST", "/api/v1/live/list", J, `{"page_size":10,"page_num":1,"user_id":"viewer"}`, "v"},
		{"list no size", "POST", "/api/v1/live/list", J, `{"page_num":1,"user_id":"viewer"}`, "v"},
		{"start by viewer", "POST", "/api/v1/live/start", J, `{"id":"$ROOM","user_id":"viewer"}`, "v"},
		{"start", "POST", "/api/v1/live/start", J, `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"pause charset", "POST", "/api/v1/live/pause", J + "; charset=utf-8", `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"pause", "POST", "/api/v1/live/pause", J, `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"get after pause", "POST", "/api/v1/live/get", J, `{"id":"$ROOM","user_id":"viewer"}`, "v"},
		{"update", "POST", "/api/v1/live/update", J, `{"id":"$ROOM","title":"T2"}`, "a"},
		{"update meeting", "POST", "/api/v1/live/updateMeetingInfo", J, `{"id":"$ROOM","members":[{"user_id":"viewer","user_nick":"V","camera_opened":true}]}`, "a"},
		{"get meeting", "POST", "/api/v1/live/getMeetingInfo", J, `{"id":"$ROOM"}`, "v"},
		{"token", "POST", "/api/v1/live/token", J, `{"user_id":"viewer","device_id":"d","device_type":"web"}`, "v"},
		{"token other", "POST", "/api/v1/live/token", J, `{"user_id":"anchor","device_id":"d","device_type":"web"}`, "v"},
		{"stop", "POST", "/api/v1/live/stop", J, `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"get stopped", "POST", "/api/v1/live/get", J, `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"refresh", "GET", "/auth/refresh_token", "", ``, "a"},
		{"delete", "POST", "/api/v1/live/delete", J, `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"get deleted", "POST", "/api/v1/live/get", J, `{"id":"$ROOM","user_id":"anchor"}`, "a"},
		{"unknown path", "POST", "/api/v1/live/nope", J, `{}`, "a"},
		{"GET create", "GET", "/api/v1/live/create", "", ``, "a"},
	}
	a := run(os.Args[1], steps)
	b := run(os.Args[2], steps)
	for i := range a {
		if a[i] == b[i] {
			fmt.Printf("SAME %s\n\n", strings.SplitN(a[i], "\n", 2)[0])
		} else {
			fmt.Printf("DIFF\nREF:  %s\nOURS: %s\n\n", a[i], b[i])
		}
	}
}

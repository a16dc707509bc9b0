package auiclass

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// result is the Java server's envelope: HTTP 200, empty fields left out.
type result struct {
	Success   bool   `json:"success"`
	Data      any    `json:"data,omitempty"`
	ErrorCode string `json:"errorCode,omitempty"`
	ErrorMsg  string `json:"errorMsg,omitempty"`
}

func ok(data any) result { return result{Success: true, Data: data} }

func fail(code int, msg string) result {
	return result{ErrorCode: itoa(code), ErrorMsg: msg}
}

// The Java server's fixed answers.
var (
	errServer   = fail(500, "服务器异常，请稍后重试")
	errNotFound = fail(404, "未查询到")
	errInvalid  = fail(401, "参数错误")
)

// refusal is a join, leave or kick refused for a reason the apps read.
func refusal(reason string) result {
	return result{Data: map[string]string{"reason": reason}}
}

// invalid is the answer to a request whose fields fail their checks:
// the messages in data, each followed by <br>.
func invalid(msgs []string) result {
	r := errServer
	r.Data = map[string]any{"code": 500, "msg": strings.Join(msgs, "<br>") + "<br>"}
	return r
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// cst is the zone of the Java server's dates.
var cst = time.FixedZone("GMT+8", 8*3600)

// jdate is a date as the Java server writes it.
type jdate int64 // unix milliseconds; 0 is none

func (d jdate) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.UnixMilli(int64(d)).In(cst).Format("2006/01/02 15:04:05"))
}

func date(ms int64) *jdate {
	if ms == 0 {
		return nil
	}
	d := jdate(ms)
	return &d
}

// decode reads a JSON body as the Java server's request binding does;
// false when it does not bind (the generic error answers it).
func decode(r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 || strings.TrimSpace(string(b)) == "null" {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// check runs the request's field rules (tags check:"notblank",
// "notnull", "len2" with msg:"…"), in field order.
func check(v any) []string {
	rv := reflect.ValueOf(v).Elem()
	var msgs []string
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		fv := rv.Field(i)
		for _, rule := range strings.Split(f.Tag.Get("check"), ",") {
			switch rule {
			case "notblank":
				blank := fv.Kind() == reflect.String && strings.TrimSpace(fv.String()) == "" ||
					fv.Kind() == reflect.Slice && fv.IsNil()
				if blank {
					msgs = append(msgs, f.Tag.Get("msg"))
				}
			case "notnull":
				if fv.IsNil() {
					msgs = append(msgs, f.Tag.Get("msg"))
				}
			case "len2":
				if n := len([]rune(fv.String())); fv.String() != "" && (n < 2 || n > 255) {
					msgs = append(msgs, "length must be between 2 and 255")
				}
			}
		}
	}
	return msgs
}

func writeResult(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// springError is the framework's answer to a request refused before the
// controller (403 without a valid token, 404 no such path).
func springError(w http.ResponseWriter, status int, path string, now time.Time) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Timestamp string `json:"timestamp"`
		Status    int    `json:"status"`
		Error     string `json:"error"`
		Path      string `json:"path"`
	}{now.In(cst).Format("2006/01/02 15:04:05"), status, http.StatusText(status), path})
}

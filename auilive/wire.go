package auilive

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// Status is the reference's error answer.
type Status struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details"`
}

// bindError is a request the front refuses before its work (HTTP 400).
type bindError struct{ msg string }

func (e *bindError) Error() string { return e.msg }

// bind reads a request as the reference's binding does: a JSON body when
// the Content-Type says so, else form values (query and body) named by
// the Go field; then the fields tagged required must be non-zero.
func bind(r *http.Request, v any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodGet && ct == "application/json" {
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		if err := dec.Decode(v); err != nil {
			return &bindError{err.Error()}
		}
	} else if err := bindForm(r, v); err != nil {
		return err
	}
	return required(v)
}

// maxBody bounds a request body: the largest field is a room's extends.
const maxBody = 1 << 20

func bindForm(r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return &bindError{err.Error()}
		}
	} else if err := r.ParseForm(); err != nil {
		return &bindError{err.Error()}
	}
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		vals, ok := r.Form[f.Name]
		if !ok || len(vals) == 0 {
			continue
		}
		fv := rv.Field(i)
		switch {
		case fv.Kind() == reflect.String:
			fv.SetString(vals[0])
		case fv.Kind() == reflect.Int:
			n, err := formInt(vals[0])
			if err != nil {
				return err
			}
			fv.SetInt(n)
		case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Int:
			n, err := formInt(vals[0])
			if err != nil {
				return err
			}
			p := reflect.New(fv.Type().Elem())
			p.Elem().SetInt(n)
			fv.Set(p)
		}
	}
	return nil
}

func formInt(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, &bindError{err.Error()}
	}
	return n, nil
}

// required checks the fields tagged binding:"required", in the words of
// the reference's validator.
func required(v any) error {
	rv := reflect.ValueOf(v).Elem()
	var msgs []string
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		if f.Tag.Get("binding") == "required" && rv.Field(i).IsZero() {
			msgs = append(msgs, fmt.Sprintf("Key: '%s.%s' Error:Field validation for '%s' failed on the 'required' tag",
				rv.Type().Name(), f.Name, f.Name))
		}
	}
	if len(msgs) > 0 {
		return &bindError{strings.Join(msgs, "\n")}
	}
	return nil
}

// writeJSON answers v as the reference's handlers do (HTML escaped, a
// newline after).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// writeAuth answers as the reference's token middleware does.
func writeAuth(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

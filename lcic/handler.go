package lcic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"sxb-edu/front"
	"sxb-edu/store"
)

// Version is the API version served.
const Version = "2022-08-17"

// Handler serves the API on POST / with X-TC-Action.
type Handler struct{ s *Service }

// NewHandler serves s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// Owns says whether a request is the API's (the 随心播 directory route
// keeps every other request to /), or a transcoding report.
func Owns(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/" && r.Header.Get("X-TC-Action") != "" || r.URL.Path == TranscodePath)
}

// call is one API call: the key it came with and its parameters.
type call struct {
	key    *store.APIKey
	params json.RawMessage
}

type action func(s *Service, ctx context.Context, c *call) (any, error)

// Actions are the API's actions, for the metric series.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for a := range actions {
		out = append(out, a)
	}
	sort.Strings(out)
	return append(out, "unknown", "transcode")
}

// Fail answers a request the handler failed before answering (a panic).
func Fail(w http.ResponseWriter, r *http.Request) {
	answer(w, map[string]any{"Error": apiError{Code: "InternalError", Message: "internal error"}, "RequestId": newRequestID()})
}

func newRequestID() string {
	b := []byte(randomText(32))
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[:8], b[8:12], b[12:16], b[16:20], b[20:])
}

// answer writes {"Response": v}: HTTP 200 whatever the outcome, as
// Tencent's SDKs expect.
func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"Response": v})
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == TranscodePath {
		h.transcode(w, r)
		return
	}
	rec := front.From(r.Context())
	rec.Svc = "lcic"
	name := r.Header.Get("X-TC-Action")
	run, known := actions[name]
	rec.Cmd = name
	if !known {
		rec.Cmd = "unknown"
	}
	reqID := newRequestID()
	out, key, err := h.serve(r, name, run, known)
	who := "api (no key)"
	if key != nil {
		who = "api " + key.Name + " (" + key.SecretID + ")"
		rec.UserID = key.SecretID
	}
	code := "ok"
	var ae *apiError
	if err != nil {
		if !errors.As(err, &ae) {
			rec.Err, rec.Failed = err, true
			ae = &apiError{Code: "InternalError", Message: "internal error"}
		}
		code = ae.Code
		rec.Code = 1
	}
	now := h.s.d.Now().Unix()
	ctx := context.WithoutCancel(r.Context())
	if aerr := h.s.st.Audit(ctx, store.AuditEntry{At: now, Admin: who, Action: "lcic " + name, Target: reqID, Detail: code}); aerr != nil {
		h.s.d.Log.Error("lcic: audit", "err", aerr)
	}
	if key != nil {
		_ = h.s.st.TouchAPIKey(ctx, key.SecretID, now)
	}
	if ae != nil {
		answer(w, map[string]any{"Error": ae, "RequestId": reqID})
		return
	}
	resp := map[string]any{}
	if out != nil {
		b, _ := json.Marshal(out)
		_ = json.Unmarshal(b, &resp)
	}
	resp["RequestId"] = reqID
	answer(w, resp)
}

// serve checks the request's signature and key, then runs the action.
func (h *Handler) serve(r *http.Request, name string, run action, known bool) (any, *store.APIKey, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return nil, nil, fail("InvalidParameter", "the body could not be read")
	}
	if len(body) > 1<<20 {
		return nil, nil, fail("RequestSizeLimitExceeded", "the body is larger than 1 MB")
	}
	c, aerr := parseAuthorization(r.Header.Get("Authorization"))
	if aerr != nil {
		return nil, nil, aerr
	}
	ts, aerr := checkScope(r, c, h.s.d.Now())
	if aerr != nil {
		return nil, nil, aerr
	}
	key, err := h.s.st.APIKey(r.Context(), c.secretID)
	if errors.Is(err, store.ErrNotFound) || err == nil && key.Revoked != 0 {
		return nil, nil, fail("AuthFailure.SecretIdNotFound", "the SecretId is not found or was revoked")
	}
	if err != nil {
		return nil, nil, err
	}
	secret, err := h.s.d.Keyring.Open(key.SecretEnc, key.SecretID)
	if err != nil {
		return nil, nil, err
	}
	if !verified(r, body, c, ts, secret) {
		return nil, key, fail("AuthFailure.SignatureFailure", "the request's signature does not match")
	}
	if v := r.Header.Get("X-TC-Version"); v != Version {
		return nil, key, fail("InvalidParameterValue", "the version %q is not served (only %s)", v, Version)
	}
	if !known {
		return nil, key, fail("InvalidAction", "no action %q in version %s", name, Version)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	out, err := run(h.s, r.Context(), &call{key: key, params: body})
	return out, key, err
}

// bind decodes the call's parameters into v: a field of the wrong type
// is InvalidParameter, naming it.
func (c *call) bind(v any) error {
	dec := json.NewDecoder(bytes.NewReader(c.params))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fail("InvalidParameter", "%s: want %s", te.Field, te.Type)
		}
		return fail("InvalidParameter", "the body is not a JSON object")
	}
	return nil
}

// app checks a request's SdkAppId against its key's app.
func (c *call) app(id *uint64, required bool) error {
	if id == nil {
		if required {
			return fail("MissingParameter", "SdkAppId is required")
		}
		return nil
	}
	if int64(*id) != c.key.AppID {
		return fail("InvalidParameter.SdkAppId", "SdkAppId %d is not this key's app", *id)
	}
	return nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func u64(p *uint64) int64 {
	if p == nil {
		return 0
	}
	return int64(*p)
}

// page reads Page and Limit (defaults 1 and def, Limit at most max).
func page(p, l *uint64, def, max int64) (offset, limit int64) {
	limit = def
	if l != nil && *l > 0 {
		limit = min(int64(*l), max)
	}
	n := int64(1)
	if p != nil && *p > 0 {
		n = int64(*p)
	}
	return (n - 1) * limit, limit
}

func itoa(n int64) string { return fmt.Sprint(n) }

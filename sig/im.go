package sig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IMApp is the identity the server uses towards IM for one SDKAppID.
type IMApp struct {
	SDKAppID int64
	Key      string // userSig key
	Admin    string // admin identifier
}

// IM is a client of the IM REST API (v4).
type IM struct {
	Base   string // e.g. https://console.tim.qq.com; empty: disabled
	Client *http.Client

	mu   sync.Mutex
	sigs map[int64]adminSig // cached admin userSigs
}

type adminSig struct {
	sig   string
	until time.Time
}

// ErrIMDisabled is returned when no IM endpoint is configured.
var ErrIMDisabled = errors.New("im: not configured")

// Enabled reports whether an endpoint is configured.
func (c *IM) Enabled() bool { return c != nil && c.Base != "" }

// Reply is the common part of an IM REST answer.
type Reply struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    int64  `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
}

func (c *IM) adminSig(app IMApp) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sigs[app.SDKAppID]; ok && time.Now().Before(s.until) {
		return s.sig, nil
	}
	const life = 24 * time.Hour
	s, err := UserSig(app.SDKAppID, app.Key, app.Admin, life)
	if err != nil {
		return "", err
	}
	if c.sigs == nil {
		c.sigs = map[int64]adminSig{}
	}
	c.sigs[app.SDKAppID] = adminSig{s, time.Now().Add(life - time.Hour)}
	return s, nil
}

// Call posts body to {base}/v4/{service}/{command} signed as the app's
// admin, and decodes the JSON reply into out. A transport error, a reply
// that is not JSON, or ErrorCode != 0 is an error.
func (c *IM) Call(ctx context.Context, base string, app IMApp, service, command string, body, out any) error {
	if base == "" {
		return ErrIMDisabled
	}
	usersig, err := c.adminSig(app)
	if err != nil {
		return fmt.Errorf("im: admin usersig: %w", err)
	}
	q := url.Values{}
	q.Set("sdkappid", strconv.FormatInt(app.SDKAppID, 10))
	q.Set("identifier", app.Admin)
	q.Set("usersig", usersig)
	q.Set("random", strconv.FormatUint(uint64(rand.Uint32()), 10))
	q.Set("contenttype", "json")
	u := strings.TrimRight(base, "/") + "/v4/" + service + "/" + command + "?" + q.Encode()
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.Client
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, which holds the admin userSig:
		// keep only its cause so the signature never reaches a log.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("im %s/%s: %w", service, command, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("im %s/%s: %w", service, command, err)
	}
	var r Reply
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("im %s/%s: HTTP %d, reply not JSON", service, command, resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("im %s/%s: %w", service, command, err)
		}
	}
	if r.ErrorCode != 0 {
		return &ServiceError{Code: r.ErrorCode, Info: r.ErrorInfo}
	}
	return nil
}

// ServiceError is an ErrorCode != 0 answer of a Tencent service.
type ServiceError struct {
	Code int64
	Info string
}

func (e *ServiceError) Error() string { return fmt.Sprintf("service error %d: %s", e.Code, e.Info) }

// GroupMsg is the Data of a custom group message (docs/protocol.md §8).
type GroupMsg struct {
	Type      int   `json:"type"`
	Seq       int64 `json:"seq"`
	Timestamp int64 `json:"timestamp"`
	Value     any   `json:"value"`
}

// SendGroupMsg sends msg as a custom element to group and returns the
// message's MsgSeq. With IM disabled nothing is sent and seq is 0.
func (c *IM) SendGroupMsg(ctx context.Context, app IMApp, group string, msg GroupMsg) (int64, error) {
	if !c.Enabled() {
		return 0, nil
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return 0, err
	}
	random := rand.Uint32()
	body := map[string]any{
		"GroupId":      group,
		"From_Account": app.Admin,
		"Random":       random,
		"MsgBody": []any{map[string]any{
			"MsgType":    "TIMCustomElem",
			"MsgContent": map[string]any{"Data": string(data)},
		}},
	}
	var out struct {
		MsgSeq  int64 `json:"MsgSeq"`
		MsgTime int64 `json:"MsgTime"`
	}
	if err := c.Call(ctx, c.Base, app, "group_open_http_svc", "send_group_msg", body, &out); err != nil {
		return 0, err
	}
	return out.MsgSeq, nil
}

// ReplayIndexReq asks for the replay index of a class.
type ReplayIndexReq struct {
	GroupID           string       `json:"GroupId"`
	MsgSeqStart       int64        `json:"MsgSeqStart"`
	MsgSeqEnd         int64        `json:"MsgSeqEnd"`
	MaxMsgSeqVideoEnd int64        `json:"MaxMsgSeqVideoEnd"`
	UserList          []ReplayUser `json:"UserList"`
}

// ReplayUser is one member in a replay-index request.
type ReplayUser struct {
	Account string `json:"Account"`
}

// ReplayIndex is an index that already exists.
type ReplayIndex struct {
	FileURL    string `json:"FileUrl"`
	CreateTime int64  `json:"CreateTime"`
}

// CreateReplayIndex requests the replay index of a class from the service
// at base. When the index already exists its url and time are returned.
func (c *IM) CreateReplayIndex(ctx context.Context, base string, app IMApp, req ReplayIndexReq) (*ReplayIndex, error) {
	if req.UserList == nil {
		req.UserList = []ReplayUser{}
	}
	var out struct {
		ReplayIndex *ReplayIndex `json:"ReplayIndex"`
	}
	if err := c.Call(ctx, base, app, "ilvb_video_replay", "create_replay_index", req, &out); err != nil {
		return nil, err
	}
	if out.ReplayIndex == nil {
		return &ReplayIndex{}, nil
	}
	return out.ReplayIndex, nil
}

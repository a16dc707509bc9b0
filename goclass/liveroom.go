package goclass

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// liveRoom talks to ZEGO's server API for one class type's app: the
// access token (/cgi/token), room messages (/cgi/sendmsg), chat
// (/cgi/im/chat) and the end of a room (/cgi/clearroom).
type liveRoom struct {
	appID   int64
	secret  string
	sign    string
	bizType int
	base    string
	client  *http.Client
	now     func() time.Time

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// tokenLife is how long an access token is reused, as the reference.
const tokenLife = time.Hour

// errAPI is a failure of ZEGO's server API.
var errAPI = errors.New("zego server api")

// post sends body (JSON) to path and decodes the answer's code, message
// and data.
func (l *liveRoom) post(ctx context.Context, path string, body any) (code float64, msg any, data map[string]any, err error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %s: %v", errAPI, path, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %s: HTTP %d, unreadable answer", errAPI, path, resp.StatusCode)
	}
	code, _ = out["code"].(float64)
	data, _ = out["data"].(map[string]any)
	return code, out["message"], data, nil
}

// accessToken returns the app's server API token, asking for a new one
// when the last is an hour old.
func (l *liveRoom) accessToken(ctx context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.token != "" && now.Before(l.tokenExp) {
		return l.token, nil
	}
	nonce := make([]byte, 8)
	rand.Read(nonce)
	hexNonce := hex.EncodeToString(nonce)
	// The reference asks for 7200 minutes.
	expired := now.Unix() + 7200*60
	sum := md5.Sum([]byte(fmt.Sprintf("%d%s%s%d", l.appID, strings.ToLower(l.secret), hexNonce, expired)))
	info, _ := json.Marshal(map[string]any{"ver": 1, "hash": hex.EncodeToString(sum[:]), "nonce": hexNonce, "expired": expired})
	code, msg, data, err := l.post(ctx, "/cgi/token", map[string]any{
		"version": 1, "seq": l.appID, "app_id": l.appID, "biz_type": l.bizType,
		"token": base64.StdEncoding.EncodeToString(info),
	})
	if err != nil {
		return "", err
	}
	tok, _ := data["access_token"].(string)
	if code != 0 || tok == "" {
		return "", fmt.Errorf("%w: /cgi/token: code %v message %v", errAPI, code, msg)
	}
	l.token, l.tokenExp = tok, now.Add(tokenLife)
	return tok, nil
}

// call posts to an API that needs the access token; a refused call
// drops the cached token, so the next one asks for a new token.
func (l *liveRoom) call(ctx context.Context, path string, body map[string]any) (float64, any, error) {
	tok, err := l.accessToken(ctx)
	if err != nil {
		return 0, nil, err
	}
	body["access_token"] = tok
	code, msg, _, err := l.post(ctx, path, body)
	if err == nil && code != 0 {
		l.mu.Lock()
		if l.token == tok {
			l.token = ""
		}
		l.mu.Unlock()
	}
	return code, msg, err
}

// sendMsg sends a room message from "system" to the given members.
func (l *liveRoom) sendMsg(ctx context.Context, room string, content []byte, to []int64) error {
	body := map[string]any{"version": 1, "seq": l.appID, "room_id": room,
		"src_user_account": "system", "msg_content": string(content)}
	if len(to) > 0 {
		dst := make([]string, len(to))
		for i, u := range to {
			dst[i] = strconv.FormatInt(u, 10)
		}
		body["dst_user_account"] = dst
	}
	code, msg, err := l.call(ctx, "/cgi/sendmsg", body)
	if err == nil && code != 0 {
		err = fmt.Errorf("%w: /cgi/sendmsg: code %v message %v", errAPI, code, msg)
	}
	return err
}

// clearRoom tells ZEGO a room has ended.
func (l *liveRoom) clearRoom(ctx context.Context, room string) error {
	code, msg, err := l.call(ctx, "/cgi/clearroom", map[string]any{"version": 1, "seq": l.appID, "room_id": room})
	if err == nil && code != 0 {
		err = fmt.Errorf("%w: /cgi/clearroom: code %v message %v", errAPI, code, msg)
	}
	return err
}

// chat sends a member's chat message to the room. Its errors are the
// protocol's: 3 without an access token, 10011 when the send fails.
func (l *liveRoom) chat(ctx context.Context, room string, uid int64, nick, text string) error {
	tok, err := l.accessToken(ctx)
	if err != nil {
		return &Error{CodeSystem, "GetAccessToken failed"}
	}
	// The reference sends these fields in this order.
	body := struct {
		AccessToken    string `json:"access_token"`
		Version        int    `json:"version"`
		Seq            int64  `json:"seq"`
		RoomID         string `json:"room_id"`
		SrcUserAccount string `json:"src_user_account"`
		SrcNickname    string `json:"src_nickname"`
		MsgCategory    int    `json:"msg_category"`
		MsgType        int    `json:"msg_type"`
		MsgContent     string `json:"msg_content"`
		MsgPriority    int    `json:"msg_priority"`
	}{tok, 1, l.appID, room, strconv.FormatInt(uid, 10), nick, 2, 1, text, 3}
	code, msg, _, err := l.post(ctx, "/cgi/im/chat", body)
	if err != nil {
		return &Error{CodeSendMessage, fmt.Sprintf("SendImMessageToRoom failed, appId:%d, roomId:%s", l.appID, room)}
	}
	if code != 0 {
		l.mu.Lock()
		if l.token == tok {
			l.token = ""
		}
		l.mu.Unlock()
		return &Error{CodeSendMessage, fmt.Sprintf("sendmessagebuftoroom failed, code:%v message:%v, appId:%v, roomId:%v",
			code, msg, l.appID, room)}
	}
	return nil
}

// appToken is the login token of ZEGO's web SDK for userID, valid three
// hours: made from the AppSignature's first 32 hex digits.
func (l *liveRoom) appToken(userID string) string {
	sign := signHex(l.sign)
	if len(sign) < 32 {
		return ""
	}
	expired := l.now().Unix() + 3*3600
	nonce := userID
	sum := md5.Sum([]byte(fmt.Sprintf("%d%s%s%s%d", uint32(l.appID), sign[:32], userID, nonce, expired)))
	tok, _ := json.Marshal(struct {
		Ver     int64  `json:"ver"`
		Hash    string `json:"hash"`
		Nonce   string `json:"nonce"`
		Expired int64  `json:"expired"`
	}{1, hex.EncodeToString(sum[:]), nonce, expired})
	return base64.StdEncoding.EncodeToString(tok)
}

// signHex is an AppSignature's text without its "0x" and commas.
func signHex(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "0x", ""), ",", "")
}

package aui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Accounts are the server's accounts as the AUI fronts log them in.
type Accounts interface {
	// Verify checks name's password (ErrCredentials when wrong or unknown).
	Verify(ctx context.Context, name, pwd, addr string) error
	// Ensure makes the account name with password pwd unless it exists,
	// then verifies it.
	Ensure(ctx context.Context, name, pwd, addr string) error
}

// Refusal is a login refused for the client's reason (a wrong password,
// too many tries), answered with its words; any other login error is
// the server's.
type Refusal string

func (r Refusal) Error() string { return string(r) }

// ErrCredentials is a login with a wrong name or password.
const ErrCredentials = Refusal("incorrect Username or Password")

// Login checks a login by mode: "demo" (the references' rule: the
// password is the name; the account is made on first login) or
// "accounts" (the server's passwords).
func Login(ctx context.Context, acc Accounts, mode, name, pwd, addr string) error {
	if mode == "demo" {
		if pwd != name {
			return ErrCredentials
		}
		return acc.Ensure(ctx, name, pwd, addr)
	}
	return acc.Verify(ctx, name, pwd, addr)
}

// NewIM is an app of Alibaba's newer IM service, whose tokens the
// AppServer computes itself.
type NewIM struct {
	AppID   string `json:"app_id"`
	AppKey  string `json:"app_key"`
	AppSign string `json:"app_sign"`
}

// NewIMAuth is the auth part of a newer-IM token.
type NewIMAuth struct {
	UserID    string `json:"user_id"`
	Nonce     string `json:"nonce"`
	Timestamp int64  `json:"timestamp"`
	Role      string `json:"role"`
}

// NewIMToken is the newer IM's login for a user.
type NewIMToken struct {
	AppID    string    `json:"app_id"`
	AppSign  string    `json:"app_sign"`
	AppToken string    `json:"app_token"`
	Auth     NewIMAuth `json:"auth"`
}

// Token makes user's token (valid two days): app_token is
// sha256(appId + appKey + user + nonce + timestamp + role).
func (n *NewIM) Token(user, role string, now time.Time) NewIMToken {
	nonce := UUID()
	ts := now.Add(48 * time.Hour).Unix()
	sum := sha256.Sum256([]byte(n.AppID + n.AppKey + user + nonce + strconv.FormatInt(ts, 10) + role))
	return NewIMToken{AppID: n.AppID, AppSign: n.AppSign, AppToken: hex.EncodeToString(sum[:]),
		Auth: NewIMAuth{UserID: user, Nonce: nonce, Timestamp: ts, Role: role}}
}

// UUID is a random version-4 UUID.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

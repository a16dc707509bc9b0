// Package lcic serves the business-side cloud API of Tencent's LCIC
// (低代码互动课堂, version 2022-08-17) on the server's own classes: a
// school's system written for LCIC keeps its user sync (account
// mapping), scheduling, groups and timetable, and points its endpoint
// and keys here. Rooms are 随心播 classes, users are accounts.
package lcic

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"sxb-edu/store"
)

// Keyring encrypts the API keys' secrets with a key kept outside the
// database (a file beside it, or where the configuration says): a copy of
// the database alone does not give the secrets away.
type Keyring struct{ aead cipher.AEAD }

// SecretsFile is where the keyring's key is kept for a database: beside
// an SQLite file, in the working directory for MySQL.
func SecretsFile(db string) string {
	if strings.HasPrefix(db, "mysql://") {
		return "sxb-edu.secrets"
	}
	return db + ".secrets"
}

// LoadKeyring reads the key from path, making it (mode 0600) the first
// time. Several servers on one database need the same file.
func LoadKeyring(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadKeyring(path) // made meanwhile by another process
		}
		if err != nil {
			return nil, fmt.Errorf("secrets file: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("secrets file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		b = []byte(hex.EncodeToString(key))
	} else if err != nil {
		return nil, fmt.Errorf("secrets file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("secrets file %s: not 64 hex digits", path)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	return &Keyring{aead: aead}, nil
}

// Seal encrypts a secret for the database.
func (k *Keyring) Seal(secret, secretID string) string {
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, []byte(secret), []byte(secretID)))
}

// Open decrypts a secret sealed for secretID.
func (k *Keyring) Open(enc, secretID string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(b) < k.aead.NonceSize() {
		return "", errors.New("sealed secret: malformed")
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, b[:n], b[n:], []byte(secretID))
	if err != nil {
		return "", errors.New("sealed secret: not sealed with this server's secrets file")
	}
	return string(plain), nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomText is n random characters of A-Z a-z 0-9.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// CreateKey makes an API key of app named name: its SecretId and
// SecretKey (the key is shown this once; the database keeps it sealed).
func CreateKey(ctx context.Context, st *store.Store, kr *Keyring, name string, app, now int64) (id, secret string, err error) {
	if strings.TrimSpace(name) == "" || len(name) > 255 {
		return "", "", errors.New("a key needs a name of 1 to 255 bytes")
	}
	id, secret = "AKID"+randomText(32), randomText(32)
	k := &store.APIKey{SecretID: id, Name: name, AppID: app, SecretEnc: kr.Seal(secret, id), Created: now}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		return "", "", err
	}
	return id, secret, nil
}

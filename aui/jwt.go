package aui

import (
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Tokens signs and checks the HS256 login tokens of an AUI front. Keys
// are tried in order; the first signs.
type Tokens struct {
	Keys    [][]byte
	Timeout time.Duration
	Now     func() time.Time
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Sign makes a token of claims, signed with the first key.
func (t *Tokens) Sign(claims jwt.MapClaims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.Keys[0])
}

// Token errors in the words the reference's middleware answers with.
var (
	ErrExpired   = errors.New("token is expired")
	ErrSignature = errors.New("signature is invalid")
	ErrAlgorithm = errors.New("invalid signing algorithm")
)

// Malformed is a token that is not a JWT.
type Malformed string

func (m Malformed) Error() string { return string(m) }

// Parse checks a token's signature with each key and returns its
// claims. An expired token's claims come with ErrExpired (a refresh
// reads them).
func (t *Tokens) Parse(s string) (jwt.MapClaims, error) {
	var last error = ErrSignature
	for _, k := range t.Keys {
		claims := jwt.MapClaims{}
		_, err := jwt.NewParser(jwt.WithTimeFunc(t.now)).ParseWithClaims(s, claims, func(tok *jwt.Token) (any, error) {
			if tok.Method.Alg() != jwt.SigningMethodHS256.Alg() {
				return nil, ErrAlgorithm
			}
			return k, nil
		})
		switch {
		case err == nil:
			return claims, nil
		case errors.Is(err, jwt.ErrTokenMalformed):
			// The innermost cause, as the reference's parser words it.
			msg := err.Error()
			if i := strings.LastIndex(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
			return nil, Malformed(msg)
		case errors.Is(err, ErrAlgorithm):
			return nil, ErrAlgorithm
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			continue
		case errors.Is(err, jwt.ErrTokenExpired):
			return claims, ErrExpired
		default:
			last = err
		}
	}
	return nil, last
}

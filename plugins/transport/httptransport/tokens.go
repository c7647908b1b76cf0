package httptransport

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token types, in the "typ" claim: an access token authenticates requests,
// a refresh token only buys new access tokens.
const (
	tokenAccess  = "access"
	tokenRefresh = "refresh"

	tokenIssuer = "runnel"
)

var errBadToken = errors.New("httptransport: invalid or expired token")

// claims are the JWT claims: the registered ones (sub = user id, jti) plus
// the session id and the token type.
type claims struct {
	jwt.RegisteredClaims
	Session string `json:"sid"`
	Type    string `json:"typ"`
}

// issuer signs and verifies HS256 tokens.
type issuer struct {
	key []byte
	now func() time.Time
}

func newIssuer(secret string, now func() time.Time) (*issuer, error) {
	key := []byte(secret)
	if len(key) == 0 {
		key = make([]byte, jwtSecretBytesMin)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("httptransport: jwt key: %w", err)
		}
	}
	return &issuer{key: key, now: now}, nil
}

// issue signs a token of typ for the session, valid for ttl.
func (is *issuer) issue(typ, sessionID string, userID uint32, ttl time.Duration) (token string, expiresAt time.Time, err error) {
	jti, err := newSessionID()
	if err != nil {
		return "", time.Time{}, err
	}
	now := is.now()
	// JWT times are whole seconds: round the expiry down so a token never
	// outlives its session.
	expiresAt = now.Add(ttl).Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   strconv.FormatUint(uint64(userID), 10),
			ID:        jti,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expiresAt),
		},
		Session: sessionID,
		Type:    typ,
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(is.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("httptransport: sign token: %w", err)
	}
	return token, expiresAt, nil
}

// verify checks signature, algorithm, issuer, expiry and type.
func (is *issuer) verify(token, typ string) (claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return is.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(is.now),
	)
	if err != nil || c.Type != typ || c.Session == "" {
		return claims{}, errBadToken
	}
	return c, nil
}

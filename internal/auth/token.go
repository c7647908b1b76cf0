package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// tokenBytes is the entropy of a personal access token.
const tokenBytes = 32

// NewToken returns a fresh personal access token and the hash to store.
// The token is 32 random bytes as unpadded URL-safe base64 (43 characters,
// inside the protocol's 1..255 byte limit); it is shown to the user once and
// never stored. The error is for callers' symmetry with other sources of
// secrets; crypto/rand does not fail on supported platforms.
func NewToken() (token string, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token), nil
}

// TokenHash is the stored form of a token: SHA-256, hex. A slow hash is
// unnecessary because tokens carry 256 bits of entropy, and a plain hash
// lets login find the token by hash in one map lookup.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

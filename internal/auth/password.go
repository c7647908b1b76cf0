package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id cost. These are the OWASP minimums the Rust `argon2` crate (used
// by Iggy) also defaults to: 19 MiB, 2 passes, 1 lane. One hash takes a few
// tens of ms on a server core, which bounds password guessing without making
// logins slow.
const (
	argonMemoryKiB    = 19 * 1024
	argonTime         = 2
	argonThreads      = 1
	argonSaltBytes    = 16
	argonKeyBytes     = 32
	argonVersion      = argon2.Version
	argonMemoryKiBMax = 1 << 20 // 1 GiB: refuse to verify hashes that would exhaust memory
	argonTimeMax      = 64
	argonKeyBytesMax  = 1024
)

// params is one argon2id cost setting; the PHC string records it, so
// changing the constants above keeps old hashes verifiable.
type params struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
}

func defaultParams() params {
	return params{memoryKiB: argonMemoryKiB, time: argonTime, threads: argonThreads}
}

// HashPassword returns the argon2id hash of password as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(password string) (string, error) {
	return hashPassword(password, defaultParams(), rand.Reader)
}

func hashPassword(password string, p params, random io.Reader) (string, error) {
	salt := make([]byte, argonSaltBytes)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("auth: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, argonKeyBytes)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argonVersion, p.memoryKiB, p.time, p.threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash. A malformed hash,
// or one whose cost exceeds sane bounds, never matches. The comparison of
// the derived keys is constant-time.
func VerifyPassword(hash, password string) bool {
	p, salt, want, ok := parsePHC(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// parsePHC splits $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func parsePHC(s string) (p params, salt, key []byte, ok bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return params{}, nil, nil, false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argonVersion {
		return params{}, nil, nil, false
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memoryKiB, &p.time, &threads); err != nil || n != 3 {
		return params{}, nil, nil, false
	}
	if p.memoryKiB == 0 || p.memoryKiB > argonMemoryKiBMax || p.time == 0 || p.time > argonTimeMax ||
		threads == 0 || threads > 255 || p.memoryKiB < 8*threads {
		return params{}, nil, nil, false
	}
	p.threads = uint8(threads)
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil || len(salt) == 0 {
		return params{}, nil, nil, false
	}
	key, err = enc.DecodeString(parts[5])
	if err != nil || len(key) == 0 || len(key) > argonKeyBytesMax {
		return params{}, nil, nil, false
	}
	return p, salt, key, true
}

// RandomPassword returns a fresh random password for the root user on a
// first boot without configured credentials: 26 base32 characters (128
// bits), inside the protocol's 3..100 byte password limit.
func RandomPassword() string { return rand.Text() }

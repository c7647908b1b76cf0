package auth

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

var cheap = params{memoryKiB: 64, time: 1, threads: 1}

func TestHashPasswordDefaultCost(t *testing.T) {
	h, err := HashPassword("iggy")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Fatalf("hash %q is not the expected PHC string", h)
	}
	if !VerifyPassword(h, "iggy") {
		t.Fatal("correct password rejected")
	}
	if VerifyPassword(h, "iggy2") || VerifyPassword(h, "") {
		t.Fatal("wrong password accepted")
	}
}

func TestHashPasswordSalts(t *testing.T) {
	a, err := hashPassword("secret", cheap, bytes.NewReader(bytes.Repeat([]byte{1}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hashPassword("secret", cheap, bytes.NewReader(bytes.Repeat([]byte{2}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("different salts gave the same hash")
	}
	if !VerifyPassword(a, "secret") || !VerifyPassword(b, "secret") {
		t.Fatal("hash with recorded params does not verify")
	}
	if _, err := hashPassword("x", cheap, bytes.NewReader(nil)); err == nil {
		t.Fatal("salt read failure not reported")
	}
}

func TestVerifyPasswordRejectsMalformed(t *testing.T) {
	good, err := hashPassword("pw", cheap, bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	join := func(p ...string) string { return strings.Join(p, "$") }
	cases := map[string]string{
		"empty":        "",
		"plain":        "pw",
		"argon2i":      join("", "argon2i", parts[2], parts[3], parts[4], parts[5]),
		"version":      join("", "argon2id", "v=16", parts[3], parts[4], parts[5]),
		"params":       join("", "argon2id", parts[2], "m=64,t=1", parts[4], parts[5]),
		"huge memory":  join("", "argon2id", parts[2], "m=4294967295,t=1,p=1", parts[4], parts[5]),
		"zero time":    join("", "argon2id", parts[2], "m=64,t=0,p=1", parts[4], parts[5]),
		"zero threads": join("", "argon2id", parts[2], "m=64,t=1,p=0", parts[4], parts[5]),
		"bad salt":     join("", "argon2id", parts[2], parts[3], "!!", parts[5]),
		"empty key":    join("", "argon2id", parts[2], parts[3], parts[4], ""),
		"extra":        good + "$x",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuu",
	}
	for name, h := range cases {
		if VerifyPassword(h, "pw") {
			t.Errorf("%s: malformed hash %q verified", name, h)
		}
	}
	if !VerifyPassword(good, "pw") {
		t.Fatal("control case failed")
	}
}

func TestNewToken(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 || len(tok) != 43 {
		t.Fatalf("token %q: %d bytes, %v", tok, len(raw), err)
	}
	if hash != TokenHash(tok) || len(hash) != 64 {
		t.Fatalf("hash %q", hash)
	}
	tok2, hash2, _ := NewToken()
	if tok == tok2 || hash == hash2 {
		t.Fatal("two tokens are equal")
	}
	// A known SHA-256 vector pins the stored format.
	if TokenHash("abc") != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatal("TokenHash is not SHA-256 hex")
	}
}

func TestRandomPassword(t *testing.T) {
	a, b := RandomPassword(), RandomPassword()
	if a == b || len(a) < 20 || len(a) > 100 {
		t.Fatalf("random passwords %q %q", a, b)
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("benchmark-password"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("benchmark-password")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyPassword(h, "benchmark-password") {
			b.Fatal("mismatch")
		}
	}
}

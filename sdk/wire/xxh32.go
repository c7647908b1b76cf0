package wire

import (
	"encoding/binary"
	"math/bits"
)

// XXH32 primes (xxHash specification, "XXH32 algorithm description").
const (
	xxhPrime1 uint32 = 0x9E3779B1
	xxhPrime2 uint32 = 0x85EBCA77
	xxhPrime3 uint32 = 0xC2B2AE3D
	xxhPrime4 uint32 = 0x27D4EB2F
	xxhPrime5 uint32 = 0x165667B1
)

// XXH32 is the 32-bit xxHash of b. Iggy uses it with seed 0 for MessagesKey
// partitioning, client ids (hash of the peer address) and string consumer ids.
func XXH32(b []byte, seed uint32) uint32 {
	n := len(b)
	var h uint32
	if n >= 16 {
		v1 := seed + xxhPrime1 + xxhPrime2
		v2 := seed + xxhPrime2
		v3 := seed
		v4 := seed - xxhPrime1
		for len(b) >= 16 {
			v1 = xxhRound(v1, binary.LittleEndian.Uint32(b[0:]))
			v2 = xxhRound(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = xxhRound(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = xxhRound(v4, binary.LittleEndian.Uint32(b[12:]))
			b = b[16:]
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) +
			bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = seed + xxhPrime5
	}
	h += uint32(n)
	for len(b) >= 4 {
		h += binary.LittleEndian.Uint32(b) * xxhPrime3
		h = bits.RotateLeft32(h, 17) * xxhPrime4
		b = b[4:]
	}
	for _, c := range b {
		h += uint32(c) * xxhPrime5
		h = bits.RotateLeft32(h, 11) * xxhPrime1
	}
	h ^= h >> 15
	h *= xxhPrime2
	h ^= h >> 13
	h *= xxhPrime3
	h ^= h >> 16
	return h
}

func xxhRound(acc, lane uint32) uint32 {
	acc += lane * xxhPrime2
	return bits.RotateLeft32(acc, 13) * xxhPrime1
}

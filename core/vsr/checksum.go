package vsr

import (
	"encoding/binary"

	"github.com/zeebo/xxh3"
)

// Checksum is a 128-bit XXH3 checksum. The checksum of a prepare header is
// the identity of that prepare.
type Checksum struct{ Lo, Hi uint64 }

// IsZero reports whether c is the zero value (used as "unknown").
func (c Checksum) IsZero() bool { return c.Lo == 0 && c.Hi == 0 }

func checksumOf(b []byte) Checksum {
	h := xxh3.Hash128(b)
	return Checksum{Lo: h.Lo, Hi: h.Hi}
}

func putChecksum(b []byte, c Checksum) {
	binary.LittleEndian.PutUint64(b, c.Lo)
	binary.LittleEndian.PutUint64(b[8:], c.Hi)
}

func getChecksum(b []byte) Checksum {
	return Checksum{Lo: binary.LittleEndian.Uint64(b), Hi: binary.LittleEndian.Uint64(b[8:])}
}

package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// str8BytesMax is the longest string a u8 length prefix can carry.
const str8BytesMax = 255

// reader decodes one payload. The first failure sticks and later reads
// return zero values, so decoders read straight through and check err once.
// Failures carry request status codes (§1.5): a short payload is
// InvalidCommand, a structural violation InvalidFormat.
type reader struct {
	b   []byte
	pos int
	err error
}

func newReader(b []byte) *reader { return &reader{b: b} }

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) remaining() int { return len(r.b) - r.pos }

// take returns the next n bytes as a capacity-limited sub-slice of the input.
func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.remaining() < n {
		r.fail(ErrInvalidCommand.Detail("%s: need %d bytes at offset %d, have %d", what, n, r.pos, r.remaining()))
		return nil
	}
	s := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return s
}

func (r *reader) u8(what string) uint8 {
	if s := r.take(1, what); s != nil {
		return s[0]
	}
	return 0
}

func (r *reader) u16(what string) uint16 {
	if s := r.take(2, what); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if s := r.take(4, what); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (r *reader) u64(what string) uint64 {
	if s := r.take(8, what); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (r *reader) f32(what string) float32 { return math.Float32frombits(r.u32(what)) }

// flag reads an optional-field marker: only exactly 1 means present (§0).
func (r *reader) flag(what string) bool { return r.u8(what) == 1 }

// boolean reads a bool where any non-zero byte is true (§0).
func (r *reader) boolean(what string) bool { return r.u8(what) != 0 }

// text returns n bytes as a string that must be valid UTF-8.
func (r *reader) text(n int, what string) string {
	s := r.take(n, what)
	if r.err != nil {
		return ""
	}
	if !utf8.Valid(s) {
		r.fail(ErrInvalidCommand.Detail("%s: invalid UTF-8", what))
		return ""
	}
	return string(s)
}

// str8 reads a u8-length UTF-8 string of any length, 0 included (passwords).
func (r *reader) str8(what string) string { return r.text(int(r.u8(what)), what) }

// str32 reads a u32-length UTF-8 string.
func (r *reader) str32(what string) string { return r.text(int(r.u32(what)), what) }

// name reads a Name: a str8 of 1..255 bytes (§2.2).
func (r *reader) name(what string) string {
	n := int(r.u8(what))
	if r.err == nil && n == 0 {
		r.fail(ErrInvalidFormat.Detail("%s: empty", what))
		return ""
	}
	return r.text(n, what)
}

// identifier reads an Id (§2.1) with the generic decoder's status codes.
func (r *reader) identifier(what string) Identifier {
	kind := r.u8(what)
	n := int(r.u8(what))
	if r.err != nil {
		return Identifier{}
	}
	switch kind {
	case IdentifierNumeric:
		if n != 4 {
			r.fail(ErrInvalidFormat.Detail("%s: numeric identifier of %d bytes", what, n))
			return Identifier{}
		}
		return NumericID(r.u32(what))
	case IdentifierString:
		if n == 0 {
			r.fail(ErrInvalidFormat.Detail("%s: empty string identifier", what))
			return Identifier{}
		}
		return NamedID(r.text(n, what))
	default:
		r.fail(ErrInvalidCommand.Detail("%s: identifier kind %d", what, kind))
		return Identifier{}
	}
}

// optionalPartition reads opt_pid (§2.4): 5 bytes, the id only when flagged.
func (r *reader) optionalPartition() OptionalPartitionID {
	present := r.flag("partition flag")
	id := r.u32("partition id")
	if !present {
		return OptionalPartitionID{}
	}
	return Partition(id)
}

// finish returns the decode error; trailing bytes are tolerated (§1.5).
func (r *reader) finish() error { return r.err }

// finishResponse wraps a response decode failure for the client side.
func (r *reader) finishResponse(what string) error {
	if r.err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformedResponse, what, r.err)
}

// rest returns every byte not yet read.
func (r *reader) rest() []byte { return r.take(r.remaining(), "rest") }

func appendU8(b []byte, v uint8) []byte   { return append(b, v) }
func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
func appendF32(b []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendStr8 writes a u8-length string. Longer strings are cut at 255 bytes
// so the frame stays well-formed; clients validate lengths before encoding.
func appendStr8(b []byte, s string) []byte {
	if len(s) > str8BytesMax {
		s = s[:str8BytesMax]
	}
	b = append(b, uint8(len(s)))
	return append(b, s...)
}

func appendStr32(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

func appendOptionalPartition(b []byte, p OptionalPartitionID) []byte {
	b = appendBool(b, p.Set)
	if !p.Set {
		return appendU32(b, 0)
	}
	return appendU32(b, p.ID)
}

// rstr8 and rstr32 read strings in responses, where the client is lenient:
// any bytes are accepted, as the Iggy SDK does.
func (r *reader) rstr8(what string) string  { return string(r.take(int(r.u8(what)), what)) }
func (r *reader) rstr32(what string) string { return string(r.take(int(r.u32(what)), what)) }

// decodeList reads items until the payload ends: how every list response
// (StreamHeader*, TopicHeader*, ...) is laid out. An empty payload is an
// empty list.
func decodeList[T any](payload []byte, what string, item func(*reader) T) ([]T, error) {
	r := newReader(payload)
	var out []T
	for r.err == nil && r.remaining() > 0 {
		out = append(out, item(r))
	}
	if err := r.finishResponse(what); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeOne reads one value from a response payload.
func decodeOne[T any](payload []byte, what string, item func(*reader) T) (T, error) {
	r := newReader(payload)
	v := item(r)
	if err := r.finishResponse(what); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// decodeRequest reads one request payload with the generic decoder's rules.
func decodeRequest[T any](payload []byte, item func(*reader) T) (T, error) {
	r := newReader(payload)
	v := item(r)
	if r.err != nil {
		var zero T
		return zero, r.err
	}
	return v, nil
}

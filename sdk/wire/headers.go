package wire

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// HeaderKind is the type tag of a user-header key or value (§2.8).
type HeaderKind uint8

// User-header kinds.
const (
	HeaderRaw     HeaderKind = 1
	HeaderString  HeaderKind = 2
	HeaderBool    HeaderKind = 3
	HeaderInt8    HeaderKind = 4
	HeaderInt16   HeaderKind = 5
	HeaderInt32   HeaderKind = 6
	HeaderInt64   HeaderKind = 7
	HeaderInt128  HeaderKind = 8
	HeaderUint8   HeaderKind = 9
	HeaderUint16  HeaderKind = 10
	HeaderUint32  HeaderKind = 11
	HeaderUint64  HeaderKind = 12
	HeaderUint128 HeaderKind = 13
	HeaderFloat32 HeaderKind = 14
	HeaderFloat64 HeaderKind = 15
)

// HeaderFieldBytesMax is the longest key or value (the Go SDK's limit).
const HeaderFieldBytesMax = 255

// size is the fixed byte size of a kind, 0 for variable (Raw, String), -1
// for an unknown kind.
func (k HeaderKind) size() int {
	switch k {
	case HeaderRaw, HeaderString:
		return 0
	case HeaderBool, HeaderInt8, HeaderUint8:
		return 1
	case HeaderInt16, HeaderUint16:
		return 2
	case HeaderInt32, HeaderUint32, HeaderFloat32:
		return 4
	case HeaderInt64, HeaderUint64, HeaderFloat64:
		return 8
	case HeaderInt128, HeaderUint128:
		return 16
	}
	return -1
}

// HeaderValue is a typed key or value: Data holds the little-endian bytes.
type HeaderValue struct {
	Kind HeaderKind
	Data []byte
}

// HeaderEntry is one user header.
type HeaderEntry struct {
	Key   HeaderValue
	Value HeaderValue
}

// RawHeader is an opaque byte value.
func RawHeader(b []byte) HeaderValue { return HeaderValue{HeaderRaw, b} }

// StringHeader is a UTF-8 value (the usual key kind).
func StringHeader(s string) HeaderValue { return HeaderValue{HeaderString, []byte(s)} }

// BoolHeader is a 1-byte 0/1 value.
func BoolHeader(v bool) HeaderValue {
	if v {
		return HeaderValue{HeaderBool, []byte{1}}
	}
	return HeaderValue{HeaderBool, []byte{0}}
}

// Int64Header, Uint64Header and friends encode numbers little-endian.
func Int8Header(v int8) HeaderValue   { return HeaderValue{HeaderInt8, []byte{byte(v)}} }
func Int16Header(v int16) HeaderValue { return leHeader(HeaderInt16, uint64(uint16(v)), 2) }
func Int32Header(v int32) HeaderValue { return leHeader(HeaderInt32, uint64(uint32(v)), 4) }
func Int64Header(v int64) HeaderValue { return leHeader(HeaderInt64, uint64(v), 8) }
func Uint8Header(v uint8) HeaderValue { return HeaderValue{HeaderUint8, []byte{v}} }
func Uint16Header(v uint16) HeaderValue {
	return leHeader(HeaderUint16, uint64(v), 2)
}
func Uint32Header(v uint32) HeaderValue { return leHeader(HeaderUint32, uint64(v), 4) }
func Uint64Header(v uint64) HeaderValue { return leHeader(HeaderUint64, v, 8) }
func Float32Header(v float32) HeaderValue {
	return leHeader(HeaderFloat32, uint64(math.Float32bits(v)), 4)
}
func Float64Header(v float64) HeaderValue { return leHeader(HeaderFloat64, math.Float64bits(v), 8) }

// Int128Header and Uint128Header take the 16 little-endian bytes.
func Int128Header(le [16]byte) HeaderValue  { return HeaderValue{HeaderInt128, le[:]} }
func Uint128Header(le [16]byte) HeaderValue { return HeaderValue{HeaderUint128, le[:]} }

func leHeader(k HeaderKind, v uint64, n int) HeaderValue {
	b := binary.LittleEndian.AppendUint64(nil, v)
	return HeaderValue{k, b[:n]}
}

// AsString returns a String or Raw value as text.
func (v HeaderValue) AsString() (string, error) {
	if v.Kind != HeaderString && v.Kind != HeaderRaw {
		return "", ErrInvalidHeaderValue.Detail("kind %d is not a string", v.Kind)
	}
	return string(v.Data), nil
}

// AsBool returns a Bool value.
func (v HeaderValue) AsBool() (bool, error) {
	if v.Kind != HeaderBool || len(v.Data) != 1 {
		return false, ErrInvalidHeaderValue.Detail("kind %d is not a bool", v.Kind)
	}
	return v.Data[0] != 0, nil
}

// AsInt64 returns any signed integer value up to 64 bits, sign-extended.
func (v HeaderValue) AsInt64() (int64, error) {
	switch {
	case v.Kind == HeaderInt8 && len(v.Data) == 1:
		return int64(int8(v.Data[0])), nil
	case v.Kind == HeaderInt16 && len(v.Data) == 2:
		return int64(int16(binary.LittleEndian.Uint16(v.Data))), nil
	case v.Kind == HeaderInt32 && len(v.Data) == 4:
		return int64(int32(binary.LittleEndian.Uint32(v.Data))), nil
	case v.Kind == HeaderInt64 && len(v.Data) == 8:
		return int64(binary.LittleEndian.Uint64(v.Data)), nil
	}
	return 0, ErrInvalidHeaderValue.Detail("kind %d is not a signed integer", v.Kind)
}

// AsUint64 returns any unsigned integer value up to 64 bits.
func (v HeaderValue) AsUint64() (uint64, error) {
	switch {
	case v.Kind == HeaderUint8 && len(v.Data) == 1:
		return uint64(v.Data[0]), nil
	case v.Kind == HeaderUint16 && len(v.Data) == 2:
		return uint64(binary.LittleEndian.Uint16(v.Data)), nil
	case v.Kind == HeaderUint32 && len(v.Data) == 4:
		return uint64(binary.LittleEndian.Uint32(v.Data)), nil
	case v.Kind == HeaderUint64 && len(v.Data) == 8:
		return binary.LittleEndian.Uint64(v.Data), nil
	}
	return 0, ErrInvalidHeaderValue.Detail("kind %d is not an unsigned integer", v.Kind)
}

// AsFloat64 returns a Float32 or Float64 value.
func (v HeaderValue) AsFloat64() (float64, error) {
	switch {
	case v.Kind == HeaderFloat32 && len(v.Data) == 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(v.Data))), nil
	case v.Kind == HeaderFloat64 && len(v.Data) == 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(v.Data)), nil
	}
	return 0, ErrInvalidHeaderValue.Detail("kind %d is not a float", v.Kind)
}

// validate checks one field against its kind; bad is the status to report
// (InvalidHeaderKey or InvalidHeaderValue).
func (v HeaderValue) validate(bad *Error) error {
	n := len(v.Data)
	switch size := v.Kind.size(); {
	case size < 0:
		return bad.Detail("unknown header kind %d", v.Kind)
	case n == 0 || n > HeaderFieldBytesMax:
		return bad.Detail("%d bytes, want 1..%d", n, HeaderFieldBytesMax)
	case size > 0 && n != size:
		return bad.Detail("kind %d holds %d bytes, want %d", v.Kind, n, size)
	case v.Kind == HeaderString && !utf8.Valid(v.Data):
		return bad.Detail("string header is not UTF-8")
	}
	return nil
}

// UserHeadersSize is the encoded size of hs.
func UserHeadersSize(hs []HeaderEntry) int {
	n := 0
	for _, h := range hs {
		n += 10 + len(h.Key.Data) + len(h.Value.Data)
	}
	return n
}

// AppendUserHeaders appends the TLV section of hs. It does not validate;
// see ValidateHeaderEntries.
func AppendUserHeaders(b []byte, hs []HeaderEntry) []byte {
	for _, h := range hs {
		b = append(b, byte(h.Key.Kind))
		b = appendU32(b, uint32(len(h.Key.Data)))
		b = append(b, h.Key.Data...)
		b = append(b, byte(h.Value.Kind))
		b = appendU32(b, uint32(len(h.Value.Data)))
		b = append(b, h.Value.Data...)
	}
	return b
}

// ValidateHeaderEntries checks what a strict reader (the Go SDK) requires:
// known kinds, 1..255 bytes, exact sizes for fixed kinds, UTF-8 strings and
// a section of at most MessageUserHeadersBytesMax bytes.
func ValidateHeaderEntries(hs []HeaderEntry) error {
	if n := UserHeadersSize(hs); n > MessageUserHeadersBytesMax {
		return ErrTooBigUserHeaders.Detail("%d bytes of user headers", n)
	}
	for _, h := range hs {
		if err := h.Key.validate(ErrInvalidHeaderKey); err != nil {
			return err
		}
		if err := h.Value.validate(ErrInvalidHeaderValue); err != nil {
			return err
		}
	}
	return nil
}

// DecodeUserHeaders parses and validates a user-header section. Key and
// value Data alias b. Failures are InvalidHeaderKey / InvalidHeaderValue.
func DecodeUserHeaders(b []byte) ([]HeaderEntry, error) {
	var out []HeaderEntry
	for len(b) > 0 {
		key, rest, err := decodeHeaderField(b, ErrInvalidHeaderKey)
		if err != nil {
			return nil, err
		}
		value, rest, err := decodeHeaderField(rest, ErrInvalidHeaderValue)
		if err != nil {
			return nil, err
		}
		out = append(out, HeaderEntry{Key: key, Value: value})
		b = rest
	}
	return out, nil
}

// ValidateUserHeaders checks a raw user-header section without keeping the
// entries: what a strict server may run on SendMessages.
func ValidateUserHeaders(b []byte) error {
	if len(b) > MessageUserHeadersBytesMax {
		return ErrTooBigUserHeaders.Detail("%d bytes of user headers", len(b))
	}
	for len(b) > 0 {
		_, rest, err := decodeHeaderField(b, ErrInvalidHeaderKey)
		if err != nil {
			return err
		}
		if _, b, err = decodeHeaderField(rest, ErrInvalidHeaderValue); err != nil {
			return err
		}
	}
	return nil
}

func decodeHeaderField(b []byte, bad *Error) (HeaderValue, []byte, error) {
	if len(b) < 5 {
		return HeaderValue{}, nil, bad.Detail("truncated kind or length")
	}
	kind := HeaderKind(b[0])
	n := binary.LittleEndian.Uint32(b[1:])
	if uint64(n) > uint64(len(b)-5) {
		return HeaderValue{}, nil, bad.Detail("%d bytes declared, %d left", n, len(b)-5)
	}
	v := HeaderValue{Kind: kind, Data: b[5 : 5+n : 5+n]}
	if err := v.validate(bad); err != nil {
		return HeaderValue{}, nil, err
	}
	return v, b[5+n:], nil
}

package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/runnel-io/runnel/sdk/wire"
)

// headerKindName is the --header type name of k.
func headerKindName(k wire.HeaderKind) string {
	names := [...]string{wire.HeaderRaw: "raw", wire.HeaderString: "string", wire.HeaderBool: "bool",
		wire.HeaderInt8: "int8", wire.HeaderInt16: "int16", wire.HeaderInt32: "int32", wire.HeaderInt64: "int64",
		wire.HeaderInt128: "int128", wire.HeaderUint8: "uint8", wire.HeaderUint16: "uint16",
		wire.HeaderUint32: "uint32", wire.HeaderUint64: "uint64", wire.HeaderUint128: "uint128",
		wire.HeaderFloat32: "float32", wire.HeaderFloat64: "float64"}
	if int(k) < len(names) && names[k] != "" {
		return names[k]
	}
	return "kind-" + strconv.Itoa(int(k))
}

// parseHeader reads "key:type:value" (the value may contain colons).
func parseHeader(spec string) (wire.HeaderEntry, error) {
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) != 3 || parts[0] == "" {
		return wire.HeaderEntry{}, usagef("header %q: want key:type:value", spec)
	}
	v, err := parseHeaderValue(parts[1], parts[2])
	if err != nil {
		return wire.HeaderEntry{}, usagef("header %q: %s", spec, err.(*usageError).msg)
	}
	return wire.HeaderEntry{Key: wire.StringHeader(parts[0]), Value: v}, nil
}

func parseHeaderValue(kind, s string) (wire.HeaderValue, error) {
	bad := func() (wire.HeaderValue, error) { return wire.HeaderValue{}, usagef("bad %s value %q", kind, s) }
	switch kind {
	case "string":
		return wire.StringHeader(s), nil
	case "raw":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return bad()
		}
		return wire.RawHeader(b), nil
	case "bool":
		v, err := strconv.ParseBool(s)
		if err != nil {
			return bad()
		}
		return wire.BoolHeader(v), nil
	case "int8", "int16", "int32", "int64":
		bits, _ := strconv.Atoi(kind[3:])
		v, err := strconv.ParseInt(s, 0, bits)
		if err != nil {
			return bad()
		}
		return map[string]func(int64) wire.HeaderValue{
			"int8":  func(v int64) wire.HeaderValue { return wire.Int8Header(int8(v)) },
			"int16": func(v int64) wire.HeaderValue { return wire.Int16Header(int16(v)) },
			"int32": func(v int64) wire.HeaderValue { return wire.Int32Header(int32(v)) },
			"int64": func(v int64) wire.HeaderValue { return wire.Int64Header(v) },
		}[kind](v), nil
	case "uint8", "uint16", "uint32", "uint64":
		bits, _ := strconv.Atoi(kind[4:])
		v, err := strconv.ParseUint(s, 0, bits)
		if err != nil {
			return bad()
		}
		return map[string]func(uint64) wire.HeaderValue{
			"uint8":  func(v uint64) wire.HeaderValue { return wire.Uint8Header(uint8(v)) },
			"uint16": func(v uint64) wire.HeaderValue { return wire.Uint16Header(uint16(v)) },
			"uint32": func(v uint64) wire.HeaderValue { return wire.Uint32Header(uint32(v)) },
			"uint64": func(v uint64) wire.HeaderValue { return wire.Uint64Header(v) },
		}[kind](v), nil
	case "float32", "float64":
		bits, _ := strconv.Atoi(kind[5:])
		v, err := strconv.ParseFloat(s, bits)
		if err != nil {
			return bad()
		}
		if bits == 32 {
			return wire.Float32Header(float32(v)), nil
		}
		return wire.Float64Header(v), nil
	case "int128", "uint128":
		le, ok := parse128(s, kind == "int128")
		if !ok {
			return bad()
		}
		if kind == "int128" {
			return wire.Int128Header(le), nil
		}
		return wire.Uint128Header(le), nil
	}
	return wire.HeaderValue{}, usagef("unknown type %q (want string, raw (base64), bool, int8..int128, uint8..uint128, float32, float64)", kind)
}

// parse128 reads a decimal (or 0x hex) 128-bit integer into little-endian
// two's complement bytes.
func parse128(s string, signed bool) ([16]byte, bool) {
	var le [16]byte
	n, ok := new(big.Int).SetString(s, 0)
	if !ok {
		return le, false
	}
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	if signed {
		half := new(big.Int).Rsh(limit, 1)
		if n.Cmp(half) >= 0 || n.Cmp(new(big.Int).Neg(half)) < 0 {
			return le, false
		}
		if n.Sign() < 0 {
			n.Add(n, limit)
		}
	} else if n.Sign() < 0 || n.Cmp(limit) >= 0 {
		return le, false
	}
	n.FillBytes(le[:]) // big-endian
	for i, j := 0, 15; i < j; i, j = i+1, j-1 {
		le[i], le[j] = le[j], le[i]
	}
	return le, true
}

// headerValueText renders a typed value for text and JSON output.
func headerValueText(v wire.HeaderValue) any {
	switch v.Kind {
	case wire.HeaderString:
		return string(v.Data)
	case wire.HeaderRaw:
		return base64.StdEncoding.EncodeToString(v.Data)
	case wire.HeaderBool:
		b, _ := v.AsBool()
		return b
	case wire.HeaderInt8, wire.HeaderInt16, wire.HeaderInt32, wire.HeaderInt64:
		n, _ := v.AsInt64()
		return n
	case wire.HeaderUint8, wire.HeaderUint16, wire.HeaderUint32, wire.HeaderUint64:
		n, _ := v.AsUint64()
		return n
	case wire.HeaderFloat32:
		if len(v.Data) == 4 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(v.Data)))
		}
	case wire.HeaderFloat64:
		f, _ := v.AsFloat64()
		return f
	case wire.HeaderInt128, wire.HeaderUint128:
		if len(v.Data) == 16 {
			return int128Text(v.Data, v.Kind == wire.HeaderInt128)
		}
	}
	return hex.EncodeToString(v.Data)
}

func int128Text(le []byte, signed bool) string {
	be := make([]byte, 16)
	for i := range 16 {
		be[i] = le[15-i]
	}
	n := new(big.Int).SetBytes(be)
	if signed && be[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	return n.String()
}

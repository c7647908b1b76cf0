package httpapi

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"

	"github.com/runnel-io/runnel/sdk/wire"
)

// ParseID reads a path or query identifier: a number is a numeric id,
// anything else a name (Iggy's Identifier::from_str_value). So a name
// made of digits cannot be addressed over HTTP.
func ParseID(what, s string) (wire.Identifier, error) {
	id := wire.NamedID(s)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		id = wire.NumericID(uint32(n))
	}
	if err := id.Validate(); err != nil {
		return id, fmt.Errorf("%s %q: %w", what, s, err)
	}
	return id, nil
}

// IDText is the inverse of ParseID: the text of an identifier.
func IDText(id wire.Identifier) string {
	if id.Kind == wire.IdentifierNumeric {
		return strconv.FormatUint(uint64(id.Numeric), 10)
	}
	return id.Name
}

// idPath is an identifier as one escaped path segment.
func idPath(id wire.Identifier) string { return url.PathEscape(IDText(id)) }

// CompressionName is a compression algorithm's JSON name.
func CompressionName(c uint8) string {
	switch c {
	case wire.CompressionNone:
		return "none"
	case wire.CompressionGzip:
		return "gzip"
	}
	return strconv.Itoa(int(c))
}

// CompressionCode reads a compression algorithm; "" is none, as in Iggy's
// default, and a number is taken as the code.
func CompressionCode(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return wire.CompressionNone, nil
	case "gzip":
		return wire.CompressionGzip, nil
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		return uint8(n), nil
	}
	return 0, fmt.Errorf("compression_algorithm %q: want none or gzip", s)
}

// UserStatusName is a user status's JSON name.
func UserStatusName(s uint8) string {
	if s == wire.UserInactive {
		return "inactive"
	}
	return "active"
}

// UserStatusCode reads a status; "" is active (Iggy's default).
func UserStatusCode(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "", "active":
		return wire.UserActive, nil
	case "inactive":
		return wire.UserInactive, nil
	}
	return 0, fmt.Errorf("status %q: want active or inactive", s)
}

// PollingKind reads the kind query parameter; "" is offset.
func PollingKind(s string) (uint8, error) {
	if s == "" {
		return wire.PollingOffset, nil
	}
	for k := wire.PollingOffset; k <= wire.PollingNext; k++ {
		if name, _ := PollingKindName(k); name == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("kind %q: want offset, timestamp, first, last or next", s)
}

// PollingKindName is the kind query value of a polling strategy kind.
func PollingKindName(k uint8) (string, error) {
	switch k {
	case wire.PollingOffset:
		return "offset", nil
	case wire.PollingTimestamp:
		return "timestamp", nil
	case wire.PollingFirst:
		return "first", nil
	case wire.PollingLast:
		return "last", nil
	case wire.PollingNext:
		return "next", nil
	}
	return "", fmt.Errorf("polling kind %d", k)
}

// PartitioningOf converts and validates the JSON partitioning.
func PartitioningOf(p Partitioning) (wire.Partitioning, error) {
	var out wire.Partitioning
	switch p.Kind {
	case "", "balanced":
		out = wire.Balanced()
	case "partition_id":
		if len(p.Value) != 4 {
			return out, fmt.Errorf("partitioning: partition_id value must be 4 bytes (u32 little-endian, base64), got %d", len(p.Value))
		}
		out = wire.ToPartition(binary.LittleEndian.Uint32(p.Value))
	case "messages_key":
		out = wire.ByKey(p.Value)
	default:
		return out, fmt.Errorf("partitioning: kind %q: want balanced, partition_id or messages_key", p.Kind)
	}
	if err := out.Validate(); err != nil {
		return out, fmt.Errorf("partitioning: %w", err)
	}
	return out, nil
}

// PartitioningJSON is the inverse of PartitioningOf.
func PartitioningJSON(p wire.Partitioning) (Partitioning, error) {
	switch p.Kind {
	case wire.PartitioningBalanced:
		return Partitioning{Kind: "balanced", Value: []byte{}}, nil
	case wire.PartitioningPartitionID:
		return Partitioning{Kind: "partition_id", Value: binary.LittleEndian.AppendUint32(nil, p.PartitionID())}, nil
	case wire.PartitioningMessagesKey:
		return Partitioning{Kind: "messages_key", Value: p.Value}, nil
	}
	return Partitioning{}, fmt.Errorf("partitioning kind %d", p.Kind)
}

// MessageID parses Iggy's message id forms (a number, a decimal string or
// a UUID) into the 16 wire bytes (u128 little-endian).
func MessageID(raw json.RawMessage) ([16]byte, error) {
	var id [16]byte
	if len(raw) == 0 || string(raw) == "null" {
		return id, nil
	}
	text := string(raw)
	if unq, err := strconv.Unquote(text); err == nil {
		text = unq
	}
	n, ok := new(big.Int).SetString(text, 10)
	if !ok {
		hex := strings.ReplaceAll(text, "-", "")
		if len(hex) != 32 {
			return id, fmt.Errorf("message id %s: want a u128 number or a UUID", raw)
		}
		if n, ok = new(big.Int).SetString(hex, 16); !ok {
			return id, fmt.Errorf("message id %s: want a u128 number or a UUID", raw)
		}
	}
	if n.Sign() < 0 || n.BitLen() > 128 {
		return id, fmt.Errorf("message id %s: out of u128 range", raw)
	}
	be := n.FillBytes(make([]byte, 16))
	for i := range 16 {
		id[i] = be[15-i]
	}
	return id, nil
}

// MessageIDJSON is a message id as a quoted decimal (exact in any JSON
// reader); nil for zero, which lets the server assign one.
func MessageIDJSON(id [16]byte) json.RawMessage {
	if id == ([16]byte{}) {
		return nil
	}
	low, high := binary.LittleEndian.Uint64(id[:8]), binary.LittleEndian.Uint64(id[8:])
	return json.RawMessage(strconv.Quote(u128Text(low, high)))
}

// MessageIDText is a header's id as a decimal JSON number.
func MessageIDText(h wire.MessageHeader) json.Number {
	return json.Number(u128Text(h.IDLow, h.IDHigh))
}

func u128Text(low, high uint64) string {
	n := new(big.Int).SetUint64(high)
	n.Lsh(n, 64).Or(n, new(big.Int).SetUint64(low))
	return n.String()
}

// messageIDHalves parses a decimal u128 header id.
func messageIDHalves(s json.Number) (low, high uint64, err error) {
	if s == "" {
		return 0, 0, nil
	}
	id, err := MessageID(json.RawMessage(s))
	if err != nil {
		return 0, 0, err
	}
	return binary.LittleEndian.Uint64(id[:8]), binary.LittleEndian.Uint64(id[8:]), nil
}

func nodeStatusName(s uint8) string {
	switch s {
	case wire.NodeHealthy:
		return "healthy"
	case wire.NodeStarting:
		return "starting"
	case wire.NodeStopping:
		return "stopping"
	case wire.NodeUnreachable:
		return "unreachable"
	case wire.NodeMaintenance:
		return "maintenance"
	}
	return "unknown"
}

func nodeStatusCode(s string) uint8 {
	for code := wire.NodeHealthy; code < wire.NodeUnknown; code++ {
		if nodeStatusName(code) == s {
			return code
		}
	}
	return wire.NodeUnknown
}

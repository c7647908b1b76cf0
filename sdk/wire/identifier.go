package wire

import (
	"encoding/binary"
	"strconv"
)

// Identifier kinds (reference §2.1).
const (
	IdentifierNumeric uint8 = 1
	IdentifierString  uint8 = 2
)

// Identifier names a stream, topic, consumer group or user either by its
// numeric id or by its name.
type Identifier struct {
	Kind    uint8
	Numeric uint32 // when Kind == IdentifierNumeric
	Name    string // when Kind == IdentifierString
}

// NumericID builds a numeric Identifier.
func NumericID(id uint32) Identifier { return Identifier{Kind: IdentifierNumeric, Numeric: id} }

// NamedID builds a string Identifier.
func NamedID(name string) Identifier { return Identifier{Kind: IdentifierString, Name: name} }

func (id Identifier) String() string {
	if id.Kind == IdentifierNumeric {
		return strconv.FormatUint(uint64(id.Numeric), 10)
	}
	return strconv.Quote(id.Name)
}

// Validate reports what a server would reject: an unknown kind or a name
// outside 1..255 bytes.
func (id Identifier) Validate() error {
	switch id.Kind {
	case IdentifierNumeric:
		return nil
	case IdentifierString:
		if len(id.Name) == 0 || len(id.Name) > str8BytesMax {
			return ErrInvalidIdentifier.Detail("name of %d bytes, want 1..255", len(id.Name))
		}
		return nil
	default:
		return ErrInvalidIdentifier.Detail("kind %d", id.Kind)
	}
}

// EncodedSize is the number of bytes AppendIdentifier writes.
func (id Identifier) EncodedSize() int {
	if id.Kind == IdentifierNumeric {
		return 6
	}
	return 2 + min(len(id.Name), str8BytesMax)
}

// AppendIdentifier appends the wire form of id to b. Anything that is not
// numeric is written as a string id; names are cut at 255 bytes (see
// Validate).
func AppendIdentifier(b []byte, id Identifier) []byte {
	if id.Kind == IdentifierNumeric {
		b = append(b, IdentifierNumeric, 4)
		return binary.LittleEndian.AppendUint32(b, id.Numeric)
	}
	b = append(b, IdentifierString)
	return appendStr8(b, id.Name)
}

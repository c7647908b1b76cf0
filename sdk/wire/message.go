package wire

import (
	"encoding/binary"
	"errors"

	"github.com/zeebo/xxh3"
)

// Message frame layout (Iggy 0.8): a 64-byte header, the payload, then the
// user headers. The same bytes travel in SendMessages, in PollMessages
// responses, and sit in segment log files.
const (
	MessageHeaderSize = 64

	msgChecksumAt        = 0
	msgIDAt              = 8
	msgOffsetAt          = 24
	msgTimestampAt       = 32
	msgOriginTimestampAt = 40
	msgHeadersLengthAt   = 48
	msgPayloadLengthAt   = 52
	msgReservedAt        = 56

	// MessagePayloadBytesMax is the server limit on one message's payload.
	MessagePayloadBytesMax = 64_000_000
	// MessageUserHeadersBytesMax is the limit on one message's user headers.
	MessageUserHeadersBytesMax = 100_000

	// IndexEntrySize is the size of one index entry, on the wire and on disk:
	// relative offset u32, position u32, timestamp u64.
	IndexEntrySize = 16
)

// ErrShortMessage: fewer bytes than the header declares.
var ErrShortMessage = errors.New("wire: message shorter than its header declares")

// MessageHeader is the decoded 64-byte header of a message frame.
type MessageHeader struct {
	Checksum          uint64
	IDLow, IDHigh     uint64 // u128 id, little-endian halves
	Offset            uint64
	Timestamp         uint64
	OriginTimestamp   uint64
	UserHeadersLength uint32
	PayloadLength     uint32
	Reserved          uint64
}

// Size is the whole frame size the header declares.
func (h MessageHeader) Size() uint64 {
	return MessageHeaderSize + uint64(h.PayloadLength) + uint64(h.UserHeadersLength)
}

// DecodeMessageHeader reads the header at the start of b. b must hold at
// least MessageHeaderSize bytes.
func DecodeMessageHeader(b []byte) MessageHeader {
	_ = b[MessageHeaderSize-1]
	le := binary.LittleEndian
	return MessageHeader{
		Checksum:          le.Uint64(b[msgChecksumAt:]),
		IDLow:             le.Uint64(b[msgIDAt:]),
		IDHigh:            le.Uint64(b[msgIDAt+8:]),
		Offset:            le.Uint64(b[msgOffsetAt:]),
		Timestamp:         le.Uint64(b[msgTimestampAt:]),
		OriginTimestamp:   le.Uint64(b[msgOriginTimestampAt:]),
		UserHeadersLength: le.Uint32(b[msgHeadersLengthAt:]),
		PayloadLength:     le.Uint32(b[msgPayloadLengthAt:]),
		Reserved:          le.Uint64(b[msgReservedAt:]),
	}
}

// EncodeMessageHeader writes h into the first MessageHeaderSize bytes of b.
func EncodeMessageHeader(b []byte, h MessageHeader) {
	_ = b[MessageHeaderSize-1]
	le := binary.LittleEndian
	le.PutUint64(b[msgChecksumAt:], h.Checksum)
	le.PutUint64(b[msgIDAt:], h.IDLow)
	le.PutUint64(b[msgIDAt+8:], h.IDHigh)
	le.PutUint64(b[msgOffsetAt:], h.Offset)
	le.PutUint64(b[msgTimestampAt:], h.Timestamp)
	le.PutUint64(b[msgOriginTimestampAt:], h.OriginTimestamp)
	le.PutUint32(b[msgHeadersLengthAt:], h.UserHeadersLength)
	le.PutUint32(b[msgPayloadLengthAt:], h.PayloadLength)
	le.PutUint64(b[msgReservedAt:], h.Reserved)
}

// MessageChecksum is XXH3-64 (seed 0) over every byte of the frame except
// the checksum field itself.
func MessageChecksum(frame []byte) uint64 {
	return xxh3.Hash(frame[msgIDAt:])
}

// StampMessage sets offset and timestamp of a complete frame and rewrites its
// checksum: what the server does to each message when it is applied.
func StampMessage(frame []byte, offset, timestampMicros uint64) {
	le := binary.LittleEndian
	le.PutUint64(frame[msgOffsetAt:], offset)
	le.PutUint64(frame[msgTimestampAt:], timestampMicros)
	le.PutUint64(frame[msgChecksumAt:], MessageChecksum(frame))
}

// MessageIDIsZero reports whether the client left the id for the server to assign.
func MessageIDIsZero(frame []byte) bool {
	le := binary.LittleEndian
	return le.Uint64(frame[msgIDAt:]) == 0 && le.Uint64(frame[msgIDAt+8:]) == 0
}

// SetMessageID writes a u128 id (little-endian halves) into a frame.
func SetMessageID(frame []byte, low, high uint64) {
	le := binary.LittleEndian
	le.PutUint64(frame[msgIDAt:], low)
	le.PutUint64(frame[msgIDAt+8:], high)
}

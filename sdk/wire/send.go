package wire

import (
	"encoding/binary"
	"unicode/utf8"
)

// Message is one message a client sends. ID all zero lets the server assign
// a UUID; OriginTimestampMicros is the client's clock (the client package
// fills it in when zero).
type Message struct {
	ID                    [16]byte
	OriginTimestampMicros uint64
	Payload               []byte
	Headers               []HeaderEntry
}

// Size is the encoded frame size: 64 + payload + user headers.
func (m Message) Size() int { return MessageHeaderSize + len(m.Payload) + UserHeadersSize(m.Headers) }

// Validate checks the limits the server enforces (§3.7) plus what a strict
// consumer needs: a non-empty payload (the Go SDK drops a trailing empty
// message when polling) and well-formed headers.
func (m Message) Validate() error {
	if len(m.Payload) == 0 {
		return ErrInvalidMessagePayloadLength.Detail("empty payload")
	}
	if len(m.Payload) > MessagePayloadBytesMax {
		return ErrTooBigMessagePayload.Detail("%d bytes", len(m.Payload))
	}
	return ValidateHeaderEntries(m.Headers)
}

// AppendMessage appends m as a client frame: checksum, offset and timestamp
// zero, lengths filled in.
func AppendMessage(b []byte, m Message) []byte {
	headersSize := UserHeadersSize(m.Headers)
	at := len(b)
	b = append(b, make([]byte, MessageHeaderSize)...)
	EncodeMessageHeader(b[at:], MessageHeader{
		IDLow:             binary.LittleEndian.Uint64(m.ID[0:]),
		IDHigh:            binary.LittleEndian.Uint64(m.ID[8:]),
		OriginTimestamp:   m.OriginTimestampMicros,
		UserHeadersLength: uint32(headersSize),
		PayloadLength:     uint32(len(m.Payload)),
	})
	b = append(b, m.Payload...)
	return AppendUserHeaders(b, m.Headers)
}

// AppendSendMessages appends a whole SendMessages payload (§3.2) the way the
// Iggy SDK lays it out: metadata, the index block with running-total
// positions (each entry holds the end of its message), then the frames.
func AppendSendMessages(b []byte, stream, topic Identifier, p Partitioning, msgs []Message) []byte {
	metadataSize := stream.EncodedSize() + topic.EncodedSize() + p.EncodedSize() + 4
	b = appendU32(b, uint32(metadataSize))
	b = appendIDs(b, stream, topic)
	b = appendPartitioning(b, p)
	b = appendU32(b, uint32(len(msgs)))
	position := uint32(0)
	for _, m := range msgs {
		position += uint32(m.Size())
		b = appendU32(b, 0)
		b = appendU32(b, position)
		b = appendU64(b, 0)
	}
	for _, m := range msgs {
		b = AppendMessage(b, m)
	}
	return b
}

// SendMessagesRequest is a decoded SendMessages payload. Index and Messages
// alias the request payload: after validation Messages is exactly Count
// client frames back to back, ready to be stamped and appended to the log.
type SendMessagesRequest struct {
	StreamID     Identifier
	TopicID      Identifier
	Partitioning Partitioning
	Count        uint32
	Index        []byte // Count × IndexEntrySize bytes
	Messages     []byte // the messages section
}

func (SendMessagesRequest) Code() uint32 { return CodeSendMessages }

// AppendTo re-encodes the request from its (already laid out) sections.
func (q SendMessagesRequest) AppendTo(b []byte) []byte {
	metadataSize := q.StreamID.EncodedSize() + q.TopicID.EncodedSize() + q.Partitioning.EncodedSize() + 4
	b = appendU32(b, uint32(metadataSize))
	b = appendIDs(b, q.StreamID, q.TopicID)
	b = appendPartitioning(b, q.Partitioning)
	b = appendU32(b, q.Count)
	b = append(b, q.Index...)
	return append(b, q.Messages...)
}

// Frame returns message i of a validated request: the bytes between the
// previous index position (0 for the first) and its own.
func (q SendMessagesRequest) Frame(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = indexPosition(q.Index, i-1)
	}
	end := uint32(len(q.Messages))
	if i < int(q.Count)-1 {
		end = indexPosition(q.Index, i)
	}
	return q.Messages[start:end:end]
}

func indexPosition(index []byte, i int) uint32 {
	return binary.LittleEndian.Uint32(index[i*IndexEntrySize+4:])
}

// DecodeSendMessages parses and validates a SendMessages payload in the Rust
// server's order (§3.4 steps 2 and 3): metadata (3), stream and topic ids
// with the raw parser (6), partitioning (3), index and section bounds (3),
// then the batch: count 0 (4009), per message index offset (4031) and
// timestamp (4032), boundaries and declared size (4033), payload size
// (4022), user headers size (4017), header offset order (4100), index
// position order (10011), and finally the section size (4036).
func DecodeSendMessages(payload []byte) (SendMessagesRequest, error) {
	q, err := decodeSendMetadata(payload)
	if err != nil {
		return SendMessagesRequest{}, err
	}
	if err := validateBatch(q); err != nil {
		return SendMessagesRequest{}, err
	}
	return q, nil
}

func decodeSendMetadata(payload []byte) (SendMessagesRequest, error) {
	var q SendMessagesRequest
	if len(payload) < 4 {
		return q, ErrInvalidCommand.Detail("send messages: %d-byte payload", len(payload))
	}
	metadataSize := uint64(binary.LittleEndian.Uint32(payload))
	if 4+metadataSize > uint64(len(payload)) {
		return q, ErrInvalidCommand.Detail("send messages: metadata of %d bytes in a %d-byte payload", metadataSize, len(payload))
	}
	meta := payload[4 : 4+metadataSize]
	var n int
	var err error
	if q.StreamID, n, err = parseRawIdentifier(meta); err != nil {
		return q, err
	}
	meta = meta[n:]
	if q.TopicID, n, err = parseRawIdentifier(meta); err != nil {
		return q, err
	}
	meta = meta[n:]
	if q.Partitioning, n, err = parseRawPartitioning(meta); err != nil {
		return q, err
	}
	meta = meta[n:]
	if len(meta) < 4 {
		return q, ErrInvalidCommand.Detail("send messages: no messages count in metadata")
	}
	q.Count = binary.LittleEndian.Uint32(meta)
	indexAt := 4 + metadataSize
	indexEnd := indexAt + uint64(q.Count)*IndexEntrySize
	if indexEnd > uint64(len(payload)) {
		return q, ErrInvalidCommand.Detail("send messages: %d index entries past the payload", q.Count)
	}
	q.Index = payload[indexAt:indexEnd:indexEnd]
	q.Messages = payload[indexEnd:]
	return q, nil
}

// parseRawIdentifier is the SendMessages id parser: every problem is
// InvalidIdentifier (6), not the generic decoder's 3/4.
func parseRawIdentifier(b []byte) (Identifier, int, error) {
	if len(b) < 2 {
		return Identifier{}, 0, ErrInvalidIdentifier.Detail("truncated identifier")
	}
	kind, n := b[0], int(b[1])
	if n == 0 || len(b) < 2+n {
		return Identifier{}, 0, ErrInvalidIdentifier.Detail("identifier of %d bytes", n)
	}
	v := b[2 : 2+n]
	switch kind {
	case IdentifierNumeric:
		if n != 4 {
			return Identifier{}, 0, ErrInvalidIdentifier.Detail("numeric identifier of %d bytes", n)
		}
		return NumericID(binary.LittleEndian.Uint32(v)), 2 + n, nil
	case IdentifierString:
		if !utf8.Valid(v) {
			return Identifier{}, 0, ErrInvalidIdentifier.Detail("identifier is not UTF-8")
		}
		return NamedID(string(v)), 2 + n, nil
	}
	return Identifier{}, 0, ErrInvalidIdentifier.Detail("identifier kind %d", kind)
}

func parseRawPartitioning(b []byte) (Partitioning, int, error) {
	if len(b) < 2 {
		return Partitioning{}, 0, ErrInvalidCommand.Detail("truncated partitioning")
	}
	kind, n := b[0], int(b[1])
	if len(b) < 2+n {
		return Partitioning{}, 0, ErrInvalidCommand.Detail("partitioning value of %d bytes past the metadata", n)
	}
	p := Partitioning{Kind: kind, Value: b[2 : 2+n : 2+n]}
	if kind == PartitioningMessagesKey {
		return p, 2 + n, nil // Rust accepts any key length, 0 included
	}
	if err := p.Validate(); err != nil {
		return Partitioning{}, 0, err
	}
	return p, 2 + n, nil
}

// validateBatch is §3.4 step 3 over the index block and messages section.
func validateBatch(q SendMessagesRequest) error {
	if q.Count == 0 {
		return ErrInvalidMessagesCount.Detail("empty batch")
	}
	section := uint64(len(q.Messages))
	var sum, prevPosition, prevOffset uint64
	for i := 0; i < int(q.Count); i++ {
		entry := q.Index[i*IndexEntrySize:]
		if off := binary.LittleEndian.Uint32(entry); off != 0 {
			return ErrNonZeroOffset.Detail("index %d has offset %d", i, off)
		}
		if ts := binary.LittleEndian.Uint64(entry[8:]); ts != 0 {
			return ErrNonZeroTimestamp.Detail("index %d has timestamp %d", i, ts)
		}
		position := uint64(binary.LittleEndian.Uint32(entry[4:]))
		start, end := prevPosition, position
		if i == int(q.Count)-1 {
			end = section
		}
		if start > end || end > section || end-start < MessageHeaderSize {
			return ErrMissingIndex.Detail("message %d spans [%d, %d) of a %d-byte section", i, start, end, section)
		}
		h := DecodeMessageHeader(q.Messages[start:end])
		if h.Size() > end-start {
			return ErrMissingIndex.Detail("message %d declares %d bytes in a %d-byte slot", i, h.Size(), end-start)
		}
		if h.PayloadLength > MessagePayloadBytesMax {
			return ErrTooBigMessagePayload.Detail("message %d payload of %d bytes", i, h.PayloadLength)
		}
		if h.UserHeadersLength > MessageUserHeadersBytesMax {
			return ErrTooBigUserHeaders.Detail("message %d user headers of %d bytes", i, h.UserHeadersLength)
		}
		if i > 0 && h.Offset < prevOffset {
			return ErrInvalidOffset.Detail("message %d offset %d after %d", i, h.Offset, prevOffset)
		}
		if position < prevPosition {
			return ErrCannotReadIndexPosition.Detail("index %d position %d after %d", i, position, prevPosition)
		}
		sum += h.Size()
		prevPosition, prevOffset = position, h.Offset
	}
	if sum != section {
		return ErrInvalidMessagesSize.Detail("messages of %d bytes in a %d-byte section", sum, section)
	}
	return nil
}

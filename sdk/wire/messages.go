package wire

import "encoding/binary"

// PollMessagesRequest (code 100, §3.8).
type PollMessagesRequest struct {
	Consumer    Consumer
	StreamID    Identifier
	TopicID     Identifier
	PartitionID OptionalPartitionID
	Strategy    PollingStrategy
	Count       uint32
	AutoCommit  bool
}

func (PollMessagesRequest) Code() uint32 { return CodePollMessages }

func (q PollMessagesRequest) AppendTo(b []byte) []byte {
	b = appendOffsetTarget(b, q.Consumer, q.StreamID, q.TopicID, q.PartitionID)
	b = append(b, q.Strategy.Kind)
	b = appendU64(b, q.Strategy.Value)
	b = appendU32(b, q.Count)
	return appendBool(b, q.AutoCommit)
}

// DecodePollMessagesRequest decodes a PollMessages payload.
func DecodePollMessagesRequest(p []byte) (PollMessagesRequest, error) {
	return decodeRequest(p, func(r *reader) PollMessagesRequest {
		c, s, t, pid := r.offsetTarget()
		return PollMessagesRequest{Consumer: c, StreamID: s, TopicID: t, PartitionID: pid,
			Strategy: r.pollingStrategy(), Count: r.u32("count"), AutoCommit: r.boolean("auto commit")}
	})
}

// FlushUnsavedBufferRequest (code 102, not in the Go SDK).
type FlushUnsavedBufferRequest struct {
	StreamID    Identifier
	TopicID     Identifier
	PartitionID uint32
	Fsync       bool
}

func (FlushUnsavedBufferRequest) Code() uint32 { return CodeFlushUnsavedBuffer }

func (q FlushUnsavedBufferRequest) AppendTo(b []byte) []byte {
	b = appendIDs(b, q.StreamID, q.TopicID)
	b = appendU32(b, q.PartitionID)
	return appendBool(b, q.Fsync)
}

// DecodeFlushUnsavedBufferRequest decodes a FlushUnsavedBuffer payload.
func DecodeFlushUnsavedBufferRequest(p []byte) (FlushUnsavedBufferRequest, error) {
	return decodeRequest(p, func(r *reader) FlushUnsavedBufferRequest {
		return FlushUnsavedBufferRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id"),
			PartitionID: r.u32("partition id"), Fsync: r.boolean("fsync")}
	})
}

// PolledHeaderSize is the fixed head of a PollMessages answer.
const PolledHeaderSize = 16

// AppendPolledHeader appends the 16-byte head of a PollMessages answer. The
// server follows it with count stored message frames, e.g. read straight
// from a segment file, so the response needs no per-message copy.
func AppendPolledHeader(b []byte, partitionID uint32, currentOffset uint64, count uint32) []byte {
	b = appendU32(b, partitionID)
	b = appendU64(b, currentOffset)
	return appendU32(b, count)
}

// PutPolledHeader writes the head into the first PolledHeaderSize bytes of b.
func PutPolledHeader(b []byte, partitionID uint32, currentOffset uint64, count uint32) {
	_ = b[PolledHeaderSize-1]
	binary.LittleEndian.PutUint32(b[0:], partitionID)
	binary.LittleEndian.PutUint64(b[4:], currentOffset)
	binary.LittleEndian.PutUint32(b[12:], count)
}

// PolledMessage is one message of a PollMessages answer. Payload and
// UserHeaders alias the response buffer.
type PolledMessage struct {
	Header      MessageHeader
	Payload     []byte
	UserHeaders []byte
}

// Headers decodes the user headers.
func (m PolledMessage) Headers() ([]HeaderEntry, error) { return DecodeUserHeaders(m.UserHeaders) }

// PolledMessages is a PollMessages answer.
type PolledMessages struct {
	PartitionID   uint32
	CurrentOffset uint64
	Count         uint32
	Messages      []PolledMessage
}

// AppendTo writes the answer with count = len(Messages), re-encoding each
// frame from its header (payload and header lengths taken from the slices).
func (p PolledMessages) AppendTo(b []byte) []byte {
	b = AppendPolledHeader(b, p.PartitionID, p.CurrentOffset, uint32(len(p.Messages)))
	for _, m := range p.Messages {
		h := m.Header
		h.PayloadLength = uint32(len(m.Payload))
		h.UserHeadersLength = uint32(len(m.UserHeaders))
		at := len(b)
		b = append(b, make([]byte, MessageHeaderSize)...)
		EncodeMessageHeader(b[at:], h)
		b = append(b, m.Payload...)
		b = append(b, m.UserHeaders...)
	}
	return b
}

// DecodePolledMessages decodes a PollMessages answer: the head, then exactly
// Count whole frames. Message slices alias p.
func DecodePolledMessages(p []byte) (PolledMessages, error) {
	r := newReader(p)
	out := PolledMessages{PartitionID: r.u32("partition id"), CurrentOffset: r.u64("current offset"),
		Count: r.u32("messages count")}
	if r.err == nil && uint64(out.Count)*MessageHeaderSize > uint64(r.remaining()) {
		r.fail(ErrInvalidCommand.Detail("%d messages in %d bytes", out.Count, r.remaining()))
	}
	if r.err == nil && out.Count > 0 {
		out.Messages = make([]PolledMessage, 0, out.Count)
	}
	for i := uint32(0); i < out.Count && r.err == nil; i++ {
		hb := r.take(MessageHeaderSize, "message header")
		if r.err != nil {
			break
		}
		h := DecodeMessageHeader(hb)
		payload := r.take(int(h.PayloadLength), "message payload")
		headers := r.take(int(h.UserHeadersLength), "user headers")
		out.Messages = append(out.Messages, PolledMessage{Header: h, Payload: payload, UserHeaders: headers})
	}
	if r.err == nil && r.remaining() != 0 {
		r.fail(ErrInvalidCommand.Detail("%d bytes after %d messages", r.remaining(), out.Count))
	}
	if err := r.finishResponse("polled messages"); err != nil {
		return PolledMessages{}, err
	}
	return out, nil
}

// ID returns the message id as its 16 wire bytes (little-endian u128).
func (h MessageHeader) ID() [16]byte {
	var id [16]byte
	binary.LittleEndian.PutUint64(id[0:], h.IDLow)
	binary.LittleEndian.PutUint64(id[8:], h.IDHigh)
	return id
}

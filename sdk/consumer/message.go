package consumer

import (
	"github.com/runnel-io/runnel/sdk/wire"
)

// Message is one polled message. Payload and RawHeaders alias the poll's
// response buffer, which nothing else reuses.
type Message struct {
	Partition             uint32
	Offset                uint64
	ID                    [16]byte
	TimestampMicros       uint64 // when the server appended it
	OriginTimestampMicros uint64 // the producer's clock
	Payload               []byte
	RawHeaders            []byte
}

func fromPolled(partition uint32, m wire.PolledMessage) Message {
	return Message{
		Partition:             partition,
		Offset:                m.Header.Offset,
		ID:                    m.Header.ID(),
		TimestampMicros:       m.Header.Timestamp,
		OriginTimestampMicros: m.Header.OriginTimestamp,
		Payload:               m.Payload,
		RawHeaders:            m.UserHeaders,
	}
}

// Headers decodes the user headers.
func (m Message) Headers() ([]wire.HeaderEntry, error) { return wire.DecodeUserHeaders(m.RawHeaders) }

// Header finds the user header with string key.
func (m Message) Header(key string) (wire.HeaderValue, bool, error) {
	hs, err := m.Headers()
	if err != nil {
		return wire.HeaderValue{}, false, err
	}
	for _, h := range hs {
		if h.Key.Kind == wire.HeaderString && string(h.Key.Data) == key {
			return h.Value, true, nil
		}
	}
	return wire.HeaderValue{}, false, nil
}

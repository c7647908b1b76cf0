package producer

import "github.com/runnel-io/runnel/sdk/wire"

// Message is one message to send.
type Message struct {
	// ID all zero lets the server assign a UUID.
	ID [16]byte
	// Key routes the message under the KeyHash partitioner; it is not sent.
	Key     []byte
	Payload []byte
	Headers []wire.HeaderEntry
}

// Header builds a user header with a string key and a typed value, e.g.
// Header("attempt", wire.Uint32Header(3)).
func Header(key string, v wire.HeaderValue) wire.HeaderEntry {
	return wire.HeaderEntry{Key: wire.StringHeader(key), Value: v}
}

// WithHeader returns m with one more header.
func (m Message) WithHeader(key string, v wire.HeaderValue) Message {
	m.Headers = append(m.Headers[:len(m.Headers):len(m.Headers)], Header(key, v))
	return m
}

func (m Message) wire(nowMicros uint64) wire.Message {
	return wire.Message{ID: m.ID, OriginTimestampMicros: nowMicros, Payload: m.Payload, Headers: m.Headers}
}

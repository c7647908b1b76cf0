package wire

import "encoding/binary"

// Consumer kinds (§2.3).
const (
	ConsumerSingle uint8 = 1
	ConsumerGroup  uint8 = 2
)

// Consumer is who polls or owns an offset: a single consumer (its id is an
// opaque label) or a consumer group (its id names the group).
type Consumer struct {
	Kind uint8
	ID   Identifier
}

// SingleConsumer builds a kind-1 consumer.
func SingleConsumer(id Identifier) Consumer { return Consumer{Kind: ConsumerSingle, ID: id} }

// GroupConsumer builds a kind-2 consumer naming a consumer group.
func GroupConsumer(id Identifier) Consumer { return Consumer{Kind: ConsumerGroup, ID: id} }

// ConsumerKey is the numeric key offsets of a single consumer are stored
// under: the numeric id itself, or XXH32 (seed 0) of a string id, as the
// Rust server does.
func ConsumerKey(id Identifier) uint32 {
	if id.Kind == IdentifierNumeric {
		return id.Numeric
	}
	return XXH32([]byte(id.Name), 0)
}

func appendConsumer(b []byte, c Consumer) []byte {
	b = append(b, c.Kind)
	return AppendIdentifier(b, c.ID)
}

func (r *reader) consumer() Consumer {
	kind := r.u8("consumer kind")
	if r.err == nil && kind != ConsumerSingle && kind != ConsumerGroup {
		r.fail(ErrInvalidCommand.Detail("consumer kind %d", kind))
		return Consumer{}
	}
	return Consumer{Kind: kind, ID: r.identifier("consumer id")}
}

// OptionalPartitionID is opt_pid (§2.4). The zero value means "no partition
// given".
type OptionalPartitionID struct {
	ID  uint32
	Set bool
}

// Partition names partition id explicitly.
func Partition(id uint32) OptionalPartitionID { return OptionalPartitionID{ID: id, Set: true} }

// Polling strategy kinds (§2.5).
const (
	PollingOffset    uint8 = 1
	PollingTimestamp uint8 = 2
	PollingFirst     uint8 = 3
	PollingLast      uint8 = 4
	PollingNext      uint8 = 5
)

// PollingStrategy says where a poll starts (§2.5, semantics §3.8).
type PollingStrategy struct {
	Kind  uint8
	Value uint64
}

// PollOffset starts at offset.
func PollOffset(offset uint64) PollingStrategy { return PollingStrategy{PollingOffset, offset} }

// PollTimestamp starts at the first message with timestamp >= micros.
func PollTimestamp(micros uint64) PollingStrategy { return PollingStrategy{PollingTimestamp, micros} }

// PollFirst starts at the first retained message.
func PollFirst() PollingStrategy { return PollingStrategy{Kind: PollingFirst} }

// PollLast returns the last count messages.
func PollLast() PollingStrategy { return PollingStrategy{Kind: PollingLast} }

// PollNext continues after the consumer's stored offset.
func PollNext() PollingStrategy { return PollingStrategy{Kind: PollingNext} }

func (r *reader) pollingStrategy() PollingStrategy {
	kind := r.u8("polling kind")
	value := r.u64("polling value")
	if r.err == nil && (kind < PollingOffset || kind > PollingNext) {
		r.fail(ErrInvalidCommand.Detail("polling kind %d", kind))
		return PollingStrategy{}
	}
	return PollingStrategy{Kind: kind, Value: value}
}

// Partitioning kinds (§2.6).
const (
	PartitioningBalanced    uint8 = 1
	PartitioningPartitionID uint8 = 2
	PartitioningMessagesKey uint8 = 3
)

// PartitioningKeyBytesMax is the longest MessagesKey a u8 length allows.
const PartitioningKeyBytesMax = 255

// Partitioning routes a SendMessages batch to a partition (§2.6).
type Partitioning struct {
	Kind  uint8
	Value []byte
}

// Balanced routes round-robin over the topic's partitions.
func Balanced() Partitioning { return Partitioning{Kind: PartitioningBalanced} }

// ToPartition routes to one partition id.
func ToPartition(id uint32) Partitioning {
	return Partitioning{Kind: PartitioningPartitionID, Value: binary.LittleEndian.AppendUint32(nil, id)}
}

// ByKey routes by XXH32(key) mod partitions; key is 1..255 bytes.
func ByKey(key []byte) Partitioning { return Partitioning{Kind: PartitioningMessagesKey, Value: key} }

// PartitionID is the partition a PartitionId partitioning names.
func (p Partitioning) PartitionID() uint32 {
	if len(p.Value) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(p.Value)
}

// KeyHash is XXH32 (seed 0) of a MessagesKey: the partition is KeyHash mod
// the partitions count.
func (p Partitioning) KeyHash() uint32 { return XXH32(p.Value, 0) }

// Validate reports what the server (or the Iggy SDK) rejects.
func (p Partitioning) Validate() error {
	switch p.Kind {
	case PartitioningBalanced:
		if len(p.Value) != 0 {
			return ErrInvalidCommand.Detail("balanced partitioning carries %d bytes", len(p.Value))
		}
	case PartitioningPartitionID:
		if len(p.Value) != 4 {
			return ErrInvalidCommand.Detail("partition id of %d bytes", len(p.Value))
		}
	case PartitioningMessagesKey:
		if len(p.Value) == 0 || len(p.Value) > PartitioningKeyBytesMax {
			return ErrInvalidKeyValueLength.Detail("messages key of %d bytes, want 1..255", len(p.Value))
		}
	default:
		return ErrInvalidCommand.Detail("partitioning kind %d", p.Kind)
	}
	return nil
}

// EncodedSize is the number of bytes appendPartitioning writes.
func (p Partitioning) EncodedSize() int { return 2 + min(len(p.Value), PartitioningKeyBytesMax) }

func appendPartitioning(b []byte, p Partitioning) []byte {
	v := p.Value
	if len(v) > PartitioningKeyBytesMax {
		v = v[:PartitioningKeyBytesMax]
	}
	b = append(b, p.Kind, uint8(len(v)))
	return append(b, v...)
}

// Compression algorithms, a topic attribute (§2.9).
const (
	CompressionNone uint8 = 1
	CompressionGzip uint8 = 2
)

func (r *reader) compression() uint8 {
	c := r.u8("compression algorithm")
	if r.err == nil && c != CompressionNone && c != CompressionGzip {
		r.fail(ErrInvalidCommand.Detail("compression algorithm %d", c))
		return 0
	}
	return c
}

// User statuses (§2.12).
const (
	UserActive   uint8 = 1
	UserInactive uint8 = 2
)

func (r *reader) userStatus() uint8 {
	s := r.u8("user status")
	if r.err == nil && s != UserActive && s != UserInactive {
		r.fail(ErrInvalidCommand.Detail("user status %d", s))
		return 0
	}
	return s
}

// Client transports (ClientInfo, §2.12).
const (
	TransportTCP       uint8 = 1
	TransportQUIC      uint8 = 2
	TransportHTTP      uint8 = 3
	TransportWebSocket uint8 = 4
)

// TransportName names a ClientInfo transport code as the server's config
// sections do ("tcp", "quic", "http", "websocket"); other codes are
// "unknown".
func TransportName(code uint8) string {
	switch code {
	case TransportTCP:
		return "tcp"
	case TransportQUIC:
		return "quic"
	case TransportHTTP:
		return "http"
	case TransportWebSocket:
		return "websocket"
	}
	return "unknown"
}

// TransportCode is the inverse of TransportName; 0 for other names.
func TransportCode(name string) uint8 {
	for code := TransportTCP; code <= TransportWebSocket; code++ {
		if TransportName(code) == name {
			return code
		}
	}
	return 0
}

// Cluster node roles and statuses (§2.12). The Go SDK rejects NodeUnknown.
const (
	NodeLeader   uint8 = 0
	NodeFollower uint8 = 1

	NodeHealthy     uint8 = 0
	NodeStarting    uint8 = 1
	NodeStopping    uint8 = 2
	NodeUnreachable uint8 = 3
	NodeMaintenance uint8 = 4
	NodeUnknown     uint8 = 5
)

// Sentinels for topic and PAT limits (§2.10).
const (
	// ExpiryServerDefault (0) asks for the server's configured default.
	ExpiryServerDefault uint64 = 0
	// ExpiryNever (u64::MAX) never expires.
	ExpiryNever uint64 = ^uint64(0)
	// TopicSizeServerDefault (0) asks for the server default.
	TopicSizeServerDefault uint64 = 0
	// TopicSizeUnlimited (u64::MAX) means no size limit.
	TopicSizeUnlimited uint64 = ^uint64(0)
)

package producer

import (
	"fmt"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Route is where a batch goes: one partition, or Balanced to let the server
// pick round-robin per batch.
type Route struct {
	Balanced  bool
	Partition uint32
}

func (r Route) partitioning() wire.Partitioning {
	if r.Balanced {
		return wire.Balanced()
	}
	return wire.ToPartition(r.Partition)
}

// Partitioner picks the route of a message. partitionsCount is the topic's
// partition count when the producer was created.
type Partitioner interface {
	Route(m *Message, partitionsCount uint32) (Route, error)
}

// PartitionerFunc adapts a function to Partitioner.
type PartitionerFunc func(m *Message, partitionsCount uint32) (Route, error)

// Route calls f.
func (f PartitionerFunc) Route(m *Message, partitionsCount uint32) (Route, error) {
	return f(m, partitionsCount)
}

// Balanced lets the server spread batches round-robin over the partitions.
func Balanced() Partitioner {
	return PartitionerFunc(func(*Message, uint32) (Route, error) { return Route{Balanced: true}, nil })
}

// ToPartition sends everything to partition id.
func ToPartition(id uint32) Partitioner {
	return PartitionerFunc(func(_ *Message, n uint32) (Route, error) {
		if id >= n {
			return Route{}, fmt.Errorf("producer: %w", wire.ErrPartitionNotFound.Detail("partition %d of %d", id, n))
		}
		return Route{Partition: id}, nil
	})
}

// KeyHash routes by Message.Key to XXH32(key, seed 0) mod partitionsCount,
// the partition the server picks for wire.ByKey, so messages with one key
// stay in order on one partition while messages with different keys that
// land on the same partition still share batches. A message without a key
// is routed balanced.
func KeyHash() Partitioner {
	return PartitionerFunc(func(m *Message, n uint32) (Route, error) {
		if len(m.Key) == 0 {
			return Route{Balanced: true}, nil
		}
		if len(m.Key) > wire.PartitioningKeyBytesMax {
			return Route{}, fmt.Errorf("producer: %w", wire.ErrInvalidKeyValueLength.Detail("key of %d bytes", len(m.Key)))
		}
		if n == 0 {
			return Route{}, fmt.Errorf("producer: %w", wire.ErrNoPartitions)
		}
		return Route{Partition: KeyPartition(m.Key, n)}, nil
	})
}

// KeyPartition is the partition the server assigns to key among
// partitionsCount partitions.
func KeyPartition(key []byte, partitionsCount uint32) uint32 {
	return wire.XXH32(key, 0) % partitionsCount
}

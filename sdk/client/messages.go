package client

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// SendMessages appends msgs to one partition of a topic, chosen by p
// (wire.Balanced, wire.ToPartition, wire.ByKey). A zero
// OriginTimestampMicros is set to now; a zero ID lets the server assign one.
func (c *Client) SendMessages(ctx context.Context, stream, topic wire.Identifier, p wire.Partitioning, msgs []wire.Message) error {
	if err := checkIDs(stream, topic); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if len(msgs) == 0 {
		return fmt.Errorf("client: %w", wire.ErrInvalidMessagesCount.Detail("no messages"))
	}
	now := uint64(time.Now().UnixMicro())
	stamped := make([]wire.Message, len(msgs))
	for i, m := range msgs {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("client: message %d: %w", i, err)
		}
		if m.OriginTimestampMicros == 0 {
			m.OriginTimestampMicros = now
		}
		stamped[i] = m
	}
	return c.exec(ctx, sendBatch{stream: stream, topic: topic, partitioning: p, msgs: stamped})
}

// sendBatch encodes a SendMessages payload straight from the messages.
type sendBatch struct {
	stream, topic wire.Identifier
	partitioning  wire.Partitioning
	msgs          []wire.Message
}

func (sendBatch) Code() uint32 { return wire.CodeSendMessages }

func (s sendBatch) AppendTo(b []byte) []byte {
	// Grow once to the exact size instead of doubling through the batch.
	size := 4 + s.stream.EncodedSize() + s.topic.EncodedSize() + s.partitioning.EncodedSize() + 4
	for _, m := range s.msgs {
		size += wire.IndexEntrySize + m.Size()
	}
	return wire.AppendSendMessages(slices.Grow(b, size), s.stream, s.topic, s.partitioning, s.msgs)
}

// PollMessages reads up to q.Count messages. The returned messages alias a
// buffer owned by the result.
func (c *Client) PollMessages(ctx context.Context, q wire.PollMessagesRequest) (wire.PolledMessages, error) {
	if err := checkIDs(q.Consumer.ID, q.StreamID, q.TopicID); err != nil {
		return wire.PolledMessages{}, err
	}
	return call(ctx, c, q, wire.DecodePolledMessages, nil)
}

// FlushUnsavedBuffer forces a partition's buffered messages to disk, with
// an fsync when asked.
func (c *Client) FlushUnsavedBuffer(ctx context.Context, stream, topic wire.Identifier, partitionID uint32, fsync bool) error {
	if err := checkIDs(stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.FlushUnsavedBufferRequest{StreamID: stream, TopicID: topic, PartitionID: partitionID,
		Fsync: fsync})
}

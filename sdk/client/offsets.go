package client

import (
	"context"

	"github.com/runnel-io/runnel/sdk/wire"
)

// GetConsumerOffset returns the stored offset of a consumer; no stored
// offset (or a missing stream, topic, group or partition, which the server
// does not tell apart) is wire.ErrConsumerOffsetNotFound.
func (c *Client) GetConsumerOffset(ctx context.Context, consumer wire.Consumer, stream, topic wire.Identifier, partition wire.OptionalPartitionID) (wire.OffsetInfo, error) {
	if err := checkIDs(consumer.ID, stream, topic); err != nil {
		return wire.OffsetInfo{}, err
	}
	q := wire.GetConsumerOffsetRequest{Consumer: consumer, StreamID: stream, TopicID: topic, PartitionID: partition}
	return call(ctx, c, q, wire.DecodeOffsetInfo, wire.ErrConsumerOffsetNotFound)
}

// StoreConsumerOffset stores offset for a consumer.
func (c *Client) StoreConsumerOffset(ctx context.Context, consumer wire.Consumer, stream, topic wire.Identifier, partition wire.OptionalPartitionID, offset uint64) error {
	if err := checkIDs(consumer.ID, stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.StoreConsumerOffsetRequest{Consumer: consumer, StreamID: stream, TopicID: topic,
		PartitionID: partition, Offset: offset})
}

// DeleteConsumerOffset deletes a consumer's stored offset.
func (c *Client) DeleteConsumerOffset(ctx context.Context, consumer wire.Consumer, stream, topic wire.Identifier, partition wire.OptionalPartitionID) error {
	if err := checkIDs(consumer.ID, stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeleteConsumerOffsetRequest{Consumer: consumer, StreamID: stream, TopicID: topic,
		PartitionID: partition})
}

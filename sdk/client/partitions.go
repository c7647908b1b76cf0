package client

import (
	"context"

	"github.com/runnel-io/runnel/sdk/wire"
)

// CreatePartitions adds count partitions at the end of a topic.
func (c *Client) CreatePartitions(ctx context.Context, stream, topic wire.Identifier, count uint32) error {
	if err := checkIDs(stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.CreatePartitionsRequest{StreamID: stream, TopicID: topic, PartitionsCount: count})
}

// DeletePartitions removes the last count partitions of a topic and their data.
func (c *Client) DeletePartitions(ctx context.Context, stream, topic wire.Identifier, count uint32) error {
	if err := checkIDs(stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeletePartitionsRequest{StreamID: stream, TopicID: topic, PartitionsCount: count})
}

// DeleteSegments deletes up to count of the oldest sealed segments of a
// partition.
func (c *Client) DeleteSegments(ctx context.Context, stream, topic wire.Identifier, partitionID, count uint32) error {
	if err := checkIDs(stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeleteSegmentsRequest{StreamID: stream, TopicID: topic, PartitionID: partitionID,
		SegmentsCount: count})
}

// GetPartitionTiers says which offsets of a topic's partitions are in
// which storage tier (memory, local segments, archive), one entry per
// partition in id order; with partition set, only that one. It is a Runnel
// extension (wire.CodeGetPartitionTiers): an Iggy server answers
// wire.ErrInvalidCommand.
func (c *Client) GetPartitionTiers(ctx context.Context, stream, topic wire.Identifier,
	partition wire.OptionalPartitionID) ([]wire.PartitionTiers, error) {
	if err := checkIDs(stream, topic); err != nil {
		return nil, err
	}
	q := wire.GetPartitionTiersRequest{StreamID: stream, TopicID: topic, PartitionID: partition}
	return call(ctx, c, q, wire.DecodePartitionTiers, nil)
}

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

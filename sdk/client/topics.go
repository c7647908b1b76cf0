package client

import (
	"context"

	"github.com/runnel-io/runnel/sdk/wire"
)

// GetTopic returns a topic with its partitions; a missing stream or topic
// is wire.ErrTopicIDNotFound.
func (c *Client) GetTopic(ctx context.Context, stream, topic wire.Identifier) (wire.TopicDetails, error) {
	if err := checkIDs(stream, topic); err != nil {
		return wire.TopicDetails{}, err
	}
	q := wire.GetTopicRequest{StreamID: stream, TopicID: topic}
	return call(ctx, c, q, wire.DecodeTopicDetails, wire.ErrTopicIDNotFound)
}

// GetTopics lists a stream's topics (empty when the stream is missing).
func (c *Client) GetTopics(ctx context.Context, stream wire.Identifier) ([]wire.TopicHeader, error) {
	if err := checkIDs(stream); err != nil {
		return nil, err
	}
	return call(ctx, c, wire.GetTopicsRequest{StreamID: stream}, wire.DecodeTopics, nil)
}

// CreateTopic creates a topic and its partitions; the server assigns its id.
func (c *Client) CreateTopic(ctx context.Context, q wire.CreateTopicRequest) (wire.TopicDetails, error) {
	if err := checkIDs(q.StreamID); err != nil {
		return wire.TopicDetails{}, err
	}
	if err := checkStr8(q.Name, 1, wire.ErrInvalidTopicName); err != nil {
		return wire.TopicDetails{}, err
	}
	if q.CompressionAlgorithm == 0 {
		q.CompressionAlgorithm = wire.CompressionNone
	}
	return call(ctx, c, q, wire.DecodeTopicDetails, nil)
}

// DeleteTopic deletes a topic and its data.
func (c *Client) DeleteTopic(ctx context.Context, stream, topic wire.Identifier) error {
	if err := checkIDs(stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeleteTopicRequest{StreamID: stream, TopicID: topic})
}

// UpdateTopic changes a topic's name and settings (values are stored as
// given).
func (c *Client) UpdateTopic(ctx context.Context, q wire.UpdateTopicRequest) error {
	if err := checkIDs(q.StreamID, q.TopicID); err != nil {
		return err
	}
	if err := checkStr8(q.Name, 1, wire.ErrInvalidTopicName); err != nil {
		return err
	}
	if q.CompressionAlgorithm == 0 {
		q.CompressionAlgorithm = wire.CompressionNone
	}
	return c.exec(ctx, q)
}

// PurgeTopic deletes every message of a topic.
func (c *Client) PurgeTopic(ctx context.Context, stream, topic wire.Identifier) error {
	if err := checkIDs(stream, topic); err != nil {
		return err
	}
	return c.exec(ctx, wire.PurgeTopicRequest{StreamID: stream, TopicID: topic})
}

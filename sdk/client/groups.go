package client

import (
	"context"

	"github.com/runnel-io/runnel/sdk/wire"
)

// GetConsumerGroup returns a group with its members; a missing stream,
// topic or group is wire.ErrConsumerGroupIDNotFound.
func (c *Client) GetConsumerGroup(ctx context.Context, stream, topic, group wire.Identifier) (wire.ConsumerGroupDetails, error) {
	if err := checkIDs(stream, topic, group); err != nil {
		return wire.ConsumerGroupDetails{}, err
	}
	q := wire.GetConsumerGroupRequest{StreamID: stream, TopicID: topic, GroupID: group}
	return call(ctx, c, q, wire.DecodeConsumerGroupDetails, wire.ErrConsumerGroupIDNotFound)
}

// GetConsumerGroups lists a topic's groups (empty when the topic is missing).
func (c *Client) GetConsumerGroups(ctx context.Context, stream, topic wire.Identifier) ([]wire.ConsumerGroupHeader, error) {
	if err := checkIDs(stream, topic); err != nil {
		return nil, err
	}
	q := wire.GetConsumerGroupsRequest{StreamID: stream, TopicID: topic}
	return call(ctx, c, q, wire.DecodeConsumerGroups, nil)
}

// CreateConsumerGroup creates a group; the server assigns its id.
func (c *Client) CreateConsumerGroup(ctx context.Context, stream, topic wire.Identifier, name string) (wire.ConsumerGroupHeader, error) {
	if err := checkIDs(stream, topic); err != nil {
		return wire.ConsumerGroupHeader{}, err
	}
	if err := checkStr8(name, 1, wire.ErrInvalidConsumerGroupName); err != nil {
		return wire.ConsumerGroupHeader{}, err
	}
	q := wire.CreateConsumerGroupRequest{StreamID: stream, TopicID: topic, Name: name}
	return call(ctx, c, q, wire.DecodeConsumerGroupHeader, nil)
}

// DeleteConsumerGroup deletes a group and its stored offsets.
func (c *Client) DeleteConsumerGroup(ctx context.Context, stream, topic, group wire.Identifier) error {
	if err := checkIDs(stream, topic, group); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeleteConsumerGroupRequest{StreamID: stream, TopicID: topic, GroupID: group})
}

// JoinConsumerGroup makes this connection a member. Membership belongs to
// the connection: after a reconnect the caller must join again.
func (c *Client) JoinConsumerGroup(ctx context.Context, stream, topic, group wire.Identifier) error {
	if err := checkIDs(stream, topic, group); err != nil {
		return err
	}
	return c.exec(ctx, wire.JoinConsumerGroupRequest{StreamID: stream, TopicID: topic, GroupID: group})
}

// LeaveConsumerGroup ends this connection's membership.
func (c *Client) LeaveConsumerGroup(ctx context.Context, stream, topic, group wire.Identifier) error {
	if err := checkIDs(stream, topic, group); err != nil {
		return err
	}
	return c.exec(ctx, wire.LeaveConsumerGroupRequest{StreamID: stream, TopicID: topic, GroupID: group})
}

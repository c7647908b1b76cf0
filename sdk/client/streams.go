package client

import (
	"context"

	"github.com/runnel-io/runnel/sdk/wire"
)

// GetStream returns a stream with its topics; a missing stream is
// wire.ErrStreamIDNotFound.
func (c *Client) GetStream(ctx context.Context, stream wire.Identifier) (wire.StreamDetails, error) {
	if err := checkIDs(stream); err != nil {
		return wire.StreamDetails{}, err
	}
	return call(ctx, c, wire.GetStreamRequest{StreamID: stream}, wire.DecodeStreamDetails, wire.ErrStreamIDNotFound)
}

// GetStreams lists all streams.
func (c *Client) GetStreams(ctx context.Context) ([]wire.StreamHeader, error) {
	return call(ctx, c, wire.GetStreamsRequest{}, wire.DecodeStreams, nil)
}

// CreateStream creates a stream; the server assigns its id.
func (c *Client) CreateStream(ctx context.Context, name string) (wire.StreamHeader, error) {
	if err := checkStr8(name, 1, wire.ErrInvalidStreamName); err != nil {
		return wire.StreamHeader{}, err
	}
	return call(ctx, c, wire.CreateStreamRequest{Name: name}, wire.DecodeStreamHeader, nil)
}

// DeleteStream deletes a stream and everything in it.
func (c *Client) DeleteStream(ctx context.Context, stream wire.Identifier) error {
	if err := checkIDs(stream); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeleteStreamRequest{StreamID: stream})
}

// UpdateStream renames a stream.
func (c *Client) UpdateStream(ctx context.Context, stream wire.Identifier, name string) error {
	if err := checkIDs(stream); err != nil {
		return err
	}
	if err := checkStr8(name, 1, wire.ErrInvalidStreamName); err != nil {
		return err
	}
	return c.exec(ctx, wire.UpdateStreamRequest{StreamID: stream, Name: name})
}

// PurgeStream deletes every message of a stream, keeping its topics.
func (c *Client) PurgeStream(ctx context.Context, stream wire.Identifier) error {
	if err := checkIDs(stream); err != nil {
		return err
	}
	return c.exec(ctx, wire.PurgeStreamRequest{StreamID: stream})
}

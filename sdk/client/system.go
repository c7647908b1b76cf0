package client

import (
	"context"
	"fmt"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Ping checks the connection; it works before login.
func (c *Client) Ping(ctx context.Context) error { return c.exec(ctx, wire.PingRequest{}) }

// GetStats returns server statistics (needs the read-servers permission).
func (c *Client) GetStats(ctx context.Context) (wire.Stats, error) {
	return call(ctx, c, wire.GetStatsRequest{}, wire.DecodeStats, nil)
}

// GetSnapshotFile returns a diagnostic zip archive of the given types
// (wire.SnapshotAll alone for everything).
func (c *Client) GetSnapshotFile(ctx context.Context, compression uint8, types ...uint8) ([]byte, error) {
	return c.do(ctx, wire.GetSnapshotFileRequest{Compression: compression, Types: types})
}

// GetClusterMetadata returns the cluster's name and nodes.
func (c *Client) GetClusterMetadata(ctx context.Context) (wire.ClusterMetadata, error) {
	return call(ctx, c, wire.GetClusterMetadataRequest{}, wire.DecodeClusterMetadata, nil)
}

// GetMe returns this connection's details.
func (c *Client) GetMe(ctx context.Context) (wire.ClientDetails, error) {
	return call(ctx, c, wire.GetMeRequest{}, wire.DecodeClientDetails, wire.ErrClientNotFound)
}

// GetClient returns one connection's details; an unknown id is
// wire.ErrClientNotFound.
func (c *Client) GetClient(ctx context.Context, clientID uint32) (wire.ClientDetails, error) {
	if clientID == 0 {
		return wire.ClientDetails{}, fmt.Errorf("client: %w", wire.ErrInvalidClientID)
	}
	return call(ctx, c, wire.GetClientRequest{ClientID: clientID}, wire.DecodeClientDetails, wire.ErrClientNotFound)
}

// GetClients lists the server's connections.
func (c *Client) GetClients(ctx context.Context) ([]wire.ClientInfo, error) {
	return call(ctx, c, wire.GetClientsRequest{}, wire.DecodeClients, nil)
}

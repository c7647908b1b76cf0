package client

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/runnel-io/runnel/sdk/wire"
)

// followLeader asks the server for the cluster and, when a healthy leader
// other than the node this connection reached is listed, moves the
// connection to the leader and logs in again there, as the Iggy SDKs do:
// writes go to the leader. A single node, a server without cluster
// metadata, or no healthy leader keeps the connection where it is; so does
// a leader that cannot be reached, after which the node first dialled is
// dialled again. The caller holds mu and has just logged in.
func (c *Client) followLeader(ctx context.Context) error {
	if !c.cfg.followLeader || c.lastLogin == nil {
		return nil
	}
	payload, err := c.roundTrip(ctx, wire.GetClusterMetadataRequest{})
	if err != nil {
		if c.conn == nil { // the connection broke: the caller's next call redials
			return fmt.Errorf("client: cluster metadata: %w", err)
		}
		return nil // an older server or a refused command: stay
	}
	meta, err := wire.DecodeClusterMetadata(payload)
	if err != nil || len(meta.Nodes) < 2 {
		return nil
	}
	leader, ok := leaderAddress(meta, c.cfg.transport)
	if !ok || sameAddress(leader, c.addr) {
		return nil
	}
	origin := c.addr
	_ = c.dropConn()
	c.addr = leader
	if err := c.connectAndLogin(ctx); err == nil {
		return nil
	}
	c.addr = origin
	return c.connectAndLogin(ctx)
}

// connectAndLogin dials c.addr and replays the last login.
func (c *Client) connectAndLogin(ctx context.Context) error {
	if err := c.connect(ctx); err != nil {
		return err
	}
	if _, err := c.roundTrip(ctx, c.lastLogin); err != nil {
		_ = c.dropConn()
		return fmt.Errorf("client: login at %s: %w", c.addr, err)
	}
	return nil
}

// leaderAddress is the address of the first healthy leader on transport t.
func leaderAddress(meta wire.ClusterMetadata, t Transport) (string, bool) {
	for _, n := range meta.Nodes {
		if port := t.port(n); n.Role == wire.NodeLeader && n.Status == wire.NodeHealthy && port != 0 {
			return net.JoinHostPort(n.IP, strconv.Itoa(int(port))), true
		}
	}
	return "", false
}

// sameAddress compares host:port pairs, resolving names such as localhost.
func sameAddress(a, b string) bool {
	if a == b {
		return true
	}
	ta, errA := net.ResolveTCPAddr("tcp", a)
	tb, errB := net.ResolveTCPAddr("tcp", b)
	return errA == nil && errB == nil && ta.IP.Equal(tb.IP) && ta.Port == tb.Port
}

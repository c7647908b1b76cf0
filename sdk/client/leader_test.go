package client

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

// clusterNode is a fake server that answers logins and cluster metadata
// naming leaderAddr as the healthy leader among two nodes.
func clusterNode(t *testing.T, leaderAddr *string) *fakeServer {
	return startServer(t, func(r request) []byte {
		switch r.code {
		case wire.CodeLoginUser:
			return okFrame(wire.Identity{UserID: 1}.AppendTo(nil))
		case wire.CodeGetClusterMetadata:
			host, port, _ := net.SplitHostPort(*leaderAddr)
			p, _ := strconv.Atoi(port)
			meta := wire.ClusterMetadata{Name: "c", Nodes: []wire.ClusterNode{
				{Name: "follower", IP: "127.0.0.1", TCPPort: 1, Role: wire.NodeFollower, Status: wire.NodeHealthy},
				{Name: "leader", IP: host, TCPPort: uint16(p), Role: wire.NodeLeader, Status: wire.NodeHealthy},
			}}
			return okFrame(meta.AppendTo(nil))
		case wire.CodePing:
			return okFrame(nil)
		}
		return errFrame(wire.ErrInvalidCommand)
	})
}

func TestLoginFollowsTheLeader(t *testing.T) {
	var leaderAddr string
	leader := clusterNode(t, &leaderAddr)
	leaderAddr = leader.addr()
	follower := clusterNode(t, &leaderAddr)

	c, err := Open(context.Background(), "runnel://u:p@"+follower.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Addr() != leaderAddr {
		t.Fatalf("client at %s, want the leader %s", c.Addr(), leaderAddr)
	}
	if r := leader.next(t); r.code != wire.CodeLoginUser {
		t.Fatalf("leader got code %d first, want the replayed login", r.code)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLeaderRedirectCanBeTurnedOff(t *testing.T) {
	var leaderAddr string
	leader := clusterNode(t, &leaderAddr)
	leaderAddr = leader.addr()
	follower := clusterNode(t, &leaderAddr)

	c, err := Open(context.Background(), "runnel://u:p@"+follower.addr()+"?leader_redirect=false")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Addr() != follower.addr() {
		t.Fatalf("client moved to %s with redirects off", c.Addr())
	}
}

func TestUnreachableLeaderKeepsTheFirstNode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leaderAddr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	follower := clusterNode(t, &leaderAddr)

	c, err := Open(context.Background(), "runnel://u:p@"+follower.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Addr() != follower.addr() {
		t.Fatalf("client at %s, want the reachable node %s", c.Addr(), follower.addr())
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

package clustertest

import (
	"context"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestFollowerForwardsWrites stays on a follower (leader redirect off):
// metadata changes and sends there are forwarded to the primary, and each
// send is readable on that same follower right after it is acknowledged.
func TestFollowerForwardsWrites(t *testing.T) {
	c := newCluster(t)
	p := c.primary()
	f := (p + 2) % replicaCount
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cli, err := client.Open(ctx, c.url(f)+"?leader_redirect=false")
	mustNoErr(t, "open", err)
	defer cli.Close()
	if cli.Addr() != c.tcpAddr[f] {
		t.Fatalf("client moved to %s with leader_redirect=false", cli.Addr())
	}
	_, err = cli.CreateStream(ctx, "ct")
	mustNoErr(t, "create stream through follower", err)
	_, err = cli.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: streamID, Name: "t", PartitionsCount: 1})
	mustNoErr(t, "create topic through follower", err)

	var acked []int
	for b := 1; b <= 30; b++ {
		mustNoErr(t, "send through follower", cli.SendMessages(ctx, streamID, topicID, wire.ToPartition(0), batch(b)))
		acked = append(acked, b)
		got, err := readPartition(ctx, cli)
		mustNoErr(t, "poll on follower", err)
		if len(got) != len(acked)*batchMessages {
			t.Fatalf("after %d acknowledged batches the follower node-%d returns %d messages, want %d (read-your-writes)",
				len(acked), f, len(got), len(acked)*batchMessages)
		}
		checkAcked(t, "follower", got, acked)
	}
	if cli.Addr() != c.tcpAddr[f] {
		t.Fatalf("client moved to %s", cli.Addr())
	}
	c.checkEveryNode(t, acked)
}

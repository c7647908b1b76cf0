package clustertest

import (
	"context"
	"testing"
	"time"

	iggy "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
	iggcon "github.com/apache/iggy/foreign/go/contracts"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestRedirectToPrimary logs in on a follower with the Iggy Go SDK and
// with sdk/client: both end up on the primary and can create, send and
// poll there.
func TestRedirectToPrimary(t *testing.T) {
	c := newCluster(t)
	p := c.primary()
	follower := (p + 1) % replicaCount

	t.Run("iggy_sdk", func(t *testing.T) {
		cli, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(c.tcpAddr[follower])))
		mustNoErr(t, "connect", err)
		defer cli.Close()
		_, err = cli.LoginUser(testserver.RootUser, testserver.RootPassword)
		mustNoErr(t, "login", err)
		if got := cli.GetConnectionInfo().ServerAddress; got != c.tcpAddr[p] {
			t.Fatalf("Iggy SDK connected to %s after login on follower %s, want primary %s", got, c.tcpAddr[follower], c.tcpAddr[p])
		}
		_, err = cli.CreateStream("iggy")
		mustNoErr(t, "create stream", err)
		sid, _ := iggcon.NewIdentifier("iggy")
		tid, _ := iggcon.NewIdentifier("t")
		_, err = cli.CreateTopic(sid, "t", 1, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil)
		mustNoErr(t, "create topic", err)
		msgs := make([]iggcon.IggyMessage, 5)
		for i := range msgs {
			msgs[i], err = iggcon.NewIggyMessage([]byte{'m', byte('0' + i)})
			mustNoErr(t, "message", err)
		}
		mustNoErr(t, "send", cli.SendMessages(sid, tid, iggcon.PartitionId(0), msgs))
		p0 := uint32(0)
		cid, _ := iggcon.NewIdentifier(uint32(1))
		polled, err := cli.PollMessages(sid, tid, iggcon.NewSingleConsumer(cid), iggcon.OffsetPollingStrategy(0), 10, false, &p0)
		mustNoErr(t, "poll", err)
		if len(polled.Messages) != 5 || string(polled.Messages[4].Payload) != "m4" {
			t.Fatalf("polled %d messages: %+v", len(polled.Messages), polled.Messages)
		}
	})

	t.Run("runnel_client", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cli, err := client.Open(ctx, c.url(follower))
		mustNoErr(t, "open", err)
		defer cli.Close()
		if cli.Addr() != c.tcpAddr[p] {
			t.Fatalf("sdk/client on %s after login on follower %s, want primary %s", cli.Addr(), c.tcpAddr[follower], c.tcpAddr[p])
		}
		_, err = cli.CreateStream(ctx, "ct")
		mustNoErr(t, "create stream", err)
		_, err = cli.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: streamID, Name: "t", PartitionsCount: 1})
		mustNoErr(t, "create topic", err)
		mustNoErr(t, "send", cli.SendMessages(ctx, streamID, topicID, wire.ToPartition(0), batch(1)))
		got, err := readPartition(ctx, cli)
		mustNoErr(t, "poll", err)
		checkAcked(t, "primary", got, []int{1})
	})
}

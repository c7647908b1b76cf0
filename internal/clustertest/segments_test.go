package clustertest

import (
	"context"
	"fmt"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

// TestDeleteSegmentsOnEveryReplica sends DeleteSegments to a follower:
// it is forwarded as one replicated operation, so every replica removes
// the same segments and serves the partition from the same first offset.
func TestDeleteSegmentsOnEveryReplica(t *testing.T) {
	c := newCluster(t, "RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB")
	c.createTopic()
	prod := startProducer(c)
	prod.waitAcks(t, 1500) // about 2.5 MiB: three segments or more
	acked := prod.halt()
	c.waitConverged(t, len(acked)*batchMessages)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	f := (c.primary() + 1) % replicaCount
	follower, err := c.adminClient(ctx, f)
	mustNoErr(t, "follower client", err)
	mustNoErr(t, "delete segments", follower.DeleteSegments(ctx, streamID, topicID, 0, 2))

	// A follower executes the op when the primary's next commit message
	// reaches it: wait for all three to agree.
	eventuallyWhy(t, "every replica to drop the same segments", func() (bool, string) {
		var first *replicaSegments
		for i := range replicaCount {
			got, err := c.segmentsSeenBy(ctx, i)
			if err != nil {
				return false, err.Error()
			}
			if got.first == 0 {
				return false, fmt.Sprintf("node-%d still serves offset 0 (%d segments)", i, got.segments)
			}
			if first == nil {
				first = &got
			} else if got != *first {
				return false, fmt.Sprintf("node-%d: %+v, node-0: %+v", i, got, *first)
			}
		}
		t.Logf("every replica: %d segments, first offset %d", first.segments, first.first)
		return true, ""
	})
}

// replicaSegments is what one node serves of partition 0.
type replicaSegments struct {
	segments uint32
	first    uint64
}

func (c *cluster) segmentsSeenBy(ctx context.Context, i int) (replicaSegments, error) {
	cli, err := c.adminClient(ctx, i)
	if err != nil {
		return replicaSegments{}, err
	}
	topic, err := cli.GetTopic(ctx, streamID, topicID)
	if err != nil {
		return replicaSegments{}, err
	}
	polled, err := cli.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)),
		StreamID: streamID, TopicID: topicID, PartitionID: wire.Partition(0), Strategy: wire.PollFirst(), Count: 1})
	if err != nil {
		return replicaSegments{}, err
	}
	if len(polled.Messages) != 1 || len(topic.Partitions) == 0 {
		return replicaSegments{}, fmt.Errorf("node-%d: no message left", i)
	}
	return replicaSegments{segments: topic.Partitions[0].SegmentsCount, first: polled.Messages[0].Header.Offset}, nil
}

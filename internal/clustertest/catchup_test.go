package clustertest

import (
	"testing"
	"time"
)

// gapRounds: faults cycle over both followers, the primary's ring
// successor included.
const gapRounds = 4

// TestLongPartitionedFollowerCatchesUp cuts a follower off (partition,
// or kill -9 and a later restart) for many more operations than a
// checkpoint interval (journal_slots - 64 = 64 by default) and then lets
// it back, gapRounds times: it must catch up each time, by installing a
// peer's checkpoint and fetching the partition messages it covers, and
// end with segment files identical to the others'. It logs how fast the
// cluster commits with each follower out (with the primary's ring
// successor out, data prepares go star).
func TestLongPartitionedFollowerCatchesUp(t *testing.T) {
	for _, fault := range []string{"partition", "kill9"} {
		t.Run(fault, func(t *testing.T) {
			c := newCluster(t)
			c.createTopic()
			prod := startProducer(c)
			prod.waitAcks(t, 10)
			for round := range gapRounds {
				// Alternately the primary's ring successor and the other
				// follower: with the successor out, each prepare reaches the
				// last replica only on the primary's prepare timeout.
				f := (c.primary() + 1 + round%2) % replicaCount
				if fault == "partition" {
					c.partition(f)
				} else {
					c.kill9(f)
				}
				faultAt := time.Now()
				prod.waitAcks(t, 300)
				t.Logf("round %d: 300 batches acknowledged with node-%d out in %v", round, f, time.Since(faultAt).Round(time.Millisecond))
				back := time.Now()
				if fault == "partition" {
					c.heal(f)
				} else {
					c.restart(f)
				}
				c.waitCaughtUp(t, f, prod.ackCount()*batchMessages)
				t.Logf("round %d: node-%d back and caught up in %v", round, f, time.Since(back).Round(time.Millisecond))
			}
			acked := prod.halt()
			c.checkEveryNode(t, acked)
			compareSegments(t, c)
		})
	}
}

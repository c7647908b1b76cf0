package clustertest

import (
	"os"
	"testing"
	"time"
)

// knownGapsEnv, set to 1, runs the tests of server limitations found by
// this package (skipped by default so the suite stays green).
const knownGapsEnv = "CLUSTER_KNOWN_GAPS"

// gapRounds: the failure is intermittent, so several fault cycles.
const gapRounds = 4

// TestLongPartitionedFollowerCatchesUp cuts a follower off (partition,
// or kill -9 and a later restart) for many more operations than a
// checkpoint interval (journal_slots - 64 = 64 by default) and then lets
// it back, gapRounds times: it must catch up each time. Intermittently
// (1 run in 3 here, and in the unpaced soak) the returning follower
// panics in installCheckpoint: "partition 0/0/0 to offset N: the log ends
// at offset M, before the checkpoint's N (partition state transfer is not
// supported yet)". It also logs how slowly the cluster commits while the
// primary's ring successor is out (each prepare then reaches the last
// replica only on the primary's prepare timeout).
//
//	CLUSTER_KNOWN_GAPS=1 go test -run LongPartitioned -v ./internal/clustertest
func TestLongPartitionedFollowerCatchesUp(t *testing.T) {
	if os.Getenv(knownGapsEnv) != "1" {
		t.Skip("known gap: a follower behind the cluster's checkpoint cannot catch up; set " + knownGapsEnv + "=1")
	}
	for _, fault := range []string{"partition", "kill9"} {
		t.Run(fault, func(t *testing.T) {
			c := newCluster(t)
			c.createTopic()
			prod := startProducer(c)
			stopped := false
			defer func() {
				if !stopped {
					prod.halt()
				}
			}()
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
			stopped = true
			c.checkEveryNode(t, acked)
			compareSegments(t, c)
		})
	}
}

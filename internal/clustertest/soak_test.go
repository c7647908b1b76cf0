package clustertest

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// soakFaultAcksMax bounds the batches acknowledged while a node is
// faulty: up to several checkpoint intervals (64 operations by default),
// so a returning node catches up from the journal or by state transfer.
const soakFaultAcksMax = 300

// soakEnv, set to a Go duration, runs TestSoak for that long.
const soakEnv = "CLUSTER_SOAK"

// TestSoak loops random faults (kill -9 of any node, a partition, the
// matching restart or heal; one faulty node at a time, so a quorum always
// remains; a node may miss several checkpoint intervals and then catches
// up by state transfer) under a producer sending flat out, requiring
// progress after each step, and ends with the failover checks on every
// node. Skipped unless CLUSTER_SOAK is set, e.g. CLUSTER_SOAK=5m go test
// -run Soak -timeout 0 (CLUSTER_SOAK_SEED=n replays a fault sequence, not
// its timing; CLUSTER_SOAK_PACE=40ms sends one batch per 40 ms at most).
func TestSoak(t *testing.T) {
	spec := os.Getenv(soakEnv)
	if spec == "" {
		t.Skip("set " + soakEnv + "=5m to run the fault-injection soak")
	}
	d, err := time.ParseDuration(spec)
	mustNoErr(t, soakEnv, err)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(soakEnv + "_SEED"); v != "" {
		seed, err = strconv.ParseUint(v, 10, 64)
		mustNoErr(t, soakEnv+"_SEED", err)
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	c := newCluster(t)
	c.createTopic()
	var pace time.Duration
	if v := os.Getenv(soakEnv + "_PACE"); v != "" {
		pace, err = time.ParseDuration(v)
		mustNoErr(t, soakEnv+"_PACE", err)
	}
	prod := startProducerEvery(c, pace)
	faulty, cut := -1, false
	steps := 0
	for deadline := time.Now().Add(d); time.Now().Before(deadline); steps++ {
		switch {
		case faulty >= 0:
			if cut {
				t.Logf("step %d: heal node-%d", steps, faulty)
				c.heal(faulty)
			} else {
				t.Logf("step %d: restart node-%d", steps, faulty)
				c.restart(faulty)
			}
			// Back in sync before the next fault: a replica that falls
			// behind the cluster's checkpoint cannot catch up yet
			// (TestLongPartitionedFollowerCatchesUp).
			c.waitCaughtUp(t, faulty, prod.ackCount()*batchMessages)
			faulty = -1
		default:
			faulty = rng.IntN(replicaCount)
			cut = rng.IntN(2) == 0
			if cut {
				t.Logf("step %d: partition node-%d", steps, faulty)
				c.partition(faulty)
			} else {
				t.Logf("step %d: kill -9 node-%d", steps, faulty)
				c.kill9(faulty)
			}
		}
		prod.waitAcks(t, 5+rng.IntN(soakFaultAcksMax-5))
	}
	if faulty >= 0 && cut {
		c.heal(faulty)
	} else if faulty >= 0 {
		c.restart(faulty)
	}
	prod.waitAcks(t, 10)
	acked := prod.halt()
	n := c.checkEveryNode(t, acked)
	t.Logf("%d fault steps, %d batches acknowledged, %d messages on every node, %d failed calls", steps, len(acked), n, prod.errs)
	compareSegments(t, c)
}

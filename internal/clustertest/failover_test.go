package clustertest

import (
	"testing"
	"time"
)

// TestFailoverKeepsAcknowledgedBatches kills the primary with SIGKILL
// twice while one producer sends numbered batches; production resumes on
// the new primary, the killed node comes back and catches up, and every
// node then holds every acknowledged batch exactly once, whole, in
// acknowledgement order.
func TestFailoverKeepsAcknowledgedBatches(t *testing.T) {
	c := newCluster(t)
	c.createTopic()
	prod := startProducer(c)
	prod.waitAcks(t, 50)

	for round := range 2 {
		old := c.primary()
		killedAt := time.Now()
		c.kill9(old)
		prod.waitAcks(t, 20) // production resumed on the new primary
		resumed, _ := prod.firstAckAfter(killedAt)
		next := c.primary()
		if next == old {
			t.Fatalf("round %d: node-%d still primary after its kill", round, old)
		}
		t.Logf("round %d: killed primary node-%d; node-%d took over; writes paused %v (kill to first ack)",
			round, old, next, resumed.Sub(killedAt).Round(time.Millisecond))
		restarted := time.Now()
		c.restart(old)
		c.waitCaughtUp(t, old, prod.ackCount()*batchMessages)
		t.Logf("round %d: node-%d restarted and caught up in %v", round, old, time.Since(restarted).Round(time.Millisecond))
		prod.waitAcks(t, 20)
	}
	acked := prod.halt()
	n := c.checkEveryNode(t, acked)
	t.Logf("%d batches acknowledged, %d messages on every node, %d failed calls", len(acked), n, prod.errs)
}

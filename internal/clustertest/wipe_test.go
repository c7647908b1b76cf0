package clustertest

import (
	"os"
	"testing"
)

// TestWipedNodeRejoinsRecovering loses a follower's whole data directory,
// then the primary's, while a producer runs. Each time the cluster goes on
// with the two others for more operations than the journal holds; the
// node is formatted with `runnel-server recover` and started: it rejoins
// without voting, installs a peer's checkpoint, fetches the partition
// messages it covers and replays the rest, and then holds the same data,
// byte for byte, as the others. No acknowledged batch is lost.
func TestWipedNodeRejoinsRecovering(t *testing.T) {
	c := newCluster(t)
	c.createTopic()
	prod := startProducer(c)
	prod.waitAcks(t, 50)
	p := c.primary()
	for _, f := range []int{(p + 1) % replicaCount, p} {
		c.kill9(f)
		if err := os.RemoveAll(c.path(f)); err != nil {
			t.Fatal(err)
		}
		// More than the 128 operations a journal holds: the node cannot
		// catch up by repair alone.
		prod.waitAcks(t, 200)
		c.recoverFormat(f)
		c.restart(f)
		prod.waitAcks(t, 30)
		t.Logf("node-%d wiped and recovered", f)
	}
	acked := prod.halt()
	n := c.checkEveryNode(t, acked)
	t.Logf("%d batches acknowledged, %d messages on every node", len(acked), n)
	compareSegments(t, c)
}

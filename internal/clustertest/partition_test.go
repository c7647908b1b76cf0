package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFollowerPartitionCatchesUp cuts a follower off while a producer
// runs: writes go on with two of three, and after the heal the follower
// serves the same data. Then the partition's segment files are compared
// byte for byte across the nodes.
func TestFollowerPartitionCatchesUp(t *testing.T) {
	c := newCluster(t)
	c.createTopic()
	prod := startProducer(c)
	healthyAt := time.Now()
	prod.waitAcks(t, 40)
	healthy := time.Since(healthyAt)
	p := c.primary()
	f := (p + 1) % replicaCount
	c.partition(f)
	// A quorum of two keeps committing. Fewer batches than a checkpoint
	// interval (64 operations): a follower further behind cannot catch
	// up yet (TestLongPartitionedFollowerCatchesUp).
	cutAt := time.Now()
	prod.waitAcks(t, 40)
	t.Logf("40 batches acknowledged in %v with all nodes, in %v with node-%d cut off",
		healthy.Round(time.Millisecond), time.Since(cutAt).Round(time.Millisecond), f)
	// The cut follower must not have seen those writes: proof the proxies
	// cut it off.
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	stale, err := c.readAll(ctx, f)
	mustNoErr(t, "read the partitioned follower", err)
	if acked := prod.ackCount(); len(stale) >= acked*batchMessages {
		t.Fatalf("partitioned follower node-%d holds %d messages, %d batches acknowledged meanwhile", f, len(stale), acked)
	}
	if got := c.primaryExcept(f); got != p {
		t.Logf("primary moved from node-%d to node-%d during the partition", p, got)
	}
	c.heal(f)
	prod.waitAcks(t, 30)
	if after := c.primary(); after != p {
		t.Logf("healing node-%d moved the primary from node-%d to node-%d (a view change on rejoin)", f, p, after)
	}
	acked := prod.halt()
	n := c.checkEveryNode(t, acked)
	t.Logf("follower node-%d partitioned and healed: %d batches acknowledged, %d messages on every node", f, len(acked), n)
	compareSegments(t, c)
}

// compareSegments compares each partition log file of node 0 with the
// same file on the other nodes. Every node has applied the same committed
// operations (waitConverged), so the .log files must be identical, and
// the .index files agree as far as both are written.
func compareSegments(t *testing.T, c *cluster) {
	t.Helper()
	ref := segmentFiles(t, c.path(0))
	if len(ref) == 0 {
		t.Fatalf("no segment files under %s", c.path(0))
	}
	for i := 1; i < replicaCount; i++ {
		got := segmentFiles(t, c.path(i))
		if len(got) != len(ref) {
			t.Errorf("node-%d has %d segment files, node-0 %d", i, len(got), len(ref))
		}
		for rel, want := range ref {
			have, ok := got[rel]
			switch {
			case !ok:
				t.Errorf("node-%d lacks %s", i, rel)
			case strings.HasSuffix(rel, ".index"):
				// The index is derived data, buffered and written at
				// rotation, close or when its buffer fills: only what
				// both nodes have written must match.
				if n := min(len(have), len(want)); !bytes.Equal(have[:n], want[:n]) {
					t.Errorf("node-%d %s differs from node-0's: %s", i, rel, firstDiff(want, have))
				}
			case !bytes.Equal(have, want):
				t.Errorf("node-%d %s differs from node-0's: %s", i, rel, firstDiff(want, have))
			}
		}
	}
	for rel, b := range ref {
		t.Logf("%s: %d bytes on node-0, compared on %d nodes", rel, len(b), replicaCount)
	}
}

// segmentFiles reads every partition .log and .index file under a node's
// system.path, keyed by path relative to it.
func segmentFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, pattern := range []string{"*.log", "*.index"} {
		paths, err := filepath.Glob(filepath.Join(root, "streams", "*", "topics", "*", "partitions", "*", pattern))
		mustNoErr(t, "glob", err)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			mustNoErr(t, "read segment", err)
			rel, _ := filepath.Rel(root, p)
			out[rel] = b
		}
	}
	return out
}

func firstDiff(a, b []byte) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("first difference at byte %d of %d/%d", i, len(a), len(b))
		}
	}
	return fmt.Sprintf("lengths %d and %d, common prefix equal", len(a), len(b))
}

package vsr_test

import (
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
)

func TestSingleReplicaCommitsAfterLocalWrite(t *testing.T) {
	c := newCluster(t, 1)
	s := c.register(0, 9)
	for i := range uint64(5) {
		if off := c.appendOK(0, 9, s, i+1); off != i {
			t.Fatalf("append %d got offset %d", i+1, off)
		}
	}
	if r := c.nodes[0].r; r.CommitMin() != 6 || r.Head() != 6 {
		t.Fatalf("commit %d head %d, want 6 6", r.CommitMin(), r.Head())
	}
}

func TestSingleReplicaRestartKeepsCommittedState(t *testing.T) {
	c := newCluster(t, 1)
	s := c.register(0, 9)
	for i := range uint64(3) {
		c.appendOK(0, 9, s, i+1)
	}
	digest := c.nodes[0].sm.Digest()
	c.crash(0)
	c.restart(0)
	c.tickUntil(50, "restarted single replica back to normal", func() bool {
		return c.nodes[0].r.Status() == vsr.StatusNormal
	})
	if got := c.nodes[0].sm.Digest(); got != digest || c.nodes[0].r.View() == 0 {
		t.Fatalf("after restart: view %d digest %x, want view > 0 and %x", c.nodes[0].r.View(), got, digest)
	}
	if off := c.appendOK(0, 9, s, 4); off != 3 {
		t.Fatalf("offset after restart %d, want 3", off)
	}
}

func TestNormalOperationThreeReplicas(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	for i := range uint64(10) {
		if off := c.appendOK(0, 7, s, i+1); off != i {
			t.Fatalf("append %d got offset %d", i+1, off)
		}
	}
	c.tickUntil(100, "backups execute the commits from heartbeats", c.converged)
	for i, n := range c.nodes {
		if n.sm.Applied() != 10 {
			t.Fatalf("replica %d applied %d ops, want 10", i, n.sm.Applied())
		}
	}
}

// Data ops go along the ring (primary → 1, then 1 → 2); control ops go star.
func TestRingForDataStarForControl(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	control := c.early
	c.early = nil
	c.appendOK(0, 7, s, 1)
	countTo := func(es []vsr.Envelope, cmd vsr.Command) map[int]int {
		m := map[int]int{}
		for _, e := range es {
			if e.Msg.Command == cmd {
				m[e.To]++
			}
		}
		return m
	}
	if got := countTo(control, vsr.CmdPrepare); got[1] != 1 || got[2] != 1 {
		t.Fatalf("register prepare sent to %v, want star to 1 and 2", got)
	}
	got := countTo(c.early, vsr.CmdPrepare)
	if got[1] != 1 || got[2] != 1 || len(got) != 2 {
		t.Fatalf("append prepare sent to %v, want 1 (by the primary) and 2 (relayed)", got)
	}
	for _, e := range c.early {
		if e.Msg.Command == vsr.CmdPrepare && e.To == 2 && e.Msg.Replica != 1 {
			t.Fatalf("prepare reached 2 from %d, want the relay 1", e.Msg.Replica)
		}
	}
}

// A dead relay costs only latency: the primary's prepare timeout resends
// directly.
func TestRingRelayDownResendsDirect(t *testing.T) {
	c := newCluster(t, 5)
	s := c.register(0, 7)
	c.tick(20)
	c.crash(1)
	c.send(0, appendRequest(7, s, 1, 0, 1))
	c.tickUntil(200, "commit with the first relay down", func() bool { return c.nodes[0].r.CommitMax() == 2 })
}

func TestViewChangeAfterPrimaryCrash(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	for i := range uint64(5) {
		c.appendOK(0, 7, s, i+1)
	}
	c.crash(0)
	c.tickUntil(1000, "a new primary", func() bool { return c.primary() > 0 })
	p := c.primary()
	if v := c.nodes[p].r.View(); v == 0 || vsr.PrimaryOf(v, 3) != p {
		t.Fatalf("primary %d in view %d", p, v)
	}
	if off := c.appendOK(p, 7, s, 6); off != 5 {
		t.Fatalf("offset in the new view %d, want 5 (no committed op lost)", off)
	}
	c.restart(0)
	c.tickUntil(1000, "old primary rejoins as a backup", func() bool {
		return c.nodes[0].r.Status() == vsr.StatusNormal && c.converged()
	})
	if c.nodes[0].sm.Applied() != 6 {
		t.Fatalf("old primary applied %d, want 6", c.nodes[0].sm.Applied())
	}
}

// A backup cut off while ops commit repairs the gap from the hash chain.
func TestRepairOfMissingPrepares(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	c.isolate(2, true)
	for i := range uint64(20) {
		c.appendOK(0, 7, s, i+1)
	}
	if c.nodes[2].r.Head() > 1 {
		t.Fatalf("isolated replica got ops: head %d", c.nodes[2].r.Head())
	}
	c.isolate(2, false)
	c.appendOK(0, 7, s, 21)
	c.tickUntil(500, "isolated replica catches up", c.converged)
}

// A prepare corrupted on disk is repaired from a peer after restart.
func TestRepairOfCorruptJournalEntry(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	for i := range uint64(6) {
		c.appendOK(0, 7, s, i+1)
	}
	c.tickUntil(100, "converged", c.converged)
	c.crash(2)
	n := c.nodes[2]
	rec := n.journal[4]
	bad := append([]byte(nil), rec.Prepare...)
	bad[len(bad)-1] ^= 0xff
	rec.Prepare = bad
	n.journal[4] = rec
	c.restart(2)
	c.tickUntil(500, "restarted replica repaired op 4 and executed everything", func() bool {
		return n.r.Status() == vsr.StatusNormal && c.converged() && n.sm.Applied() == 6
	})
}

func TestClientRequestExecutedAtMostOnce(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	m := appendRequest(7, s, 1, 0, 1)
	c.send(0, m)
	c.send(0, m) // a retry after the reply: served from the client table
	c.send(1, m) // a retry through a backup: forwarded, then deduplicated
	c.tick(20)
	for i, n := range c.nodes {
		if n.sm.Applied() != 1 {
			t.Fatalf("replica %d applied %d, want 1", i, n.sm.Applied())
		}
	}
	rs := c.replies[7]
	if len(rs) < 3 {
		t.Fatalf("%d replies, want 3 or more", len(rs))
	}
	for _, r := range rs[1:] {
		if string(r.Body) != string(rs[1].Body) || r.Request != 1 {
			t.Fatalf("replies differ: %+v vs %+v", r, rs[1])
		}
	}
	// A stale request number is dropped, not executed.
	c.appendOK(0, 7, s, 2)
	before := len(c.replies[7])
	c.send(0, appendRequest(7, s, 1, 0, 99))
	if len(c.replies[7]) != before || c.nodes[0].sm.Applied() != 2 {
		t.Fatal("stale request answered or executed")
	}
}

// A request retried to a new primary after the old one crashed before
// replying is found in the adopted pipeline and executes once.
func TestRetryAcrossViewChange(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	c.tick(20)
	m := appendRequest(7, s, 1, 0, 1)
	c.cut[[2]int{1, 0}] = true // acks to the primary are lost: prepared, not committed there
	c.cut[[2]int{2, 0}] = true
	c.send(0, m)
	c.crash(0)
	c.tickUntil(1000, "new primary", func() bool { return c.primary() > 0 })
	p := c.primary()
	c.send(p, m)
	c.tickUntil(200, "converged", c.converged)
	for i, n := range c.nodes {
		if n.up && n.sm.Applied() != 1 {
			t.Fatalf("replica %d applied %d, want 1", i, n.sm.Applied())
		}
	}
}

func TestUnknownSessionIsEvicted(t *testing.T) {
	c := newCluster(t, 3)
	c.send(0, appendRequest(5, 12345, 1, 0, 1))
	if r := c.lastReply(5); r == nil || r.Status != vsr.ReplyEvicted {
		t.Fatalf("reply %+v, want evicted", r)
	}
}

// An op only the crashed primary held is cut by the view change (both
// backups prove they never had it), and the client's retry runs once.
func TestViewChangeCutsOpNobodyAcked(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	c.appendOK(0, 7, s, 1)
	c.tick(20)
	c.cut[[2]int{0, 1}], c.cut[[2]int{0, 2}] = true, true
	m := appendRequest(7, s, 2, 0, 2)
	c.send(0, m)
	if c.nodes[0].r.Head() != 3 {
		t.Fatalf("primary head %d, want 3", c.nodes[0].r.Head())
	}
	c.crash(0)
	c.tickUntil(1000, "new primary", func() bool { return c.primary() > 0 })
	p := c.primary()
	if h := c.nodes[p].r.Head(); h != 2 {
		t.Fatalf("new primary head %d, want 2 (op 3 cut)", h)
	}
	c.send(p, m)
	c.cut[[2]int{0, 1}], c.cut[[2]int{0, 2}] = false, false
	c.restart(0)
	c.tickUntil(1000, "converged with the old primary back", func() bool {
		return c.nodes[0].r.Status() == vsr.StatusNormal && c.converged()
	})
	if res, _ := vsr.DecodeAppendResult(c.lastReply(7).Body); res.FirstOffset != 1 {
		t.Fatalf("retried append at offset %d, want 1", res.FirstOffset)
	}
	for i, n := range c.nodes {
		if n.sm.Applied() != 2 {
			t.Fatalf("replica %d applied %d, want 2", i, n.sm.Applied())
		}
	}
}

// Protocol-aware recovery: a committed op whose only surviving copy is
// unreadable must not be cut by the replicas that never had it; the view
// change waits until a replica that holds it returns.
func TestFaultySlotIsNeverANack(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 7)
	c.tick(20)
	c.isolate(2, true)
	for i := range uint64(3) {
		c.appendOK(0, 7, s, i+1) // committed by replicas 0 and 1
	}
	c.crash(0)
	c.crash(1)
	n1 := c.nodes[1]
	rec := n1.journal[4]
	bad := append([]byte(nil), rec.Prepare...)
	bad[vsr.HeaderSize] ^= 0xff // the body is unreadable, the redundant header intact
	rec.Prepare = bad
	n1.journal[4] = rec
	c.isolate(2, false)
	c.restart(1)
	c.tick(600)
	for i, n := range c.nodes {
		if n.up && n.r.Status() == vsr.StatusNormal && n.r.Head() < 4 {
			t.Fatalf("replica %d started view %d with head %d: committed op 4 lost", i, n.r.View(), n.r.Head())
		}
	}
	c.restart(0)
	c.tickUntil(2000, "view change completes once the copy is back", func() bool {
		return c.primary() >= 0 && c.converged() && c.nodes[1].sm.Applied() == 3
	})
	p := c.primary()
	if off := c.appendOK(p, 7, s, 4); off != 3 {
		t.Fatalf("next offset %d, want 3 (no committed append lost)", off)
	}
}

package vsr_test

import (
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
)

// reformat crashes replica i, loses its whole disk and starts it again:
// recovering (NewRecovering) or, for the control case, as a fresh replica.
func (c *tcluster) reformat(i int, recovering bool) {
	c.t.Helper()
	n := c.nodes[i]
	n.sb = make([][]byte, vsr.SuperblockCopies)
	n.ckpt = [2][]byte{}
	n.journal = map[uint64]vsr.JournalRecord{}
	cfg := c.cfg
	cfg.Replica, cfg.Seed = i, cfg.Seed+uint64(i)*7919+1
	n.sm = vsr.NewMemoryMachine()
	start := vsr.NewRecovering
	if !recovering {
		start = vsr.New
	}
	r, err := start(cfg, n.sm, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	n.r, n.up = r, true
	c.flush(i)
}

func (c *tcluster) durableRecovering(i int) bool {
	c.t.Helper()
	sb, err := vsr.ReadSuperblock(c.nodes[i].sb)
	if err != nil {
		c.t.Fatal(err)
	}
	return sb.Recovering
}

// A reformatted replica rejoins: durably recovering (a restart resumes
// it), then caught up, then an ordinary member again.
func TestRecoveringReplicaRejoins(t *testing.T) {
	c := newClusterConfig(t, vsr.Config{Cluster: 1, ReplicaCount: 3, DataStar: true})
	s := c.register(0, 1)
	for req := uint64(1); req <= 5; req++ {
		c.appendOK(0, 1, s, req)
	}
	c.reformat(2, true)
	if !c.nodes[2].r.Recovering() || !c.durableRecovering(2) {
		t.Fatal("a reformatted replica must be durably recovering")
	}
	c.crash(2)
	c.restart(2)
	if !c.nodes[2].r.RestartReport().Recovering || !c.nodes[2].r.Recovering() {
		t.Fatal("a restart of a recovering replica must resume recovering")
	}
	c.appendOK(0, 1, s, 6)
	c.tickUntil(2000, "recovering replica catches up", func() bool {
		return !c.nodes[2].r.Recovering() && c.converged() && c.nodes[2].r.CommitMin() == c.nodes[0].r.CommitMin()
	})
	if c.durableRecovering(2) {
		t.Fatal("leaving recovering must be durable")
	}
	// An ordinary member again: it acks, so the cluster commits with 0 down.
	c.crash(1)
	c.appendOK(0, 1, s, 7)
}

// The recovering replica is the next view's primary: it never leads; the
// view change moves past it and loses nothing.
func TestRecoveringReplicaNeverLeads(t *testing.T) {
	c := newCluster(t, 3)
	s := c.register(0, 1)
	for req := uint64(1); req <= 4; req++ {
		c.appendOK(0, 1, s, req)
	}
	committed := c.nodes[0].r.CommitMax()
	id, _ := c.nodes[0].r.Checksum(committed)
	c.reformat(1, true) // primary of view 1
	c.isolate(0, true)  // the primary of view 0 is cut off: view change
	for range 600 {
		c.tick(1)
		if r := c.nodes[1].r; r.Recovering() && r.Status() == vsr.StatusNormal && r.IsPrimary() {
			t.Fatalf("recovering replica leads view %d", r.View())
		}
	}
	c.isolate(0, false)
	c.tickUntil(4000, "converge after the view change", func() bool {
		return !c.nodes[1].r.Recovering() && c.primary() >= 0 && c.converged()
	})
	if c.nodes[c.primary()].r.View() == 0 {
		t.Fatal("expected a view change")
	}
	for i, n := range c.nodes {
		if got, ok := n.r.Checksum(committed); ok && got != id {
			t.Fatalf("replica %d: committed op %d changed", i, committed)
		}
		if n.r.CommitMin() < committed {
			t.Fatalf("replica %d executed %d < committed %d", i, n.r.CommitMin(), committed)
		}
	}
}

// Op k is committed by the primary and replica 2 only; replica 2 then
// loses its disk and the primary crashes. Replica 1 (which never saw k)
// and the recovering replica 2 must not form a view without k: the
// cluster stalls until replica 0 is back, then k survives. The control
// run reformats replica 2 as a fresh replica (vsr.New): it nacks k and
// the pair truncates it, which is exactly what recovering prevents.
func TestRecoveringReplicaAndPrimaryCrash(t *testing.T) {
	for _, recovering := range []bool{true, false} {
		c := newClusterConfig(t, vsr.Config{Cluster: 1, ReplicaCount: 3, DataStar: true})
		s := c.register(0, 1)
		c.appendOK(0, 1, s, 1)
		c.cut[[2]int{0, 1}] = true // replica 1 misses the next op
		c.appendOK(0, 1, s, 2)     // committed with replica 2's ack
		k := c.nodes[0].r.CommitMax()
		id, _ := c.nodes[0].r.Checksum(k)
		if op, _ := c.nodes[1].r.Checksum(k); op == id {
			t.Fatal("setup: replica 1 must not hold op k")
		}
		c.crash(0)
		c.reformat(2, recovering)
		c.cut[[2]int{0, 1}] = false
		formed := false
		for range 3000 {
			c.tick(1)
			if p := c.primary(); p >= 0 {
				formed = true
				if got, ok := c.nodes[p].r.Checksum(k); !ok || got != id {
					if recovering {
						t.Fatalf("view %d formed by replica %d without committed op %d", c.nodes[p].r.View(), p, k)
					}
				}
			}
		}
		if !recovering {
			if !formed {
				t.Fatal("control: a fresh replica should let the pair form a view")
			}
			if got, ok := c.nodes[1].r.Checksum(k); ok && got == id {
				t.Fatal("control: expected the fresh replica's nacks to truncate op k")
			}
			continue
		}
		if formed {
			t.Fatal("replica 1 and a recovering replica formed a view")
		}
		c.restart(0)
		c.tickUntil(6000, "converge once replica 0 is back", func() bool {
			return !c.nodes[2].r.Recovering() && c.primary() >= 0 && c.converged()
		})
		for i, n := range c.nodes {
			if got, ok := n.r.Checksum(k); !ok || got != id || n.r.CommitMin() < k {
				t.Fatalf("replica %d lost committed op %d", i, k)
			}
		}
	}
}

func TestNewRecoveringRefusesOneReplica(t *testing.T) {
	if _, err := vsr.NewRecovering(vsr.Config{Cluster: 1, ReplicaCount: 1}, vsr.NewMemoryMachine(), nil); err == nil {
		t.Fatal("a cluster of one cannot recover")
	}
}

func TestSuperblockRecoveringRoundTrip(t *testing.T) {
	sb := vsr.RecoveringSuperblock(9, 2)
	b := sb.Encode()
	got, err := vsr.ReadSuperblock([][]byte{b, b, nil, nil})
	if err != nil || !got.Recovering || got.Cluster != 9 || got.Replica != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	sb.Recovering = false
	b = sb.Encode()
	if got, _ := vsr.ReadSuperblock([][]byte{b, b, b, b}); got.Recovering {
		t.Fatal("flag set without Recovering")
	}
}

package vsrnode

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/replicabus"
)

// TestClusterSubmit: three nodes over TCP; submitters on the primary and
// on both followers (forwarded by core/vsr, replies relayed back over the
// bus). Offsets are unique and contiguous, every reply is readable on the
// node that returned it, and the machines end equal.
func TestClusterSubmit(t *testing.T) {
	const workers, each, parts = 4, 40, 3
	c := newClusterNodes(t, 3, nil)
	c.waitServing(0, 1, 2)
	if p := c.primary(); p != 0 {
		t.Fatalf("fresh cluster primary %d", p)
	}
	var mu sync.Mutex
	var acks []ack
	var wg sync.WaitGroup
	for node := range 3 {
		n := c.nodes[node].Node
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					part := uint32((node + w + i) % parts)
					a, err := appendOnce(context.Background(), n, part, payload(uint32(node), uint32(w), uint64(i), 100))
					if err != nil {
						t.Errorf("node %d: %v", node, err)
						return
					}
					// Read-your-writes: the node executed the op before answering.
					if st := n.State(); st.CommitMin < a.op {
						t.Errorf("node %d answered op %d at commit_min %d", node, a.op, st.CommitMin)
					}
					mu.Lock()
					acks = append(acks, a)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	checkContiguous(t, acks)
	sum := c.converge(uint64(len(acks)))
	if sum.ops != 3*workers*each {
		t.Fatalf("%d ops applied, want %d", sum.ops, 3*workers*each)
	}
	for i := range 3 {
		checkAcks(t, "node", c.sms[i].payloads(parts), acks)
	}
	for i := range 3 {
		st := c.nodes[i].Stats()
		t.Logf("node %d: %+v", i, st)
		if i != 0 && (st.Replies < workers*each || st.Received == 0) {
			t.Fatalf("follower %d: %+v", i, st)
		}
		if st.UnknownKinds+st.BadMessages+st.Misrouted+st.SendErrors != 0 {
			t.Fatalf("node %d: bus errors %+v", i, st)
		}
	}
	if st := c.nodes[0].Stats(); st.RepliesSent < 2*workers*each {
		t.Fatalf("primary relayed %d replies: %+v", st.RepliesSent, st)
	}
	for i := range 3 {
		st := c.nodes[i].State()
		if len(st.Peers) != 3 {
			t.Fatalf("node %d peers %+v", i, st.Peers)
		}
		for _, p := range st.Peers {
			// Backups hear the primary; the primary hears every backup.
			heard := p.Replica == i || (p.Replica != 0 && i != 0) || !p.LastHeard.IsZero()
			if !p.Connected || !heard {
				t.Fatalf("node %d peers %+v", i, st.Peers)
			}
		}
	}
}

// TestClusterFailover: the primary stops mid-run; the followers' submitters
// ride through the view change (ErrTimeout allowed meanwhile) and carry on
// with the new primary. Every acknowledged append is present exactly once
// on both survivors, and the old primary, restarted on its directory,
// rejoins and converges.
func TestClusterFailover(t *testing.T) {
	const parts = 2
	c := newClusterNodes(t, 3, func(_ int, cfg *Config) { cfg.RequestTimeout = 3 * time.Second })
	c.waitServing(0, 1, 2)
	old := c.primary()
	var mu sync.Mutex
	var acks []ack
	var timeouts atomic.Int64
	var afterFailover atomic.Int64
	var failedOver atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, node := range []int{1, 2} {
		n := c.nodes[node].Node
		for w := range 3 {
			wg.Go(func() {
				// Every attempt has its own payload: a timed-out one may
				// or may not have been applied, but never twice.
				for seq := uint64(0); ; seq++ {
					select {
					case <-stop:
						return
					default:
					}
					a, err := appendOnce(context.Background(), n, uint32(seq%parts), payload(uint32(node), uint32(w), seq, 64))
					switch {
					case errors.Is(err, ErrTimeout):
						timeouts.Add(1)
						continue
					case err != nil:
						t.Errorf("node %d: %v", node, err)
						return
					}
					mu.Lock()
					acks = append(acks, a)
					mu.Unlock()
					if failedOver.Load() {
						afterFailover.Add(1)
					}
				}
			})
		}
	}
	// Let some traffic through, then stop the primary.
	if !poll(30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(acks) >= 60 }) {
		t.Fatal("no progress before the failover")
	}
	c.stop(old)
	failedOver.Store(true)
	if !poll(60*time.Second, func() bool { return afterFailover.Load() >= 200 || t.Failed() }) {
		t.Fatalf("no progress after the failover: %d acks after it, states %+v %+v",
			afterFailover.Load(), c.nodes[1].State(), c.nodes[2].State())
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	np := c.primary()
	st := c.nodes[np].State()
	t.Logf("new primary %d in view %d; %d acks, %d timeouts", np, st.View, len(acks), timeouts.Load())
	if np == old || st.View == 0 {
		t.Fatalf("primary %d view %d after stopping %d", np, st.View, old)
	}
	checkContiguous(t, acks)
	sum := c.converge(uint64(len(acks)))
	for _, i := range []int{1, 2} {
		checkAcks(t, "survivor", c.sms[i].payloads(parts), acks)
	}

	// The old primary restarts on its data and rejoins.
	rn := c.start(old)
	waitServing(t, rn.Node)
	c.converge(sum.ops)
	checkAcks(t, "restarted", c.sms[old].payloads(parts), acks)
	// And the cluster still takes writes through it.
	a, err := appendOnce(context.Background(), rn.Node, 0, payload(9, 9, 9, 64))
	if err != nil {
		t.Fatalf("submit on the restarted node: %v", err)
	}
	if rn.State().CommitMin < a.op {
		t.Fatalf("restarted node answered op %d before executing it", a.op)
	}
	c.converge(sum.ops + 1)
	t.Logf("restarted node: restart %+v, state %+v, stats %+v", rn.RestartReport(), rn.State(), rn.Stats())
}

// TestClusterRefusesStrangers: a node with the wrong key, or of another
// cluster, never joins (the bus refuses it); the other two still commit.
func TestClusterRefusesStrangers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*Config)
	}{
		{"wrong_key", func(c *Config) { c.BusKey = []byte("some-other-key-of-enough-bytes") }},
		{"wrong_cluster", func(c *Config) { c.Cluster = testCluster + 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClusterNodes(t, 3, func(i int, cfg *Config) {
				if i == 2 {
					tc.tweak(cfg)
				}
			})
			c.waitServing(0, 1)
			var acks []ack
			for i := range 20 {
				a, err := appendOnce(context.Background(), c.nodes[i%2].Node, 0, payload(uint32(i%2), 0, uint64(i), 64))
				if err != nil {
					t.Fatalf("submit %d: %v", i, err)
				}
				acks = append(acks, a)
			}
			checkContiguous(t, acks)
			// Both refusals are seen: the stranger's acceptor refuses
			// replica 0 and 1's dials (or they refuse its answer).
			if !poll(30*time.Second, func() bool {
				bs, _ := c.nodes[2].BusStats()
				return bs.HandshakeFailures >= 2
			}) {
				bs, _ := c.nodes[2].BusStats()
				t.Fatalf("stranger's bus: %+v", bs)
			}
			for i := range 2 {
				bs, _ := c.nodes[i].BusStats()
				if bs.HandshakeFailures == 0 || bs.Peers[2].Connected || bs.Peers[2].Connects != 0 {
					t.Fatalf("node %d bus: %+v", i, bs)
				}
			}
			st := c.nodes[2].State()
			if st.CommitMin != 0 || st.Head != 0 || c.sms[2].summary().ops != 0 {
				t.Fatalf("stranger executed something: %+v", st)
			}
			for _, p := range st.Peers {
				if p.Replica != 2 && (p.Connected || !p.LastHeard.IsZero()) {
					t.Fatalf("stranger's peers %+v", st.Peers)
				}
			}
			if c.sms[0].summary().ops < 20 {
				t.Fatalf("node 0 applied %d ops", c.sms[0].summary().ops)
			}
		})
	}
}

// TestOpenBusConfig: a cluster needs a roster of the right size and a key.
func TestOpenBusConfig(t *testing.T) {
	base := testConfig(t.TempDir())
	base.ReplicaCount, base.Replica = 3, 1
	base.BusRoster = []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}
	base.BusKey = testBusKey
	for name, tweak := range map[string]func(*Config){
		"short_roster": func(c *Config) { c.BusRoster = c.BusRoster[:2] },
		"no_key":       func(c *Config) { c.BusKey = nil },
		"short_key":    func(c *Config) { c.BusKey = make([]byte, replicabus.KeyBytesMin-1) },
		"bad_address":  func(c *Config) { c.BusRoster = []string{"a", "b", "c"} },
	} {
		cfg := base
		tweak(&cfg)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.BusListener = ln
		if n, err := Open(context.Background(), cfg, vsr.NewMemoryMachine(), Hooks{}); err == nil {
			n.Close()
			t.Fatalf("%s: Open accepted %+v", name, cfg)
		}
		if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("%s: the failed Open left its listener open: %v", name, err)
		}
	}
}

// TestForwardedWriteNeedsNoHeartbeat: with a tick so long that no
// heartbeat (and no resend) ever happens, sequential writes on a follower
// still complete: the relayed reply tells the follower the op committed,
// so it executes it (read-your-writes) without waiting for the primary's
// next heartbeat.
func TestForwardedWriteNeedsNoHeartbeat(t *testing.T) {
	c := newClusterNodes(t, 3, func(_ int, cfg *Config) { cfg.TickInterval = time.Hour })
	// Nothing is resent without ticks: wait for the links first.
	if !poll(30*time.Second, func() bool {
		for _, rn := range c.nodes {
			for _, p := range rn.State().Peers {
				if !p.Connected {
					return false
				}
			}
		}
		return true
	}) {
		t.Fatal("bus never connected")
	}
	c.waitServing(0, 1, 2)
	var acks []ack
	for i := range 10 {
		a, err := appendOnce(context.Background(), c.nodes[1].Node, 0, payload(1, 0, uint64(i), 64))
		if err != nil {
			t.Fatalf("forwarded submit %d: %v (state %+v)", i, err, c.nodes[1].State())
		}
		acks = append(acks, a)
	}
	checkContiguous(t, acks)
	if st := c.nodes[1].Stats(); st.Resends != 0 {
		t.Fatalf("resends without ticks: %+v", st)
	}
}

// TestSendHookInMemory: Hooks.Send and Node.Receive carry a cluster with
// no bus (the host moves messages itself).
func TestSendHookInMemory(t *testing.T) {
	var nodes [3]atomic.Pointer[Node]
	var runs [3]*running
	for i := range 3 {
		cfg := testConfig(t.TempDir())
		cfg.Replica, cfg.ReplicaCount = i, 3
		hooks := Hooks{Send: func(to int, m *vsr.Message) {
			if n := nodes[to].Load(); n != nil {
				n.Receive(i, m)
			}
		}}
		n, err := Open(context.Background(), cfg, vsr.NewMemoryMachine(), hooks)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := n.BusStats(); ok || n.State().Peers != nil {
			t.Fatal("a bus with a Send hook")
		}
		nodes[i].Store(n)
		runs[i] = run(t, n)
	}
	for i := range 3 {
		waitServing(t, runs[i].Node)
	}
	var acks []ack
	for i := range 12 {
		a, err := appendOnce(context.Background(), runs[i%3].Node, 0, payload(uint32(i%3), 0, uint64(i), 64))
		if err != nil {
			t.Fatalf("submit %d on node %d: %v", i, i%3, err)
		}
		acks = append(acks, a)
	}
	checkContiguous(t, acks)
}

package vsrnode

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
)

var testBusKey = []byte("runnel-vsrnode-test-key-0123456789")

// lockedMachine is a MemoryMachine the test goroutine can read while the
// loop applies.
type lockedMachine struct {
	mu sync.Mutex
	m  *vsr.MemoryMachine
}

var _ vsr.StateMachine = (*lockedMachine)(nil)

func newLockedMachine() *lockedMachine { return &lockedMachine{m: vsr.NewMemoryMachine()} }

func (l *lockedMachine) Apply(op, ts uint64, operation vsr.Operation, body []byte) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Apply(op, ts, operation, body)
}

func (l *lockedMachine) Snapshot() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Snapshot()
}

func (l *lockedMachine) Restore(b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Restore(b)
}

// summary is what replicas must agree on.
type summary struct {
	ops    uint64
	digest vsr.Checksum
}

func (l *lockedMachine) summary() summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return summary{l.m.Applied(), l.m.Digest()}
}

// where locates a payload (by its 16-byte key) in the machine.
type where struct {
	part   uint32
	offset uint64
}

// payloads maps every payload key in partitions 0..parts-1 to where each
// copy of it sits.
func (l *lockedMachine) payloads(parts uint32) map[[16]byte][]where {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[[16]byte][]where)
	for p := range parts {
		for off, b := range l.m.Batches(vsr.PartitionRef{Partition: p}) {
			out[[16]byte(b[:16])] = append(out[[16]byte(b[:16])], where{p, uint64(off)})
		}
	}
	return out
}

// clusterNodes is n nodes of one cluster in this process, over real TCP.
type clusterNodes struct {
	t     testing.TB
	cfgs  []Config
	sms   []*lockedMachine
	nodes []*running // nil while a node is down
}

// newClusterNodes: listeners on 127.0.0.1:0 first, the roster from them.
func newClusterNodes(t testing.TB, n int, tweak func(i int, c *Config)) *clusterNodes {
	t.Helper()
	c := &clusterNodes{t: t, cfgs: make([]Config, n), sms: make([]*lockedMachine, n), nodes: make([]*running, n)}
	lns := make([]net.Listener, n)
	roster := make([]string, n)
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i], roster[i] = ln, ln.Addr().String()
	}
	for i := range n {
		cfg := testConfig(t.TempDir())
		cfg.Replica, cfg.ReplicaCount = i, n
		cfg.BusRoster, cfg.BusKey, cfg.BusListener = roster, testBusKey, lns[i]
		if tweak != nil {
			tweak(i, &cfg)
		}
		c.cfgs[i] = cfg
	}
	for i := range n {
		c.start(i)
	}
	return c
}

// start opens node i on its directory with a fresh machine (a restart
// listens on its roster address itself).
func (c *clusterNodes) start(i int) *running {
	c.t.Helper()
	c.sms[i] = newLockedMachine()
	c.nodes[i] = startNode(c.t, c.cfgs[i], c.sms[i], Hooks{})
	c.cfgs[i].BusListener = nil
	return c.nodes[i]
}

// stop ends node i's loop and closes it.
func (c *clusterNodes) stop(i int) {
	c.t.Helper()
	if err := c.nodes[i].stop(); err != nil {
		c.t.Fatalf("stop node %d: %v", i, err)
	}
	c.nodes[i] = nil
}

func (c *clusterNodes) waitServing(i ...int) {
	c.t.Helper()
	for _, k := range i {
		waitServing(c.t, c.nodes[k].Node)
	}
}

// primary polls until the running nodes agree on a normal primary and
// returns it.
func (c *clusterNodes) primary() int {
	c.t.Helper()
	var last []State
	p := -1
	ok := poll(30*time.Second, func() bool {
		last = last[:0]
		p = -1
		for _, rn := range c.nodes {
			if rn == nil {
				continue
			}
			st := rn.State()
			last = append(last, st)
			if st.Status != vsr.StatusNormal || (p >= 0 && st.Primary != p) {
				return false
			}
			p = st.Primary
		}
		return p >= 0 && c.nodes[p] != nil && c.nodes[p].State().Serving
	})
	if !ok {
		c.t.Fatalf("no agreed primary: %+v", last)
	}
	return p
}

// converge polls until every running node's machine has the same ops and
// digest, and at least opsMin ops.
func (c *clusterNodes) converge(opsMin uint64) summary {
	c.t.Helper()
	var got []summary
	ok := poll(60*time.Second, func() bool {
		got = got[:0]
		for i, rn := range c.nodes {
			if rn != nil {
				got = append(got, c.sms[i].summary())
			}
		}
		for _, s := range got {
			if s != got[0] || s.ops < opsMin {
				return false
			}
		}
		return true
	})
	if !ok {
		states := make([]string, 0, len(c.nodes))
		for _, rn := range c.nodes {
			if rn != nil {
				states = append(states, fmt.Sprintf("%+v", rn.State()))
			}
		}
		c.t.Fatalf("machines did not converge to %d ops: %+v; states %v", opsMin, got, states)
	}
	return got[0]
}

// poll calls cond until it holds or d passes (no fixed sleeps: a short
// back-off between tries).
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	wait := time.Millisecond
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		t := time.NewTimer(wait)
		<-t.C
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// ack is one acknowledged append.
type ack struct {
	key    [16]byte
	part   uint32
	offset uint64
	op     uint64
}

// appendOnce submits one append of payload p to partition part on n.
func appendOnce(ctx context.Context, n *Node, part uint32, p []byte) (ack, error) {
	rep, err := n.Submit(ctx, vsr.OperationAppend, appendBody(part, p))
	if err != nil {
		return ack{}, err
	}
	res, err := vsr.DecodeAppendResult(rep.Body)
	if err != nil || res.Code != vsr.CodeOK {
		return ack{}, fmt.Errorf("append result %+v: %v", res, err)
	}
	return ack{key: [16]byte(p[:16]), part: part, offset: res.FirstOffset, op: rep.Op}, nil
}

// checkAcks: every acknowledged payload sits exactly once, at its
// acknowledged offset, and no payload sits twice.
func checkAcks(t testing.TB, name string, got map[[16]byte][]where, acks []ack) {
	t.Helper()
	for k, ws := range got {
		if len(ws) > 1 {
			t.Errorf("%s: payload %x applied %d times: %v", name, k, len(ws), ws)
		}
	}
	for _, a := range acks {
		ws := got[a.key]
		if len(ws) != 1 || ws[0] != (where{a.part, a.offset}) {
			t.Errorf("%s: acked payload %x (partition %d offset %d) found at %v", name, a.key, a.part, a.offset, ws)
		}
	}
}

// checkContiguous: the acknowledged offsets of each partition are distinct
// and, when every submit was acknowledged, exactly 0..n-1.
func checkContiguous(t testing.TB, acks []ack) {
	t.Helper()
	seen := make(map[where]bool)
	ops := make(map[uint64]bool)
	count := make(map[uint32]uint64)
	for _, a := range acks {
		w := where{a.part, a.offset}
		if seen[w] || ops[a.op] {
			t.Fatalf("offset %+v or op %d acknowledged twice", w, a.op)
		}
		seen[w], ops[a.op] = true, true
		count[a.part]++
	}
	for w := range seen {
		if w.offset >= count[w.part] {
			t.Fatalf("partition %d: offset %d with only %d appends (a gap)", w.part, w.offset, count[w.part])
		}
	}
}

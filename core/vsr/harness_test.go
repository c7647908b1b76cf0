package vsr_test

import (
	"encoding/binary"
	"maps"
	"slices"
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
)

// tcluster is a small deterministic harness for scenario tests: a FIFO
// network that delivers everything unless a link is cut, disks that keep
// every write, and manual crashes.
type tcluster struct {
	t       *testing.T
	cfg     vsr.Config
	nodes   []*tnode
	queue   []tpacket
	cut     map[[2]int]bool // [from,to] dropped
	replies map[uint64][]*vsr.Message
	early   []vsr.Envelope // every Early envelope, for topology checks
	discard bool           // benchmarks: do not keep journal bytes
	wire    bool           // encode and decode every replica message, as a bus would
	synced  []uint64       // checkpoint ops installed by state transfer, any replica
}

type tnode struct {
	r       *vsr.Replica
	sm      *vsr.MemoryMachine
	sb      [][]byte
	ckpt    [2][]byte
	journal map[uint64]vsr.JournalRecord // by slot
	up      bool
}

type tpacket struct {
	from int
	env  vsr.Envelope
}

func newCluster(t *testing.T, n int) *tcluster {
	t.Helper()
	return newClusterConfig(t, vsr.Config{Cluster: 1, ReplicaCount: n})
}

// newClusterConfig builds a cluster of cfg.ReplicaCount replicas.
func newClusterConfig(t *testing.T, cfg vsr.Config) *tcluster {
	t.Helper()
	n := cfg.ReplicaCount
	c := &tcluster{t: t, cfg: cfg, cut: map[[2]int]bool{}, replies: map[uint64][]*vsr.Message{}}
	for i := range n {
		cfg := c.cfg
		cfg.Replica = i
		sm := vsr.NewMemoryMachine()
		r, err := vsr.New(cfg, sm, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, &tnode{r: r, sm: sm, sb: make([][]byte, vsr.SuperblockCopies),
			journal: map[uint64]vsr.JournalRecord{}, up: true})
	}
	return c
}

func (c *tcluster) flush(i int) {
	n := c.nodes[i]
	for n.up && n.r.HasReady() {
		rd := n.r.Ready()
		for _, e := range rd.Early {
			c.early = append(c.early, e)
			c.queue = append(c.queue, tpacket{from: i, env: e})
		}
		if rd.Synced > 0 {
			c.synced = append(c.synced, rd.Synced)
		}
		if w := rd.Checkpoint; w != nil {
			n.ckpt[w.Slot] = w.Data
		}
		if rd.Superblock != nil {
			for k := range n.sb {
				n.sb[k] = rd.Superblock
			}
		}
		for _, w := range rd.Writes {
			if c.discard {
				continue
			}
			n.journal[w.Slot] = vsr.JournalRecord{Slot: w.Slot, Prepare: w.Prepare, Header: w.Prepare[:vsr.HeaderSize]}
		}
		for _, e := range rd.Messages {
			c.queue = append(c.queue, tpacket{from: i, env: e})
		}
		n.r.Advance(rd)
	}
}

// deliver runs the network until it is quiet.
func (c *tcluster) deliver() {
	for steps := 0; len(c.queue) > 0; steps++ {
		if steps > 1_000_000 {
			c.t.Fatal("network never quiesces")
		}
		p := c.queue[0]
		c.queue = c.queue[1:]
		if p.env.ToClient {
			c.replies[p.env.Client] = append(c.replies[p.env.Client], p.env.Msg)
			continue
		}
		if c.wire {
			frame, err := vsr.EncodeMessage(p.env.Msg, c.cfg.Cluster)
			if err != nil {
				c.t.Fatal(err)
			}
			if p.env.Msg, err = vsr.DecodeMessage(frame, c.cfg.Cluster); err != nil {
				c.t.Fatal(err)
			}
		}
		to := p.env.To
		if c.cut[[2]int{p.from, to}] || !c.nodes[to].up || (p.from >= 0 && !c.nodes[p.from].up) {
			continue
		}
		c.nodes[to].r.Step(p.env.Msg)
		c.flush(to)
	}
}

func (c *tcluster) tick(n int) {
	for range n {
		for i, nd := range c.nodes {
			if nd.up {
				nd.r.Tick()
				c.flush(i)
			}
		}
		c.deliver()
	}
}

// tickUntil ticks until cond holds, failing after limit ticks.
func (c *tcluster) tickUntil(limit int, what string, cond func() bool) {
	c.t.Helper()
	for range limit {
		if cond() {
			return
		}
		c.tick(1)
	}
	if !cond() {
		c.t.Fatalf("after %d ticks: %s", limit, what)
	}
}

func (c *tcluster) isolate(i int, on bool) {
	for j := range c.nodes {
		if j != i {
			c.cut[[2]int{i, j}] = on
			c.cut[[2]int{j, i}] = on
		}
	}
}

func (c *tcluster) crash(i int) { c.nodes[i].up = false }

func (c *tcluster) restart(i int) {
	c.t.Helper()
	n := c.nodes[i]
	sb, fix, err := vsr.OpenSuperblock(n.sb, c.cfg.Cluster, i)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, w := range fix {
		n.sb[w.Index] = w.Data
	}
	var recs []vsr.JournalRecord
	for _, op := range slices.Sorted(maps.Keys(n.journal)) {
		recs = append(recs, n.journal[op])
	}
	cfg := c.cfg
	cfg.Replica = i
	n.sm = vsr.NewMemoryMachine()
	var ckpt []byte
	if sb.CheckpointOp > 0 {
		ckpt = n.ckpt[sb.CheckpointSlot]
	}
	r, err := vsr.Restart(cfg, n.sm, nil, sb, ckpt, recs)
	if err != nil {
		c.t.Fatal(err)
	}
	n.r, n.up = r, true
	c.flush(i)
}

// send delivers a client request to replica to.
func (c *tcluster) send(to int, m *vsr.Message) {
	c.queue = append(c.queue, tpacket{from: -1, env: vsr.Envelope{To: to, Msg: m}})
	c.deliver()
}

func (c *tcluster) lastReply(client uint64) *vsr.Message {
	rs := c.replies[client]
	if len(rs) == 0 {
		return nil
	}
	return rs[len(rs)-1]
}

// register opens a session for client through replica to.
func (c *tcluster) register(to int, client uint64) uint64 {
	c.t.Helper()
	c.send(to, &vsr.Message{Command: vsr.CmdRequest, Client: client, Operation: vsr.OperationRegister})
	rep := c.lastReply(client)
	if rep == nil {
		c.t.Fatalf("no reply to register of client %d", client)
	}
	return binary.LittleEndian.Uint64(rep.Body)
}

func appendRequest(client, session, request uint64, partition uint32, payload uint64) *vsr.Message {
	body := vsr.EncodeAppend(vsr.AppendOp{PartitionRef: vsr.PartitionRef{Partition: partition}, Count: 1,
		Frames: binary.LittleEndian.AppendUint64(nil, payload)})
	return &vsr.Message{Command: vsr.CmdRequest, Client: client, Session: session, Request: request,
		Operation: vsr.OperationAppend, Body: body}
}

// appendOK sends an append and returns the offset from its reply.
func (c *tcluster) appendOK(to int, client, session, request uint64) uint64 {
	c.t.Helper()
	before := len(c.replies[client])
	c.send(to, appendRequest(client, session, request, 0, request))
	if len(c.replies[client]) == before {
		c.t.Fatalf("no reply to request %d", request)
	}
	res, err := vsr.DecodeAppendResult(c.lastReply(client).Body)
	if err != nil || res.Code != vsr.CodeOK {
		c.t.Fatalf("request %d: %+v %v", request, res, err)
	}
	return res.FirstOffset
}

func (c *tcluster) primary() int {
	for i, n := range c.nodes {
		if n.up && n.r.Status() == vsr.StatusNormal && n.r.IsPrimary() {
			return i
		}
	}
	return -1
}

// converged: all up replicas executed everything and agree on the state.
func (c *tcluster) converged() bool {
	var first *tnode
	for _, n := range c.nodes {
		if !n.up {
			continue
		}
		if n.r.CommitMin() != n.r.CommitMax() || n.r.CommitMin() != n.r.Head() {
			return false
		}
		if first == nil {
			first = n
		} else if n.sm.Digest() != first.sm.Digest() || n.r.CommitMin() != first.r.CommitMin() {
			return false
		}
	}
	return true
}

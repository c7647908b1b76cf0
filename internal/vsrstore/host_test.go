package vsrstore

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
)

// The driver loop a real host runs, in test form: replicas on real
// directories, a FIFO in-memory network between them, clients as plain
// request messages. Not a server: no sockets, no goroutines.

const testCluster = 7

// testConfig is small enough that runs wrap the journal and checkpoint
// many times: 64 slots, a checkpoint every 48 ops.
func testConfig(n int) (vsr.Config, Config) {
	vc := vsr.Config{Cluster: testCluster, ReplicaCount: n, JournalSlots: 64}.WithDefaults()
	return vc, Config{JournalSlots: vc.JournalSlots, PrepareSizeBytesMax: 32 << 10, CheckpointSizeBytesMax: 16 << 20}
}

type node struct {
	dir string
	cfg vsr.Config
	st  *Store
	rec *Recovered
	r   *vsr.Replica
	sm  *vsr.MemoryMachine
}

type packet struct {
	from int
	env  vsr.Envelope
}

type cluster struct {
	t       testing.TB
	ctx     context.Context
	vc      vsr.Config
	sc      Config
	nodes   []*node
	queue   []packet
	replies map[uint64]*vsr.Message // latest reply per client
	onReply func(*vsr.Message)      // called once the reply may leave (after Persist)
}

func newTestCluster(t testing.TB, dirs []string) *cluster {
	t.Helper()
	vc, sc := testConfig(len(dirs))
	c := &cluster{t: t, ctx: context.Background(), vc: vc, sc: sc, replies: map[uint64]*vsr.Message{}}
	for i, dir := range dirs {
		if err := Format(c.ctx, dir, sc, i, testCluster); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, &node{dir: dir})
		c.start(i)
	}
	return c
}

// start opens node i's store and builds its replica from what is durable.
func (c *cluster) start(i int) {
	c.t.Helper()
	n := c.nodes[i]
	st, rec, err := Open(c.ctx, n.dir, c.sc)
	if err != nil {
		c.t.Fatalf("replica %d: %v", i, err)
	}
	n.cfg = c.vc
	n.cfg.Replica = i
	n.st, n.rec, n.sm = st, rec, vsr.NewMemoryMachine()
	if n.r, err = rec.Start(n.cfg, n.sm, nil); err != nil {
		c.t.Fatalf("replica %d: %v", i, err)
	}
	c.flush(i)
}

// crash drops node i as kill -9 would: nothing but what Persist made
// durable survives.
func (c *cluster) crash(i int) {
	n := c.nodes[i]
	if err := n.st.Close(); err != nil {
		c.t.Fatal(err)
	}
	n.r, n.st, n.sm = nil, nil, nil
}

// flush is the host loop: persist each Ready, then release its messages,
// then Advance.
func (c *cluster) flush(i int) {
	c.t.Helper()
	n := c.nodes[i]
	for n.r != nil && n.r.HasReady() {
		rd := n.r.Ready()
		for _, e := range rd.Early {
			c.queue = append(c.queue, packet{from: i, env: e})
		}
		if err := n.st.Persist(c.ctx, rd); err != nil {
			c.t.Fatalf("replica %d: %v", i, err)
		}
		for _, e := range rd.Messages {
			if e.ToClient {
				c.replies[e.Client] = e.Msg
				if c.onReply != nil {
					c.onReply(e.Msg)
				}
				continue
			}
			c.queue = append(c.queue, packet{from: i, env: e})
		}
		n.r.Advance(rd)
	}
}

// deliver runs the network until it is empty.
func (c *cluster) deliver() {
	for len(c.queue) > 0 {
		p := c.queue[0]
		c.queue = c.queue[1:]
		if to := c.nodes[p.env.To]; to.r != nil {
			to.r.Step(p.env.Msg)
			c.flush(p.env.To)
		}
	}
}

// settle delivers and ticks until done holds, failing after ticksMax.
func (c *cluster) settle(ticksMax int, what string, done func() bool) {
	c.t.Helper()
	for range ticksMax {
		c.deliver()
		if done() {
			return
		}
		for i, n := range c.nodes {
			if n.r != nil {
				n.r.Tick()
				c.flush(i)
			}
		}
	}
	c.t.Fatalf("not settled after %d ticks: %s", ticksMax, what)
}

func (c *cluster) primary() *node {
	for _, n := range c.nodes {
		if n.r != nil && n.r.Status() == vsr.StatusNormal && n.r.IsPrimary() {
			return n
		}
	}
	return nil
}

func (c *cluster) normal() bool {
	p := c.primary()
	if p == nil {
		return false
	}
	for _, n := range c.nodes {
		if n.r != nil && (n.r.Status() != vsr.StatusNormal || n.r.View() != p.r.View()) {
			return false
		}
	}
	return true
}

// request sends m to the primary and waits for its reply.
func (c *cluster) request(m *vsr.Message) *vsr.Message {
	c.t.Helper()
	c.settle(2000, "a normal primary", c.normal)
	delete(c.replies, m.Client)
	p := c.primary()
	i := p.r.Index()
	p.r.Step(m)
	c.flush(i)
	c.settle(2000, "reply", func() bool {
		r := c.replies[m.Client]
		return r != nil && r.Request == m.Request
	})
	return c.replies[m.Client]
}

func (c *cluster) register(client uint64) uint64 {
	c.t.Helper()
	rep := c.request(&vsr.Message{Command: vsr.CmdRequest, Client: client, Operation: vsr.OperationRegister})
	return binary.LittleEndian.Uint64(rep.Body)
}

// appendReq builds a one-message append of payload to partition part.
func appendReq(client, session, request uint64, part uint32, payload []byte) *vsr.Message {
	body := vsr.EncodeAppend(vsr.AppendOp{PartitionRef: vsr.PartitionRef{Partition: part}, Count: 1, Frames: payload})
	return &vsr.Message{Command: vsr.CmdRequest, Client: client, Session: session, Request: request,
		Operation: vsr.OperationAppend, Body: body}
}

func (c *cluster) append(client, session, request uint64, part uint32, payload []byte) vsr.AppendResult {
	c.t.Helper()
	rep := c.request(appendReq(client, session, request, part, payload))
	res, err := vsr.DecodeAppendResult(rep.Body)
	if err != nil || res.Code != vsr.CodeOK {
		c.t.Fatalf("append %d: %+v %v", request, res, err)
	}
	return res
}

// payload is a recognisable body of size bytes for (client, request).
func payload(client, request uint64, size int) []byte {
	b := make([]byte, max(size, 16))
	binary.LittleEndian.PutUint64(b, client)
	binary.LittleEndian.PutUint64(b[8:], request)
	for i := 16; i < len(b); i++ {
		b[i] = byte(client*31 + request*7 + uint64(i))
	}
	return b
}

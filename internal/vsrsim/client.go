package vsrsim

import (
	"encoding/binary"

	"github.com/runnel-io/runnel/core/vsr"
)

const (
	clientTimeoutTicks = 40
	partitionKeys      = 3
)

// client is a simulated client with at most one request outstanding,
// retrying it (same request number) until it gets the reply.
type client struct {
	c         *Cluster
	idx       int
	id        uint64
	session   uint64
	regView   uint64 // view of the register reply
	request   uint64
	target    int
	pending   *call
	resendAt  uint64
	completed int
	history   []record
}

// call is an outstanding request.
type call struct {
	msg   *vsr.Message
	start uint64
	key   uint32
	count uint32
	id    uint64
}

// record is one finished (or abandoned) append for porcupine.
type record struct {
	call, ret uint64 // ret = 0: no reply
	key       uint32
	count     uint32
	id        uint64
	offset    uint64
}

func (cl *client) tickClient(issue bool) {
	c := cl.c
	switch {
	case cl.pending != nil:
		if c.tick >= cl.resendAt {
			cl.target = (cl.target + 1) % c.opts.Replicas
			cl.transmit()
		}
	case cl.session == 0:
		cl.start(&vsr.Message{Command: vsr.CmdRequest, Client: cl.id, Operation: vsr.OperationRegister}, 0, 0, 0)
	case issue && c.rng.Float64() < c.faults.issueP+0.05:
		cl.request++
		key := uint32(c.rng.IntN(partitionKeys))
		count := uint32(1 + c.rng.IntN(3))
		id := uint64(cl.idx)<<40 | cl.request
		frames := binary.LittleEndian.AppendUint64(nil, id)
		body := vsr.EncodeAppend(vsr.AppendOp{PartitionRef: vsr.PartitionRef{Partition: key}, Count: count, Frames: frames})
		cl.start(&vsr.Message{Command: vsr.CmdRequest, Client: cl.id, Session: cl.session, Request: cl.request,
			Operation: vsr.OperationAppend, Body: body}, key, count, id)
	}
}

func (cl *client) start(m *vsr.Message, key, count uint32, id uint64) {
	cl.pending = &call{msg: m, start: cl.c.tick, key: key, count: count, id: id}
	cl.transmit()
}

func (cl *client) transmit() {
	c := cl.c
	cl.resendAt = c.tick + clientTimeoutTicks
	c.net.send(-1, vsr.Envelope{To: cl.target, Msg: cl.pending.msg})
}

func (c *Cluster) deliverClient(id uint64, m *vsr.Message) {
	if cl := c.byID[id]; cl != nil {
		cl.onReply(m)
	}
}

func (cl *client) onReply(m *vsr.Message) {
	c := cl.c
	p := cl.pending
	if p == nil || m.Command != vsr.CmdReply || m.Request != p.msg.Request {
		return
	}
	if m.Status == vsr.ReplyEvicted && m.View < cl.regView {
		return // a stale primary that has not executed our register: not authoritative
	}
	if m.Status == vsr.ReplyEvicted {
		c.fail("client %d evicted (session %d) though the table has room", cl.idx, cl.session)
		return
	}
	if m.Op == 0 || m.Op >= uint64(len(c.canon)) {
		c.fail("client %d: reply for op %d, which was never executed", cl.idx, m.Op)
		return
	}
	if co := c.canon[m.Op]; co.client != cl.id || co.request != m.Request || co.result != string(m.Body) {
		c.fail("client %d request %d: reply names op %d, which executed client %x request %d", cl.idx,
			m.Request, m.Op, co.client, co.request)
		return
	}
	cl.target = vsr.PrimaryOf(m.View, c.opts.Replicas)
	cl.pending = nil
	c.trace(0xc1, cl.id, m.Op)
	if p.msg.Operation == vsr.OperationRegister {
		cl.session = binary.LittleEndian.Uint64(m.Body)
		cl.regView = m.View
		return
	}
	res, err := vsr.DecodeAppendResult(m.Body)
	if err != nil || res.Code != vsr.CodeOK || res.Count != p.count {
		c.fail("client %d request %d: bad append result %+v %v", cl.idx, m.Request, res, err)
		return
	}
	cl.completed++
	cl.history = append(cl.history, record{call: p.start, ret: c.tick, key: p.key, count: p.count, id: p.id,
		offset: res.FirstOffset})
}

func (c *Cluster) completed() int {
	n := 0
	for _, cl := range c.clients {
		n += cl.completed
	}
	return n
}

package vsrsim

import (
	"errors"

	"github.com/runnel-io/runnel/core/vsr"
)

// packet is an encoded message in flight. to < 0 addresses a client.
type packet struct {
	from, to int
	client   uint64
	frame    []byte
}

// network delivers packets after a random delay; per-tick buckets keep
// delivery order deterministic.
type network struct {
	c         *Cluster
	inflight  map[uint64][]packet
	side      uint64 // replicas in side A of a partition; 0 = none
	healAt    uint64
	delivered int
	rejected  int // corrupted in flight, rejected by the decoder
}

func (n *network) send(from int, e vsr.Envelope) {
	c := n.c
	f := c.faults
	frame, err := vsr.EncodeMessage(e.Msg, c.cfg.Cluster)
	if err != nil {
		c.fail("replica %d sent an unencodable %s: %v", from, e.Msg.Command, err)
		return
	}
	p := packet{from: from, to: e.To, frame: frame}
	if e.ToClient {
		p.to, p.client = -1, e.Client
	}
	if from >= 0 && p.to >= 0 && n.cut(from, p.to) {
		return
	}
	if c.rng.Float64() < f.dropP {
		return
	}
	copies := 1
	if c.rng.Float64() < f.dupP {
		copies = 2
	}
	for range copies {
		q := p
		if c.rng.Float64() < f.netCorruptP {
			q.frame = corrupt(p.frame, c.rng.IntN(len(p.frame)))
		}
		at := c.tick + 1 + uint64(c.rng.IntN(f.delayMax))
		n.inflight[at] = append(n.inflight[at], q)
	}
}

// cut reports whether a partition separates two replicas.
func (n *network) cut(a, b int) bool {
	if n.side == 0 {
		return false
	}
	return (n.side>>a)&1 != (n.side>>b)&1
}

// deliver hands this tick's packets to their receivers.
func (n *network) deliver() {
	ps := n.inflight[n.c.tick]
	delete(n.inflight, n.c.tick)
	for _, p := range ps {
		if p.to >= 0 && p.from >= 0 && n.cut(p.from, p.to) {
			continue
		}
		m, err := vsr.DecodeMessage(p.frame, n.c.cfg.Cluster)
		if err != nil {
			if !errors.Is(err, vsr.ErrMessage) {
				n.c.fail("decode error %v does not wrap vsr.ErrMessage", err)
			}
			n.rejected++
			continue
		}
		n.delivered++
		n.c.trace(uint64(p.to+1), uint64(m.Command), m.View, m.Op)
		if p.to < 0 {
			n.c.deliverClient(p.client, m)
			continue
		}
		n.c.deliverReplica(p.to, m)
	}
}

// maybePartition starts or heals a random partition.
func (n *network) maybePartition() {
	c := n.c
	if n.side != 0 {
		if c.tick >= n.healAt {
			n.side = 0
		}
		return
	}
	if c.opts.Replicas < 2 || c.rng.Float64() >= c.faults.partitionP {
		return
	}
	all := uint64(1)<<c.opts.Replicas - 1
	side := c.rng.Uint64() & all
	if side == 0 || side == all {
		side = 1 << c.rng.IntN(c.opts.Replicas)
	}
	n.side = side
	n.healAt = c.tick + 1 + uint64(c.rng.IntN(c.faults.partitionTicksMax))
	c.stats.partitions++
}

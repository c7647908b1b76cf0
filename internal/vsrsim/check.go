package vsrsim

import (
	"encoding/binary"
	"fmt"

	"github.com/anishathalye/porcupine"
	"github.com/runnel-io/runnel/core/vsr"
)

// checkFinal runs after convergence: identical state everywhere, every
// payload applied at most once, and linearizable client histories.
func (c *Cluster) checkFinal() {
	first := c.nodes[0]
	for i, n := range c.nodes {
		if n.r.CommitMin() != uint64(len(c.canon)-1) {
			c.fail("replica %d executed %d ops, canonical history has %d", i, n.r.CommitMin(), len(c.canon)-1)
			return
		}
		if n.sm.Digest() != first.sm.Digest() {
			c.fail("replica %d state digest differs from replica 0", i)
			return
		}
	}
	seen := make(map[uint64]bool)
	for k := range uint32(partitionKeys) {
		for _, b := range first.sm.Batches(vsr.PartitionRef{Partition: k}) {
			id := binary.LittleEndian.Uint64(b)
			if seen[id] {
				c.fail("payload %x applied twice", id)
				return
			}
			seen[id] = true
		}
	}
	if res := c.linearizable(); res != porcupine.Ok {
		c.fail("client history is not linearizable: %s", res)
	}
}

type appendIn struct {
	key   uint32
	count uint32
}

type appendOut struct {
	offset  uint64
	unknown bool
}

// appendModel: a partition is a length; an append returns the current
// length and adds its count. An unanswered append may or may not have
// happened.
func appendModel() porcupine.NondeterministicModel {
	return porcupine.NondeterministicModel{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			parts := make([][]porcupine.Operation, partitionKeys)
			for _, op := range h {
				k := op.Input.(appendIn).key
				parts[k] = append(parts[k], op)
			}
			return parts
		},
		Init: func() []any { return []any{uint64(0)} },
		Step: func(state, input, output any) []any {
			s, in, out := state.(uint64), input.(appendIn), output.(appendOut)
			switch {
			case out.unknown:
				return []any{s, s + uint64(in.count)}
			case out.offset == s:
				return []any{s + uint64(in.count)}
			}
			return nil
		},
		Equal: func(a, b any) bool { return a.(uint64) == b.(uint64) },
		DescribeOperation: func(input, output any) string {
			return fmt.Sprintf("append(%d, %d) -> %+v", input.(appendIn).key, input.(appendIn).count, output)
		},
	}
}

func (c *Cluster) linearizable() porcupine.CheckResult {
	var ops []porcupine.Operation
	for _, cl := range c.clients {
		for _, r := range cl.history {
			ops = append(ops, porcupine.Operation{ClientId: cl.idx, Input: appendIn{r.key, r.count},
				Call: int64(2 * r.call), Output: appendOut{offset: r.offset}, Return: int64(2*r.ret + 1)})
		}
		if p := cl.pending; p != nil && p.msg.Operation == vsr.OperationAppend {
			ops = append(ops, porcupine.Operation{ClientId: cl.idx, Input: appendIn{p.key, p.count},
				Call: int64(2 * p.start), Output: appendOut{unknown: true}, Return: int64(1) << 62})
		}
	}
	m := appendModel()
	if porcupine.CheckOperations(m.ToModel(), ops) {
		return porcupine.Ok
	}
	return porcupine.Illegal
}

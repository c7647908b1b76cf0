package vsrsim

import (
	"slices"

	"github.com/runnel-io/runnel/core/vsr"
)

// disk is one replica's simulated durable storage: superblock copies, the
// journal's prepare slots and redundant header slots, indexed by op. It
// survives crashes; faults change its bytes.
type disk struct {
	sb       [vsr.SuperblockCopies][]byte
	prepares map[uint64][]byte
	headers  map[uint64][]byte
	ops      []uint64 // every op ever written, ascending
}

func newDisk() *disk {
	return &disk{prepares: make(map[uint64][]byte), headers: make(map[uint64][]byte)}
}

// write is one sector-level write of a Ready, in the order the host issues
// them: superblock copies, then per op the prepare and its header.
type write struct {
	kind int // 0 superblock copy, 1 prepare, 2 header
	slot uint64
	data []byte
}

func writesOf(rd *vsr.Ready) []write {
	var ws []write
	if rd.Superblock != nil {
		for i := range vsr.SuperblockCopies {
			ws = append(ws, write{kind: 0, slot: uint64(i), data: rd.Superblock})
		}
	}
	for _, w := range rd.Writes {
		ws = append(ws, write{kind: 1, slot: w.Op, data: w.Prepare},
			write{kind: 2, slot: w.Op, data: w.Prepare[:vsr.HeaderSize]})
	}
	return ws
}

func (d *disk) apply(w write) {
	switch w.kind {
	case 0:
		d.sb[w.slot] = w.data
	case 1:
		d.note(w.slot)
		d.prepares[w.slot] = w.data
	case 2:
		d.note(w.slot)
		d.headers[w.slot] = w.data
	}
}

func (d *disk) note(op uint64) {
	if _, ok := d.prepares[op]; ok {
		return
	}
	if _, ok := d.headers[op]; ok {
		return
	}
	i, _ := slices.BinarySearch(d.ops, op)
	d.ops = slices.Insert(d.ops, i, op)
}

// persist applies writes; with tearAt >= 0 only writes before it land, the
// one at tearAt lands torn (a prefix, the rest garbage) if torn, and the
// rest are lost.
func (d *disk) persist(ws []write, tearAt int, torn bool, garbage byte) {
	for i, w := range ws {
		if tearAt >= 0 && i >= tearAt {
			if i == tearAt && torn {
				t := append([]byte(nil), w.data...)
				for j := len(t) / 2; j < len(t); j++ {
					t[j] ^= garbage | 1
				}
				w.data = t
				d.apply(w)
			}
			return
		}
		d.apply(w)
	}
}

// records returns the journal as read at restart.
func (d *disk) records() []vsr.JournalRecord {
	rs := make([]vsr.JournalRecord, 0, len(d.ops))
	for _, op := range d.ops {
		rs = append(rs, vsr.JournalRecord{Op: op, Prepare: d.prepares[op], Header: d.headers[op]})
	}
	return rs
}

func corrupt(b []byte, at int) []byte {
	c := append([]byte(nil), b...)
	c[at%len(c)] ^= 0x5a
	return c
}

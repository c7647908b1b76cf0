package vsrsim

import (
	"encoding/binary"
	"slices"

	"github.com/runnel-io/runnel/core/vsr"
)

// disk is one replica's simulated durable storage: superblock copies, two
// checkpoint slots, and the journal ring's prepare slots and redundant
// header slots. It survives crashes; faults change its bytes.
type disk struct {
	sb       [vsr.SuperblockCopies][]byte
	ckpt     [2][]byte
	prepares map[uint64][]byte // by journal slot
	headers  map[uint64][]byte
	slots    []uint64 // every slot ever written, ascending
}

func newDisk() *disk {
	return &disk{prepares: make(map[uint64][]byte), headers: make(map[uint64][]byte)}
}

// Kinds of writes.
const (
	writeSuperblock = iota
	writePrepare
	writeHeader
	writeCheckpoint
)

// write is one sector-level write of a Ready, in the order the host issues
// them: checkpoint, superblock copies, then per op the prepare and its
// header.
type write struct {
	kind int
	slot uint64
	op   uint64
	data []byte
	lost bool // a fault: the write never reaches the disk
}

func writesOf(rd *vsr.Ready) []write {
	var ws []write
	if c := rd.Checkpoint; c != nil {
		ws = append(ws, write{kind: writeCheckpoint, slot: uint64(c.Slot), op: c.Op, data: c.Data})
	}
	if rd.Superblock != nil {
		for i := range vsr.SuperblockCopies {
			ws = append(ws, write{kind: writeSuperblock, slot: uint64(i), data: rd.Superblock})
		}
	}
	for _, w := range rd.Writes {
		ws = append(ws, write{kind: writePrepare, slot: w.Slot, op: w.Op, data: w.Prepare},
			write{kind: writeHeader, slot: w.Slot, op: w.Op, data: w.Prepare[:vsr.HeaderSize]})
	}
	return ws
}

func (d *disk) apply(w write) {
	if w.lost {
		return
	}
	switch w.kind {
	case writeSuperblock:
		d.sb[w.slot] = w.data
	case writeCheckpoint:
		d.ckpt[w.slot] = w.data
	case writePrepare:
		d.note(w.slot)
		d.prepares[w.slot] = w.data
	case writeHeader:
		d.note(w.slot)
		d.headers[w.slot] = w.data
	}
}

func (d *disk) note(slot uint64) {
	if i, ok := slices.BinarySearch(d.slots, slot); !ok {
		d.slots = slices.Insert(d.slots, i, slot)
	}
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
	rs := make([]vsr.JournalRecord, 0, len(d.slots))
	for _, s := range d.slots {
		rs = append(rs, vsr.JournalRecord{Slot: s, Prepare: d.prepares[s], Header: d.headers[s]})
	}
	return rs
}

// intact reports whether slot holds a readable prepare and the matching
// redundant header: the only state in which one more fault stays within
// the model (at most one of an op's two records damaged per replica).
func (d *disk) intact(slot uint64) bool {
	p, h := d.prepares[slot], d.headers[slot]
	if p == nil || h == nil {
		return false
	}
	_, err := vsr.DecodePrepare(p)
	return err == nil && string(h) == string(p[:vsr.HeaderSize])
}

// opOf returns the op a journal record names (header bytes 64..72).
func opOf(record []byte) uint64 {
	if len(record) < vsr.HeaderSize {
		return 0
	}
	return binary.LittleEndian.Uint64(record[64:])
}

func corrupt(b []byte, at int) []byte {
	c := append([]byte(nil), b...)
	c[at%len(c)] ^= 0x5a
	return c
}

package vsr

import (
	"encoding/binary"
	"fmt"
)

// checkpointSizeMax bounds a checkpoint a replica accepts from a peer.
const checkpointSizeMax = 1 << 30

// CheckpointWrite asks the host to store a checkpoint durably in checkpoint
// slot Slot (0 or 1), before the Ready's superblock, which references it.
type CheckpointWrite struct {
	Slot uint32
	Op   uint64
	Data []byte
}

// checkpoint describes one checkpoint: the state after executing op.
type checkpoint struct {
	op   uint64
	id   Checksum // checksum of op's prepare
	sum  Checksum // checksum of data
	slot uint32
	data []byte
}

// encodeCheckpoint serialises what executing the ops up to commitMin
// produced: the latest timestamp, the client table and the state machine.
func (r *Replica) encodeCheckpoint() []byte {
	le := binary.LittleEndian
	b := le.AppendUint64(nil, r.execTS)
	b = le.AppendUint32(b, uint32(len(r.clients.entries)))
	for _, e := range r.clients.entries {
		b = le.AppendUint64(b, e.client)
		b = le.AppendUint64(b, e.session)
		b = le.AppendUint64(b, e.request)
		b = le.AppendUint64(b, e.op)
		b = le.AppendUint32(b, uint32(len(e.reply)))
		b = append(b, e.reply...)
	}
	return append(b, r.sm.Snapshot()...)
}

// restoreCheckpoint loads a checkpoint's data into the replica and its
// state machine.
func (r *Replica) restoreCheckpoint(data []byte) error {
	rd := &reader{b: data}
	lastTS := rd.u64()
	clients := newClientTable(r.cfg.ClientsMax)
	for range rd.count(r.cfg.ClientsMax, 36) {
		e := clientEntry{client: rd.u64(), session: rd.u64(), request: rd.u64(), op: rd.u64()}
		if reply := rd.take(int(rd.u32())); len(reply) > 0 {
			e.reply = append([]byte(nil), reply...)
		}
		clients.index[e.client] = len(clients.entries)
		clients.entries = append(clients.entries, e)
	}
	if rd.err != nil {
		return fmt.Errorf("vsr: checkpoint: %w", rd.err)
	}
	if err := r.sm.Restore(data[rd.off:]); err != nil {
		return fmt.Errorf("vsr: checkpoint: %w", err)
	}
	r.lastTS, r.execTS, r.clients = max(r.lastTS, lastTS), lastTS, clients
	return nil
}

// maybeCheckpoint takes a checkpoint when the executed op is a multiple of
// the interval. It becomes durable (and frees journal slots) at Advance.
func (r *Replica) maybeCheckpoint() {
	if r.commitMin%uint64(r.cfg.CheckpointInterval) != 0 || r.commitMin <= r.ckpt.op {
		return
	}
	data := r.encodeCheckpoint()
	r.stageCheckpoint(checkpoint{op: r.commitMin, id: r.at(r.commitMin).id, sum: checksumOf(data), data: data}, false)
}

// stageCheckpoint asks the host to write c (to the slot the durable
// checkpoint does not use) and a superblock referencing it.
func (r *Replica) stageCheckpoint(c checkpoint, synced bool) {
	c.slot = 1 - r.ckpt.slot
	r.ckptNext = &c
	r.out.Checkpoint = &CheckpointWrite{Slot: c.slot, Op: c.op, Data: c.data}
	if synced {
		r.out.Synced = c.op
	}
	r.persistSuperblock()
}

// checkpointLanded promotes the staged checkpoint once durable and forgets
// log entries it covers that the journal no longer holds.
func (r *Replica) checkpointLanded() {
	if r.ckptNext == nil {
		return
	}
	r.ckpt, r.ckptNext = *r.ckptNext, nil
	r.contig = max(r.contig, r.ckpt.op) // the checkpoint makes its ops durable
	r.trim()
}

// writable reports whether op may be written to the journal: its slot
// holds nothing the durable checkpoint does not cover.
func (r *Replica) writable(op uint64) bool {
	return op <= r.ckpt.op+uint64(r.cfg.JournalSlots)
}

// trim drops log entries that are both covered by the durable checkpoint
// and overwritten in the journal (so cannot serve repairs anyway).
func (r *Replica) trim() {
	var kept uint64 // lowest op the journal may still hold
	if slots := uint64(r.cfg.JournalSlots); r.head+1 > slots {
		kept = r.head + 1 - slots
	}
	base := min(r.ckpt.op, kept, r.commitMin)
	if base <= r.base {
		return
	}
	n := base - r.base
	clear(r.ents[:n])
	r.ents = r.ents[n:]
	r.base = base
}

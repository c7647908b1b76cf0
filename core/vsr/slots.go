package vsr

// dvcSlotsMax bounds the slot descriptions carried by one DoViewChange.
const dvcSlotsMax = 1024

// SlotInfo is what a journal slot durably holds, as reported in a
// DoViewChange. It decides whether the sender can deny (nack) an op: a
// replica that acked an op in the view where it committed still holds it
// (or an unreadable slot), so an empty slot, or one holding a different
// readable prepare, proves it is not one of that view's ackers.
type SlotInfo struct {
	Written  bool
	Faulty   bool // unreadable: might be anything
	View     uint64
	Checksum Checksum
}

// slotRecord is what one journal slot durably holds: a record of op.
type slotRecord struct {
	op   uint64
	info SlotInfo
}

// markSlot records a durable record of op in its slot.
func (r *Replica) markSlot(op uint64, s SlotInfo) {
	s.Written = true
	r.slots[op%uint64(len(r.slots))] = slotRecord{op: op, info: s}
}

// slotInfo reports what the journal durably holds for op: nothing when its
// slot holds another op (older ones are covered by the checkpoint; a newer
// one means op was never written after it).
func (r *Replica) slotInfo(op uint64) SlotInfo {
	if s := r.slots[op%uint64(len(r.slots))]; s.info.Written && s.op == op {
		return s.info
	}
	return SlotInfo{}
}

// diskTop is the highest op with a durable record.
func (r *Replica) diskTop() uint64 {
	var top uint64
	for _, s := range r.slots {
		if s.info.Written {
			top = max(top, s.op)
		}
	}
	return top
}

// dvcSlot reads the sender's slot for op k. Beyond the slots it described,
// a slot is empty above DiskTop and unknown (treated as unreadable) below.
func dvcSlot(d *Message, k uint64) SlotInfo {
	if k > d.Commit {
		if i := k - d.Commit - 1; i < uint64(len(d.Slots)) {
			return d.Slots[i]
		}
		if k > d.DiskTop {
			return SlotInfo{}
		}
	}
	return SlotInfo{Written: true, Faulty: true}
}

// nacks reports whether DoViewChange d denies op k of the canonical log
// (best's log view, head op head, canonical checksum id if idOK).
func nacks(d *Message, k uint64, logView, head uint64, id Checksum, idOK bool) bool {
	s := dvcSlot(d, k)
	if !s.Written {
		return true
	}
	if s.Faulty {
		return false
	}
	if k <= head {
		return idOK && s.Checksum != id
	}
	// Above the canonical head only prepares of the canonical log view
	// matter: older ones, or a sender never normal in that view, deny.
	return d.LogView < logView || s.View < logView
}

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

// markSlot records a durable record at op.
func (r *Replica) markSlot(op uint64, s SlotInfo) {
	for uint64(len(r.slots)) <= op {
		r.slots = append(r.slots, SlotInfo{})
	}
	s.Written = true
	r.slots[op] = s
}

func (r *Replica) slotInfo(op uint64) SlotInfo {
	if op >= uint64(len(r.slots)) {
		return SlotInfo{}
	}
	return r.slots[op]
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

package vsr

import "fmt"

// State transfer: a replica that needs ops no peer's journal holds any more
// installs a peer's durable checkpoint, pulled in chunks of SyncChunkBytes,
// then catches up on the journal suffix by repair. A checkpoint holds only
// executed (so committed) ops, so installing one is safe in any view; the
// replica refuses only as a primary in normal status (it leads the log)
// and during a view change (its DoViewChange already describes its log).

// syncState is a checkpoint being received.
type syncState struct {
	op    uint64
	id    Checksum
	sum   Checksum
	size  uint64
	view  uint64
	buf   []byte
	from  int
	at    uint64 // tick of the last chunk
	tries int
}

func (s *syncState) active() bool { return s.op != 0 }

// offerSync sends the first chunk of the durable checkpoint to a replica
// whose executed op is below it.
func (r *Replica) offerSync(to int, askerCommit uint64) {
	if to == r.me || r.ckpt.op == 0 || r.ckpt.op <= askerCommit {
		return
	}
	r.sendChunk(to, 0)
}

func (r *Replica) sendChunk(to int, offset uint64) {
	size := uint64(len(r.ckpt.data))
	end := min(size, offset+uint64(r.cfg.SyncChunkBytes))
	r.send(to, &Message{Command: CmdSyncCheckpoint, View: r.view, Op: r.ckpt.op, Checksum: r.ckpt.id,
		Offset: offset, Size: size, SyncChecksum: r.ckpt.sum, Body: r.ckpt.data[offset:end]}, false)
}

func (r *Replica) onRequestSyncCheckpoint(m *Message) {
	if m.Op == r.ckpt.op && m.SyncChecksum == r.ckpt.sum && m.Offset < uint64(len(r.ckpt.data)) {
		r.sendChunk(m.Replica, m.Offset)
		return
	}
	r.offerSync(m.Replica, m.Commit) // moved on to a newer checkpoint: start over with it
}

// canSync: not during a view change. A primary may install a checkpoint
// of ops it knows are committed (its log holds every committed op, so the
// checkpoint extends it).
func (r *Replica) canSync() bool { return r.status != StatusViewChange }

func (r *Replica) onSyncCheckpoint(m *Message) {
	if !r.canSync() || m.Op <= r.commitMin || (r.primaryNormal() && m.Op > min(r.commitMax, r.head)) || m.Op%uint64(r.cfg.CheckpointInterval) != 0 ||
		m.Size == 0 || m.Size > checkpointSizeMax || m.Offset+uint64(len(m.Body)) > m.Size {
		return
	}
	s := &r.sync
	if s.op != m.Op || s.sum != m.SyncChecksum {
		if m.Offset != 0 || (s.active() && s.op >= m.Op) {
			return
		}
		*s = syncState{op: m.Op, id: m.Checksum, sum: m.SyncChecksum, size: m.Size,
			buf: make([]byte, 0, min(m.Size, 1<<20))}
	}
	if m.Offset != uint64(len(s.buf)) {
		return
	}
	s.buf = append(s.buf, m.Body...)
	s.from, s.at, s.tries, s.view = m.Replica, r.now, 0, max(s.view, m.View)
	if uint64(len(s.buf)) < s.size {
		r.requestChunk(m.Replica)
		return
	}
	done := *s
	r.sync = syncState{}
	if checksumOf(done.buf) != done.sum {
		return
	}
	r.installCheckpoint(done)
}

func (r *Replica) requestChunk(to int) {
	s := &r.sync
	r.send(to, &Message{Command: CmdRequestSyncCheckpoint, View: r.view, Op: s.op, Commit: r.commitMin,
		Offset: uint64(len(s.buf)), SyncChecksum: s.sum}, false)
}

// tickSync re-requests a stalled transfer, from another peer after a few
// tries (the first may have crashed or moved to a newer checkpoint).
func (r *Replica) tickSync() {
	s := &r.sync
	if !s.active() {
		return
	}
	if !r.canSync() || s.op <= r.commitMin {
		r.sync = syncState{}
		return
	}
	if r.now-s.at < 2*uint64(r.cfg.RepairTicks) {
		return
	}
	s.at = r.now
	s.tries++
	if s.tries > 3 {
		s.from = (s.from + 1) % r.n
		if s.from == r.me {
			s.from = (s.from + 1) % r.n
		}
		s.tries = 0
	}
	r.requestChunk(s.from)
}

// installCheckpoint replaces the executed prefix by a peer's checkpoint
// and keeps the log above it if it agrees. A log that disagrees at the
// checkpoint's op is from a stale view: it is dropped and the replica
// recovers (asks for a StartView), as it does if the peer's view is newer.
func (r *Replica) installCheckpoint(s syncState) {
	stale := s.op <= r.head && r.at(s.op).idOK && r.at(s.op).id != s.id
	if r.primaryNormal() && (stale || s.op > r.commitMax) {
		panic(fmt.Sprintf("vsr: replica %d: primary's log disagrees with committed checkpoint %d", r.me, s.op))
	}
	if err := r.restoreCheckpoint(s.buf); err != nil {
		panic("vsr: verified checkpoint does not restore: " + err.Error())
	}
	if s.op >= r.head || stale {
		clear(r.ents)
		r.ents = append(r.ents[:0], entry{id: s.id, idOK: true})
		r.base, r.head = s.op, s.op
	} else {
		n := s.op - r.base
		clear(r.ents[:n])
		r.ents = r.ents[n:]
		r.base = s.op
		e := r.at(s.op)
		e.id, e.idOK = s.id, true
	}
	r.commitMin, r.commitMax = s.op, max(r.commitMax, s.op)
	r.contig = max(r.contig, s.op)
	if s.view > r.view && !r.primaryNormal() {
		r.view = s.view
		stale = true
	}
	if stale {
		r.status, r.rsvAttempts, r.rsvAt = StatusRecovering, 0, r.now
	}
	r.stageCheckpoint(checkpoint{op: s.op, id: s.id, sum: s.sum, data: s.buf}, true)
	r.advanceContig()
	r.execute()
}

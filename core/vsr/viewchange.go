package vsr

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
)

// startViewChange moves to view v (persisted before anything is sent in it)
// and announces it.
func (r *Replica) startViewChange(v uint64) {
	if r.rec.on { // its own timeouts: never push the cluster to a new view
		r.rejoin(r.view)
		return
	}
	r.view, r.status = v, StatusViewChange
	r.svc, r.dvcSent = 1<<r.me, false
	clear(r.dvcs)
	r.queue = nil
	r.vcAt, r.resendAt = r.now, r.now+uint64(r.cfg.ResendTicks)
	r.persistSuperblock()
	r.broadcast(&Message{Command: CmdStartViewChange, View: v}, false)
	r.checkSVCQuorum()
}

// joinView reacts to a view-change message for view v. A restarted replica
// may rejoin the view change of its durable view, but not one of a view in
// which it was normal: as that view's primary it could otherwise prepare a
// second, different op under a number it already used before the crash.
func (r *Replica) joinView(v uint64) bool {
	if r.rec.on { // follow the view, take no part in its view change
		if v > r.view {
			r.rejoin(v)
		}
		return false
	}
	switch {
	case v > r.view || (v == r.view && r.status == StatusRecovering && r.logView < r.view):
		r.startViewChange(v)
	case v < r.view:
		return false
	}
	return r.status == StatusViewChange
}

func (r *Replica) onStartViewChange(m *Message) {
	if m.View == r.view && r.primaryNormal() {
		r.send(m.Replica, r.startViewMessage(), false) // a straggler: bring it in
		return
	}
	if !r.joinView(m.View) {
		return
	}
	r.svc |= 1 << m.Replica
	r.checkSVCQuorum()
}

func (r *Replica) checkSVCQuorum() {
	if r.dvcSent || bits.OnesCount64(r.svc) < r.q.ViewChange {
		return
	}
	r.dvcSent = true
	m := r.dvcMessage()
	if r.IsPrimary() {
		m.Replica = r.me
		r.dvcs[r.me] = m
		r.tryStartView()
		return
	}
	r.send(r.Primary(), m, false)
}

// dvcMessage describes this replica's log and journal for the new primary.
func (r *Replica) dvcMessage() *Message {
	m := &Message{Command: CmdDoViewChange, View: r.view, LogView: r.logView, Op: r.head,
		Checksum: r.at(r.head).id, Commit: r.commitMax, Headers: r.suffix(),
		Anchor: r.commitMin, AnchorID: r.at(r.commitMin).id}
	m.DiskTop = max(r.diskTop(), r.commitMax)
	for op := r.commitMax + 1; op <= m.DiskTop && len(m.Slots) < dvcSlotsMax; op++ {
		m.Slots = append(m.Slots, r.slotInfo(op))
	}
	return m
}

func (r *Replica) onDoViewChange(m *Message) {
	if m.View == r.view && r.primaryNormal() {
		r.send(m.Replica, r.startViewMessage(), false)
		return
	}
	if !r.joinView(m.View) || !r.IsPrimary() {
		return
	}
	if !validSuffix(m) || m.LogView > m.View {
		return
	}
	r.dvcs[m.Replica] = m
	r.svc |= 1 << m.Replica
	r.checkSVCQuorum()
	r.tryStartView()
}

// tryStartView: with a view-change quorum of DoViewChange messages (its own
// included) the new primary picks the canonical log — highest log view,
// then highest op. Ops that a nack quorum denies having acked (they cannot
// have committed) are cut, even inside the canonical suffix: their bodies
// may be lost everywhere. An op above the canonical head that some replica
// may have acked but nobody can produce makes the primary wait for more
// DoViewChanges instead of guessing.
func (r *Replica) tryStartView() {
	if r.status != StatusViewChange || r.dvcs[r.me] == nil || r.rec.on {
		return
	}
	var best *Message
	count := 0
	var commit uint64
	for _, d := range r.dvcs {
		if d == nil {
			continue
		}
		count++
		commit = max(commit, d.Commit)
		if best == nil || d.LogView > best.LogView || (d.LogView == best.LogView && d.Op > best.Op) {
			best = d
		}
	}
	if count < r.q.ViewChange {
		return
	}
	head, ok := r.canonicalHead(best, commit)
	if !ok {
		return
	}
	headID, ok := r.knownID(best, head)
	if !ok {
		return // the cut lands where nobody has told us the checksum: wait
	}
	if commit > head {
		desc := ""
		for _, d := range r.dvcs {
			if d != nil {
				desc += fmt.Sprintf(" [r%d lv%d op%d commit%d anchor%d disktop%d slots%d]", d.Replica, d.LogView, d.Op, d.Commit, d.Anchor, d.DiskTop, len(d.Slots))
			}
		}
		panic(fmt.Sprintf("vsr: view %d: committed op %d is missing from the canonical log (head %d):%s", r.view, commit, head, desc))
	}
	if commit > r.commitMin+uint64(r.cfg.CheckpointInterval) {
		// More than a checkpoint behind: the ops it would have to execute
		// may be gone from every journal. Let the next primary lead; this
		// replica catches up by state transfer as a backup.
		r.startViewChange(r.view + 1)
		return
	}
	var headers []Header
	for _, h := range r.canonicalHeaders(best) {
		if h.Op <= head {
			headers = append(headers, h)
		}
	}
	r.installLog(headers, head, headID)
	r.applyAnchors()
	r.commitMax = max(r.commitMax, commit)
	r.status, r.logView = StatusNormal, r.view
	r.viewStart, r.stuckAt = r.head, r.now
	clear(r.acked)
	r.resetTimers()
	r.prepareAt = r.now
	r.persistSuperblock()
	r.broadcast(r.startViewMessage(), false)
	r.tryCommit()
}

// canonicalHead returns the head of the new view's log: best's head, cut
// at the lowest uncommitted op that a nack quorum denies (see nacks). ok is
// false while an op above best's head may have been acked and nobody has
// produced it: waiting is visible and recoverable, guessing is not.
func (r *Replica) canonicalHead(best *Message, commit uint64) (uint64, bool) {
	top := best.Op
	for _, d := range r.dvcs {
		if d != nil && d.LogView == best.LogView {
			top = max(top, d.DiskTop)
		}
	}
	ids := chainIDs(r.canonicalHeaders(best))
	for k := commit + 1; k <= top; k++ {
		id, idOK := ids[k]
		n := 0
		for _, d := range r.dvcs {
			if d != nil && nacks(d, k, best.LogView, best.Op, id, idOK) {
				n++
			}
		}
		if n >= r.q.Nack {
			return min(k-1, best.Op), true
		}
		if k > best.Op {
			return best.Op, false
		}
	}
	return best.Op, true
}

// canonicalHeaders gathers the headers of every DoViewChange in best's log
// view: they all describe that view's log, so they agree, and together
// they bridge ops whose header one replica lost.
func (r *Replica) canonicalHeaders(best *Message) []Header {
	var hs []Header
	for _, d := range r.dvcs {
		if d != nil && d.LogView == best.LogView {
			for _, h := range d.Headers {
				if h.Op <= best.Op {
					hs = append(hs, h)
				}
			}
		}
	}
	slices.SortStableFunc(hs, func(a, b Header) int { return cmp.Compare(b.Op, a.Op) })
	return hs
}

// chainIDs maps ops to the checksums the suffix headers pin down.
func chainIDs(hs []Header) map[uint64]Checksum {
	ids := make(map[uint64]Checksum, len(hs)+1)
	for _, h := range hs {
		ids[h.Op] = h.Checksum
		if h.Op > 0 {
			ids[h.Op-1] = h.Parent
		}
	}
	return ids
}

// knownID returns the checksum of op head of the canonical log, from
// best's head and headers or from an executed op anyone reported.
func (r *Replica) knownID(best *Message, head uint64) (Checksum, bool) {
	if head == best.Op {
		return best.Checksum, true
	}
	if id, ok := chainIDs(r.canonicalHeaders(best))[head]; ok {
		return id, true
	}
	for _, d := range r.dvcs {
		if d != nil && d.Anchor == head {
			return d.AnchorID, true
		}
	}
	if head <= r.commitMin && head >= r.base {
		return r.at(head).id, true
	}
	// A journal slot holding op head as prepared in best's log view: that
	// view's primary prepared one op head only, so it is the canonical
	// one. Needed when the ops bridging the chain down to head are lost
	// everywhere (their only copies were on disks since lost).
	for _, d := range r.dvcs {
		if d != nil && d.LogView == best.LogView {
			if s := dvcSlot(d, head); s.Written && !s.Faulty && s.View == best.LogView {
				return s.Checksum, true
			}
		}
	}
	return Checksum{}, false
}

// applyAnchors pins executed ops reported in DoViewChanges: they are
// committed, so they anchor the chain below any gap.
func (r *Replica) applyAnchors() {
	for _, d := range r.dvcs {
		if d != nil && d.Anchor > r.commitMin && d.Anchor <= r.head {
			r.setID(d.Anchor, d.AnchorID)
		}
	}
}

// validSuffix checks the head and headers of a DoViewChange or StartView.
func validSuffix(m *Message) bool {
	if m.Checksum.IsZero() || (len(m.Headers) > 0 && (m.Headers[0].Op != m.Op || m.Headers[0].Checksum != m.Checksum)) {
		return false
	}
	return m.Anchor <= m.Op
}

func (r *Replica) startViewMessage() *Message {
	return &Message{Command: CmdStartView, View: r.view, Op: r.head, Checksum: r.at(r.head).id,
		Commit: r.commitMax, Headers: r.suffix(), Anchor: r.commitMin, AnchorID: r.at(r.commitMin).id}
}

// onStartView installs the new primary's log.
func (r *Replica) onStartView(m *Message) {
	if m.View < r.view || (m.View == r.view && r.status == StatusNormal) || m.Replica != PrimaryOf(m.View, r.n) {
		return
	}
	if !validSuffix(m) || m.Commit > m.Op {
		return
	}
	r.view = m.View
	r.installLog(m.Headers, m.Op, m.Checksum)
	if m.Anchor > r.commitMin {
		r.setID(m.Anchor, m.AnchorID)
	}
	r.commitMax = max(r.commitMax, m.Commit)
	r.status, r.logView = StatusNormal, r.view
	r.queue = nil
	r.resetTimers()
	r.ackSent = 0
	r.learnView(m)
	r.persistSuperblock()
	r.sendAck(true)
	r.execute()
}

// requestStartView asks the primary of a newer view for its StartView.
func (r *Replica) requestStartView(v uint64) {
	if r.now < r.rsvAt {
		return
	}
	r.rsvAt = r.now + uint64(r.cfg.ResendTicks)
	r.send(PrimaryOf(v, r.n), &Message{Command: CmdRequestStartView, View: v}, false)
}

func (r *Replica) onRequestStartView(m *Message) {
	if m.Nonce != 0 { // a replica recovering a lost disk: every view counts
		r.send(m.Replica, &Message{Command: CmdViewReport, View: r.view, Nonce: m.Nonce}, false)
	}
	if r.primaryNormal() && m.View <= r.view {
		r.send(m.Replica, r.startViewMessage(), false)
	}
}

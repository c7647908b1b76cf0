package vsr

// repair asks peers for held-but-missing ops of the log: for each run of
// missing ops, the highest one by checksum; answers carry the ops below it
// too, which verify down the hash chain. Ops without a free journal slot
// wait for a checkpoint. A backup whose first missing op has no known
// checksum asks the primary to resend its log from there.
func (r *Replica) repair() {
	if r.n == 1 {
		return
	}
	r.tickSync()
	asked := 0
	for op := r.head; op > r.commitMin && asked < 4; op-- {
		e := r.at(op)
		if r.repaired(op) || !e.idOK || (op < r.head && !r.repaired(op+1)) {
			continue
		}
		r.repairRound++
		to := (r.me + 1 + r.repairRound%(r.n-1)) % r.n
		r.send(to, &Message{Command: CmdRequestPrepare, View: r.view, Op: op, Checksum: e.id,
			Commit: r.commitMin}, false)
		asked++
	}
	if r.status != StatusNormal || r.IsPrimary() {
		return
	}
	first, _, missing := r.FirstMissing()
	switch {
	case missing && r.writable(first) && !r.at(first).idOK:
	case r.commitMax > r.head:
		first = r.head + 1
	default:
		return
	}
	r.send(r.Primary(), &Message{Command: CmdRequestPrepare, View: r.view, Op: first, Commit: r.commitMin}, false)
}

// repaired reports whether op needs no repair for now: its prepare is
// held, or it has no journal slot yet and its header (which verifies the
// chain below) is known.
func (r *Replica) repaired(op uint64) bool {
	e := r.at(op)
	return e.p != nil || (e.hOK && !r.writable(op))
}

// onRequestPrepare answers a repair request. With a checksum: the prepare
// with that identity and the chain below it, from any replica (it verifies
// itself). Without: the primary resends its log from Op upward as
// ordinary prepares of its view. A replica never answers "I do not have
// it": its slot might be the faulty copy of exactly that op. An op its
// checkpoint covers but its journal no longer holds is answered with the
// checkpoint (state transfer), if that is ahead of the asker.
func (r *Replica) onRequestPrepare(m *Message) {
	if m.Op == 0 {
		return
	}
	if m.Op <= r.base {
		r.offerSync(m.Replica, m.Commit)
		return
	}
	if m.Checksum.IsZero() {
		if !r.primaryNormal() || m.View != r.view {
			return
		}
		var ps []*Prepare
		bytes := 0
		for op := m.Op; op <= r.head && len(ps) < repairBatchMax; op++ {
			if p := r.at(op).p; p != nil && packs(&bytes, p) {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			r.send(m.Replica, &Message{Command: CmdPrepare, View: r.view, Prepares: ps, Commit: r.commitMax}, false)
		}
		return
	}
	if m.Op > r.head {
		return
	}
	e := r.at(m.Op)
	var ps []*Prepare
	bytes := 0
	switch {
	case e.p != nil && e.p.Checksum == m.Checksum:
		ps = append(ps, e.p)
		packs(&bytes, e.p)
		for op := m.Op - 1; op > r.base && len(ps) < repairBatchMax; op-- {
			p := r.at(op).p
			if p == nil || p.Checksum != ps[len(ps)-1].Parent || !packs(&bytes, p) {
				break
			}
			ps = append(ps, p)
		}
	case e.cand != nil && e.cand.Checksum == m.Checksum:
		ps = append(ps, e.cand)
	case e.hOK && e.id == m.Checksum:
		// The header alone lets the asker verify the chain below this op.
		r.send(m.Replica, &Message{Command: CmdRepair, View: r.view, Headers: []Header{e.h}}, false)
		return
	default:
		return
	}
	r.send(m.Replica, &Message{Command: CmdRepair, View: r.view, Prepares: ps}, false)
}

// onRepair accepts prepares (and headers) whose identity the log already
// expects.
func (r *Replica) onRepair(m *Message) {
	for _, h := range m.Headers {
		if h.Op <= r.base || h.Op > r.head {
			continue
		}
		if e := r.at(h.Op); !e.hOK && e.idOK && e.id == h.Checksum && h.valid() {
			r.setHeader(h)
		}
	}
	for _, p := range m.Prepares {
		if p.Op <= r.base || p.Op > r.head || p.Cluster != r.cfg.Cluster {
			continue
		}
		e := r.at(p.Op)
		if e.p != nil || !e.idOK || e.id != p.Checksum || !p.Valid() {
			continue
		}
		if !r.writable(p.Op) {
			r.setHeader(p.Header) // no slot yet, but the chain below is verified
			continue
		}
		r.hold(p)
	}
	r.execute()
}

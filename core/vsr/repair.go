package vsr

// repair asks peers for held-but-missing ops of the log: for each run of
// missing ops, the highest one by checksum; answers carry the ops below it
// too, which verify down the hash chain.
func (r *Replica) repair() {
	if r.n == 1 {
		return
	}
	asked := 0
	for op := r.head; op > r.commitMin && asked < 4; op-- {
		e := &r.ents[op]
		if e.p != nil || !e.idOK || (op < r.head && r.ents[op+1].p == nil) {
			continue
		}
		r.repairRound++
		to := (r.me + 1 + r.repairRound%(r.n-1)) % r.n
		r.send(to, &Message{Command: CmdRequestPrepare, View: r.view, Op: op, Checksum: e.id}, false)
		asked++
	}
	// A backup that heard of commits past its head asks the primary.
	if r.status == StatusNormal && !r.IsPrimary() && r.commitMax > r.head {
		r.send(r.Primary(), &Message{Command: CmdRequestPrepare, View: r.view, Op: r.head + 1}, false)
	}
}

// onRequestPrepare answers a repair request. With a checksum: the prepare
// with that identity and the chain below it, from any replica (it verifies
// itself). Without: the primary resends its log from Op upward as
// ordinary prepares of its view. A replica never answers "I do not have
// it": its slot might be the faulty copy of exactly that op.
func (r *Replica) onRequestPrepare(m *Message) {
	if m.Checksum.IsZero() {
		if !r.primaryNormal() || m.View != r.view || m.Op == 0 {
			return
		}
		var ps []*Prepare
		for op := m.Op; op <= r.head && len(ps) < repairBatchMax; op++ {
			if p := r.ents[op].p; p != nil {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			r.send(m.Replica, &Message{Command: CmdPrepare, View: r.view, Prepares: ps, Commit: r.commitMax}, false)
		}
		return
	}
	if m.Op == 0 || m.Op > r.head {
		return
	}
	e := &r.ents[m.Op]
	var ps []*Prepare
	switch {
	case e.p != nil && e.p.Checksum == m.Checksum:
		ps = append(ps, e.p)
		for op := m.Op - 1; op > 0 && len(ps) < repairBatchMax; op-- {
			p := r.ents[op].p
			if p == nil || p.Checksum != ps[len(ps)-1].Parent {
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
		if h.Op == 0 || h.Op > r.head {
			continue
		}
		if e := &r.ents[h.Op]; !e.hOK && e.idOK && e.id == h.Checksum && h.valid() {
			r.setHeader(h)
		}
	}
	for _, p := range m.Prepares {
		if p.Op == 0 || p.Op > r.head || p.Cluster != r.cfg.Cluster {
			continue
		}
		e := &r.ents[p.Op]
		if e.p != nil || !e.idOK || e.id != p.Checksum || !p.Valid() {
			continue
		}
		r.hold(p)
	}
	r.execute()
}

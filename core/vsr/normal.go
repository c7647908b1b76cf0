package vsr

// onRequest: the primary turns a client request into a prepare; a backup
// forwards it to the primary (Iggy 0.8 clients do not follow a failover).
func (r *Replica) onRequest(m *Message) {
	if r.status != StatusNormal || len(m.Body) > PrepareBodySizeMax {
		return
	}
	if !r.IsPrimary() {
		r.out.Messages = append(r.out.Messages, Envelope{To: r.Primary(), Msg: m})
		return
	}
	if r.commitMin < r.viewStart {
		return // the client table is not caught up: answering could be wrong
	}
	ce := r.clients.get(m.Client)
	if m.Operation == OperationRegister {
		if ce != nil {
			r.reply(&Message{Command: CmdReply, View: r.view, Client: m.Client, Request: m.Request,
				Op: ce.session, Commit: r.commitMax, Body: u64Bytes(ce.session)})
			return
		}
	} else {
		switch {
		case ce == nil || ce.session != m.Session:
			r.reply(&Message{Command: CmdReply, View: r.view, Client: m.Client, Session: m.Session,
				Request: m.Request, Status: ReplyEvicted})
			return
		case m.Request < ce.request:
			return
		case m.Request == ce.request:
			r.reply(&Message{Command: CmdReply, View: r.view, Client: m.Client, Session: m.Session,
				Request: m.Request, Op: ce.op, Commit: r.commitMax, Body: ce.reply})
			return
		}
	}
	if r.inFlight(m) {
		return
	}
	if r.pipelineFull() {
		if len(r.queue) < r.cfg.RequestQueueMax {
			r.queue = append(r.queue, m)
		}
		return
	}
	r.prepare(m)
}

// inFlight reports whether the same request is already prepared or queued.
func (r *Replica) inFlight(m *Message) bool {
	for op := r.commitMin + 1; op <= r.head; op++ {
		if h := &r.at(op).h; r.at(op).hOK && h.Client == m.Client && h.Request == m.Request &&
			h.Operation == m.Operation {
			return true
		}
	}
	for _, q := range r.queue {
		if q.Client == m.Client && q.Request == m.Request && q.Operation == m.Operation {
			return true
		}
	}
	return false
}

// pipelineFull reports whether the primary must queue: the pipeline is
// full, or the next op has no journal slot until a checkpoint lands.
func (r *Replica) pipelineFull() bool {
	return r.head-r.commitMax >= uint64(r.cfg.PipelineMax) || !r.writable(r.head+1)
}

// prepare appends a new op to the log and replicates it.
func (r *Replica) prepare(m *Message) {
	ts := r.lastTS + 1
	if r.clock != nil {
		ts = max(ts, r.clock.RealtimeMicros())
	}
	r.lastTS = ts
	if r.head == r.commitMax {
		r.stuckAt = r.now
	}
	p := &Prepare{Header: Header{Parent: r.at(r.head).id, Cluster: r.cfg.Cluster, View: r.view,
		Op: r.head + 1, Commit: r.commitMax, Timestamp: ts, Client: m.Client, Session: m.Session,
		Request: m.Request, Operation: m.Operation}, Body: m.Body}
	p.seal()
	r.grow(p.Op)
	r.hold(p)
	pm := &Message{Command: CmdPrepare, View: r.view, Prepares: []*Prepare{p}, Commit: r.commitMax}
	if p.Operation.IsData() && r.n > 2 && !r.cfg.DataStar && r.ringIntact() {
		pm.Ring = true
		r.send((r.me+1)%r.n, pm, true)
		return
	}
	r.broadcast(pm, true)
}

// drainQueue prepares queued requests while the pipeline has room.
func (r *Replica) drainQueue() {
	for len(r.queue) > 0 && !r.pipelineFull() {
		m := r.queue[0]
		r.queue = r.queue[1:]
		r.prepare(m)
	}
}

// onPrepare: a backup accepts prepares of its view from the primary (or a
// relay), writes them, relays along the ring and acks once durable.
func (r *Replica) onPrepare(m *Message) {
	if m.View > r.view {
		r.requestStartView(m.View)
		return
	}
	if m.View < r.view || r.status != StatusNormal || r.IsPrimary() {
		return
	}
	r.heardAt = r.now
	fresh := false
	for _, p := range m.Prepares {
		if p.Cluster != r.cfg.Cluster || p.Op == 0 || !p.Valid() || p.View > r.view {
			continue
		}
		if p.Op <= r.commitMin || !r.writable(p.Op) {
			continue
		}
		if p.Op > r.head {
			r.grow(p.Op)
		}
		if r.hold(p) {
			fresh = true
		}
	}
	r.commitMax = max(r.commitMax, m.Commit)
	if m.Ring && fresh {
		if next := (r.me + 1) % r.n; next != r.Primary() {
			relay := *m // messages are shared: never mutate one
			r.send(next, &relay, true)
		}
	}
	if !fresh {
		r.sendAck(true) // the primary resent: our ack may have been lost
	}
	r.execute()
}

// sendAck sends a cumulative PrepareOk for contig to the primary.
func (r *Replica) sendAck(force bool) {
	if r.status != StatusNormal || r.IsPrimary() || r.logView != r.view || r.rec.on {
		return // a replica recovering a lost disk counts toward no quorum
	}
	if r.contig <= r.ackSent && !force {
		return
	}
	r.ackSent = r.contig
	r.send(r.Primary(), &Message{Command: CmdPrepareOk, View: r.view, Op: r.contig,
		Checksum: r.at(r.contig).id}, false)
}

func (r *Replica) onPrepareOk(m *Message) {
	if m.View != r.view || !r.primaryNormal() || m.Op > r.head || m.Op < r.base {
		return
	}
	if e := r.at(m.Op); !e.idOK || e.id != m.Checksum {
		return
	}
	r.acked[m.Replica] = max(r.acked[m.Replica], m.Op)
	r.tryCommit()
}

// tryCommit commits ops, in order, that a replication quorum has acked in
// this view, executes them and refills the pipeline.
func (r *Replica) tryCommit() {
	if !r.primaryNormal() {
		return
	}
	r.acked[r.me] = r.contig
	for r.commitMax < r.head {
		k, n := r.commitMax+1, 0
		for _, a := range r.acked {
			if a >= k {
				n++
			}
		}
		if n < r.q.Replication {
			break
		}
		r.commitMax, r.stuckAt = k, r.now
	}
	r.execute()
	r.drainQueue()
}

// resendUnacked resends, directly, the prepares each backup has not acked.
func (r *Replica) resendUnacked() {
	for b := range r.n {
		if b == r.me || r.acked[b] >= r.head {
			continue
		}
		var ps []*Prepare
		bytes := 0
		for op := max(r.acked[b], r.commitMax) + 1; op <= r.head && len(ps) < resendWindowMax; op++ {
			if p := r.at(op).p; p != nil && packs(&bytes, p) {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			r.send(b, &Message{Command: CmdPrepare, View: r.view, Prepares: ps, Commit: r.commitMax}, false)
		}
	}
}

// packs reports whether p still fits a message already carrying *bytes of
// prepares, and counts it. The first prepare always fits.
func packs(bytes *int, p *Prepare) bool {
	n := HeaderSize + len(p.Body)
	if *bytes > 0 && *bytes+n > preparesBytesMax {
		return false
	}
	*bytes += n
	return true
}

// onCommit: the primary's heartbeat. It carries the commit number and the
// primary's head, so a backup can tell it is missing prepares.
func (r *Replica) onCommit(m *Message) {
	if m.View > r.view {
		r.requestStartView(m.View)
		return
	}
	if m.View < r.view || r.status != StatusNormal || r.IsPrimary() {
		return
	}
	r.heardAt = r.now
	r.commitMax = max(r.commitMax, m.Commit)
	if r.head < m.Op {
		r.send(r.Primary(), &Message{Command: CmdRequestPrepare, View: r.view, Op: r.head + 1,
			Commit: r.commitMin}, false)
	}
	if r.contig > m.Commit {
		r.sendAck(true)
	}
	r.execute()
}

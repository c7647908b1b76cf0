package vsr

import (
	"fmt"
	"slices"
)

// at returns the entry of op, which must lie in base..head.
func (r *Replica) at(op uint64) *entry { return &r.ents[op-r.base] }

// grow extends the log with unknown entries up to op.
func (r *Replica) grow(op uint64) {
	if need := int(op-r.base) + 1 - len(r.ents); need > 0 && cap(r.ents)-len(r.ents) < need {
		r.ents = slices.Grow(r.ents, max(need, len(r.ents))) // double: entries are large
	}
	for r.base+uint64(len(r.ents)) <= op {
		r.ents = append(r.ents, entry{})
	}
	r.head = max(r.head, op)
}

// setID records that op must have checksum c and walks down the hash chain
// as far as held candidates verify it. A conflicting id is a safety bug.
func (r *Replica) setID(op uint64, c Checksum) {
	for {
		e := r.at(op)
		if e.idOK {
			if e.id != c {
				panic(fmt.Sprintf("vsr: replica %d: hash chain conflict at op %d", r.me, op))
			}
			return
		}
		e.id, e.idOK = c, true
		switch {
		case e.cand != nil && e.cand.Checksum == c:
			e.p, e.durable, e.h, e.hOK, e.cand = e.cand, true, e.cand.Header, true, nil
		case e.hcand != nil && e.hcand.Checksum == c:
			e.h, e.hOK = *e.hcand, true // the prepare still needs repair; the chain goes on
		default:
			return
		}
		if op == r.base {
			panic(fmt.Sprintf("vsr: replica %d: executed op %d without a known checksum", r.me, op))
		}
		op, c = op-1, e.h.Parent
	}
}

// setHeader records a trusted header and the id of its parent.
func (r *Replica) setHeader(h Header) {
	r.setID(h.Op, h.Checksum)
	e := r.at(h.Op)
	if !e.hOK {
		e.h, e.hOK = h, true
	}
	if h.Op > r.base {
		r.setID(h.Op-1, h.Parent)
	}
}

// hold stores a prepare whose identity is trusted (from the primary of this
// view, or matching a known id) and asks for it to be written. It reports
// whether the prepare was new here.
func (r *Replica) hold(p *Prepare) bool {
	if p.Op <= r.base || !r.writable(p.Op) || (p.Op == r.base+1 && p.Parent != r.at(r.base).id) {
		return false // covered by the checkpoint, no free slot, or off the committed chain
	}
	e := r.at(p.Op)
	if e.p != nil {
		return false
	}
	r.setHeader(p.Header)
	if e.p != nil { // a durable candidate matched
		return false
	}
	e.p, e.durable, e.cand = p, false, nil
	r.write(p)
	return true
}

// advanceContig moves contig over ops held durably.
func (r *Replica) advanceContig() {
	r.contig = min(r.contig, r.head)
	for r.contig < r.head {
		e := r.at(r.contig + 1)
		if e.p == nil || !e.durable {
			return
		}
		r.contig++
	}
}

// installLog replaces the uncommitted part of the log with the canonical
// one ending at head (checksum headID), with the headers known of it
// (highest first). Executed ops stay; held prepares above them become
// candidates to be re-verified.
func (r *Replica) installLog(headers []Header, head uint64, headID Checksum) {
	if head < r.commitMin {
		panic(fmt.Sprintf("vsr: replica %d: new head %d below executed op %d", r.me, head, r.commitMin))
	}
	var known []Header // headers we knew, highest first: reused if the new chain confirms them
	for i := r.head; i > r.commitMin; i-- {
		e := *r.at(i)
		if e.hOK {
			known = append(known, e.h)
		}
		c := e.cand
		if e.p != nil && e.durable {
			c = e.p
		}
		*r.at(i) = entry{cand: c, hcand: e.hcand}
	}
	if r.head > head {
		clear(r.ents[head+1-r.base:])
		r.ents = r.ents[:head+1-r.base]
	}
	r.head = r.commitMin
	r.grow(head)
	for i := len(headers) - 1; i >= 0; i-- {
		if headers[i].Op <= head && headers[i].Op > r.commitMin {
			r.setHeader(headers[i])
		}
	}
	r.setID(head, headID)
	for _, h := range known {
		if h.Op <= head {
			if e := r.at(h.Op); e.idOK && e.id == h.Checksum && !e.hOK {
				r.setHeader(h)
			}
		}
	}
	r.contig = min(r.contig, r.commitMin)
	r.advanceContig()
}

// execute runs committed ops that are held, in order.
func (r *Replica) execute() {
	for r.commitMin < r.commitMax && r.commitMin < r.head {
		e := r.at(r.commitMin + 1)
		if e.p == nil {
			return
		}
		r.apply(e.p)
		r.commitMin++
		r.maybeCheckpoint()
	}
}

// apply executes one op against the client table and the state machine.
func (r *Replica) apply(p *Prepare) {
	r.lastTS = max(r.lastTS, p.Timestamp)
	r.execTS = max(r.execTS, p.Timestamp)
	status, result, send := ReplyOK, []byte(nil), true
	ce := r.clients.get(p.Client)
	switch {
	case p.Operation == OperationRegister:
		if ce == nil {
			r.clients.register(p.Client, p.Op)
			ce = r.clients.get(p.Client)
		}
		result = u64Bytes(ce.session)
	case ce == nil || ce.session != p.Session:
		status = ReplyEvicted
	case p.Request < ce.request:
		send = false // an older duplicate: nobody waits for it
	case p.Request == ce.request:
		result = ce.reply // a duplicate prepare: do not execute twice
	default:
		result = r.sm.Apply(p.Op, p.Timestamp, p.Operation, p.Body)
		ce.request, ce.reply, ce.op = p.Request, result, p.Op
	}
	r.out.Applied = append(r.out.Applied, Applied{Op: p.Op, Checksum: p.Checksum, Client: p.Client,
		Request: p.Request, Operation: p.Operation, Result: result})
	if send && r.primaryNormal() && p.Operation != OperationRoot {
		r.reply(&Message{Command: CmdReply, View: r.view, Client: p.Client, Session: p.Session,
			Request: p.Request, Op: p.Op, Commit: r.commitMax, Body: result, Status: status})
	}
}

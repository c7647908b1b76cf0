package vsr

import "fmt"

// Recovering from a lost disk (TigerBeetle's `recover`). A replica whose
// disk was lost and reformatted has forgotten every promise it made: the
// ops it acknowledged and the views it voted in (DoViewChange). Started as
// a fresh replica it would deny (nack) every op it never wrote, which with
// one more fault truncates a committed op, and it could lead a view with
// an empty log. So a reformatted replica starts recovering (durably: the
// superblock's Recovering flag) and, until it has caught up:
//
//   - takes no part in view changes: it sends no StartViewChange and no
//     DoViewChange (stronger than reporting every slot as unknown: it is
//     not counted toward a view-change quorum either, which it could
//     otherwise complete with a log missing committed ops), never starts
//     a view change of its own (so it cannot disrupt the cluster) and
//     never leads a view (as a view's primary it does not start it; the
//     others' view-change timeout moves on);
//   - sends no PrepareOk (it counts toward no replication quorum);
//   - follows views it hears of and asks for the current one
//     (RequestStartView with a nonce), then catches up by the existing
//     mechanisms: journal repair, or state transfer when behind the
//     journals.
//
// It leaves recovering (a superblock write, before any ack it sends) once
// all of these hold:
//
//  1. every other replica has answered a RequestStartView carrying this
//     incarnation's nonce with its view (a ViewReport), and the replica
//     is in status normal in a view at least the highest reported. A view
//     the replica voted in before the loss is known durably by that view's
//     primary (it persisted the view before acting on the vote), so the
//     replica never acknowledges a prepare of a view older than one its
//     lost vote may have helped start. This is why all peers must answer:
//     with one of them down the replica stays recovering (it is still
//     useful as a repair and state-transfer source and follows the log);
//  2. it installed the log of that view from its primary's StartView, and
//     its journal (or a checkpoint) durably holds every op up to the head
//     that StartView carried, and it executed up to its commit number.
//     Every op it acknowledged before the loss that may have committed is
//     at or below that head (the view change kept it, or the primary
//     prepared it in this view), so from then on its nacks are truthful.
//
// Assumption: messages the replica sent before its disk was lost are no
// longer in flight when it restarts (its connections died with it). A
// DoViewChange delivered after the ViewReports could otherwise start a
// view above the reported ones with a vote the replica no longer knows.
//
// Guarantee with 3 replicas: if only the recovering replica and one
// healthy replica are up, the healthy one cannot form a view (it needs a
// second DoViewChange) nor commit (it needs a second PrepareOk): the
// cluster stalls, visibly, until the third replica returns; it never
// truncates a committed op.

// recovery is the state of a replica recovering from a lost disk.
type recovery struct {
	on     bool
	nonce  uint64   // fresh per incarnation: stale ViewReports never count
	views  []uint64 // per replica: 1 + the view it reported, 0 = none yet
	head   uint64   // learned from the StartView of the current view...
	commit uint64   // ...and its commit number
	learnt bool     // head and commit belong to the current view
	at     uint64   // next RequestStartView broadcast
}

// NewRecovering returns a replica for a disk that was lost and reformatted
// (empty journal, view 0) that starts recovering. Its first Ready carries
// the superblock with the Recovering flag; the host must make it durable
// before anything else, as for every Ready. A host that formats the disk
// itself should write that superblock at format time instead (see
// RecoveringSuperblock) so that a crash during the first write cannot
// leave a disk that reads back as fresh. A cluster of one cannot recover
// (there is nobody to learn from).
//
// Config.Seed (and the clock, if any) should differ between process
// starts: they seed the nonce that tells this incarnation's ViewReports
// from older ones.
func NewRecovering(cfg Config, sm StateMachine, clock Clock) (*Replica, error) {
	r, err := New(cfg, sm, clock)
	if err != nil {
		return nil, err
	}
	if r.n == 1 {
		return nil, fmt.Errorf("vsr: a cluster of one cannot recover a lost disk")
	}
	r.beginRecovery()
	r.persistSuperblock()
	return r, nil
}

// RecoveringSuperblock returns the superblock a host writes (to every
// copy) when it formats a replacement disk for a replica that lost its
// own: Restart on it starts the replica recovering, like NewRecovering.
func RecoveringSuperblock(cluster uint64, replica int) Superblock {
	return Superblock{Seq: 1, Cluster: cluster, Replica: uint32(replica), Recovering: true}
}

// Recovering reports whether the replica is recovering from a lost disk
// (durable until it caught up; see NewRecovering). Not to be confused
// with StatusRecovering, the transient status after any restart.
func (r *Replica) Recovering() bool { return r.rec.on }

func (r *Replica) beginRecovery() {
	r.rec = recovery{on: true, nonce: r.recoveryNonce(), views: make([]uint64, r.n), at: r.now}
	r.status = StatusRecovering
}

// recoveryNonce mixes what differs between incarnations: the seed, the
// clock and the superblock sequence.
func (r *Replica) recoveryNonce() uint64 {
	z := r.cfg.Seed ^ r.sbSeq<<40 ^ uint64(r.me+1)*0xd6e8feb86659fd93
	if r.clock != nil {
		z ^= r.clock.RealtimeMicros()
	}
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return (z ^ z>>31) | 1
}

// rejoin replaces every view change a recovering replica would start or
// join: it moves to view v if newer (durably, as every view) and asks
// for that view's StartView.
func (r *Replica) rejoin(v uint64) {
	if v > r.view {
		r.view, r.rec.learnt = v, false
		r.persistSuperblock()
	}
	if r.status != StatusRecovering {
		r.status, r.rec.learnt = StatusRecovering, false
	}
	r.queue = nil
	r.rec.at = r.now
	r.tickRecovery()
}

// tickRecovery asks every replica for its view (and the primary for its
// StartView) until all have answered and the replica is normal.
func (r *Replica) tickRecovery() {
	if !r.rec.on || r.now < r.rec.at || (r.status == StatusNormal && r.heardAll()) {
		return
	}
	r.rec.at = r.now + uint64(r.cfg.ResendTicks)
	r.broadcast(&Message{Command: CmdRequestStartView, View: r.view, Nonce: r.rec.nonce}, false)
}

func (r *Replica) heardAll() bool {
	for i, v := range r.rec.views {
		if i != r.me && v == 0 {
			return false
		}
	}
	return true
}

// onViewReport records a peer's view. A view above ours means a newer
// view exists (or is being formed): only its StartView will do.
func (r *Replica) onViewReport(m *Message) {
	if !r.rec.on || m.Nonce != r.rec.nonce {
		return
	}
	r.rec.views[m.Replica] = max(r.rec.views[m.Replica], m.View+1)
	if m.View > r.view {
		r.rejoin(m.View)
	}
	r.maybeRecovered()
}

// learnView notes the head and commit number of the StartView just
// installed: the journal must hold the ops up to there.
func (r *Replica) learnView(m *Message) {
	if r.rec.on {
		r.rec.head, r.rec.commit, r.rec.learnt = m.Op, m.Commit, true
	}
}

// maybeRecovered leaves recovering once the conditions of NewRecovering
// hold. The superblock that clears the flag precedes, in the same Ready,
// any acknowledgement.
func (r *Replica) maybeRecovered() {
	rc := &r.rec
	if !rc.on || !rc.learnt || r.status != StatusNormal || r.logView != r.view || !r.heardAll() {
		return
	}
	for _, v := range rc.views {
		if v > r.view+1 {
			return
		}
	}
	if r.contig < rc.head || r.commitMin < rc.commit {
		return
	}
	r.rec = recovery{}
	r.persistSuperblock()
	r.sendAck(true)
}

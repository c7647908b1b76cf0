package vsrnode

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
)

// Run is the loop: the only goroutine that touches the replica and the
// store. It returns nil when ctx ends (after finishing the round in
// progress: a Ready is never abandoned half persisted because of a
// shutdown) and an error when persisting or a hook failed; the store is
// then unusable and the process should exit and restart. Either way,
// Submit calls still waiting get ErrClosed. Call Close afterwards.
func (n *Node) Run(ctx context.Context) error {
	if !n.started.CompareAndSwap(false, true) {
		return errors.New("vsrnode: Run called twice")
	}
	defer close(n.closed)
	// Rounds run to completion whatever ctx does: ctx is checked between
	// rounds only.
	work := context.WithoutCancel(ctx)
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	resendTicks := n.cfg.ticks(n.cfg.ResendInterval)
	for {
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case c := <-n.calls:
			n.step(c)
		case m := <-n.inbox:
			n.receive(m)
		case <-ticker.C:
			n.tick(resendTicks)
		}
		n.drain()
		if err := n.flush(work); err != nil {
			n.cfg.Logger.Error("vsrnode: loop stopped", "err", err)
			return err
		}
		n.publish()
		n.release() // after publish: State covers what a caller is told
	}
}

// drain steps every request and message already queued, without
// blocking: they all go into the same Ready (group commit: one persist for
// a burst of prepares too). At most one request per session can be
// queued, and at most a channel's capacity of messages is taken, so this
// ends.
func (n *Node) drain() {
	n.drainCalls()
	n.drainInbox()
}

func (n *Node) drainCalls() {
	for range cap(n.calls) {
		select {
		case c := <-n.calls:
			n.step(c)
		default:
			return
		}
	}
}

func (n *Node) drainInbox() {
	for range cap(n.inbox) {
		select {
		case m := <-n.inbox:
			n.receive(m)
		default:
			return
		}
	}
}

// receive takes one message from a peer. Replies are for this node's
// sessions (requests it forwarded); everything else is the replica's.
func (n *Node) receive(m received) {
	n.stats.received.Add(1)
	if m.bytes != 0 {
		n.link.queued.Add(-int64(m.bytes))
	}
	if m.msg.Command != vsr.CmdReply {
		n.r.Step(m.msg)
		return
	}
	rep := m.msg
	if n.owner(rep.Client) != n.cfg.Replica {
		n.stats.misrouted.Add(1)
		return
	}
	n.deliver(rep)
	// A reply is the primary's word that everything up to its Commit is
	// committed, exactly what its next heartbeat would say. Telling the
	// replica now lets it execute the op (read-your-writes) one round
	// trip after the request rather than a heartbeat interval later.
	if rep.Status == vsr.ReplyOK && rep.Commit > n.r.CommitMax() {
		n.r.Step(&vsr.Message{Command: vsr.CmdCommit, Replica: rep.Replica, View: rep.View, Commit: rep.Commit})
	}
}

func (n *Node) step(c *call) {
	if c.abandoned.Load() {
		return
	}
	c.sentTick = n.ticks
	n.pending[c.msg.Client] = c
	n.stats.requests.Add(1)
	n.r.Step(c.msg)
}

// tick advances the replica's clock, forgets requests whose Submit gave
// up and resends those that waited resendTicks without a reply.
func (n *Node) tick(resendTicks uint64) {
	n.ticks++
	n.r.Tick()
	n.parked = slices.DeleteFunc(n.parked, func(p parkedReply) bool { return p.c.abandoned.Load() })
	for client, c := range n.pending { // order does not matter: each is independent
		switch {
		case c.abandoned.Load():
			delete(n.pending, client)
		case n.ticks-c.sentTick >= resendTicks:
			c.sentTick = n.ticks
			n.stats.resends.Add(1)
			n.r.Step(c.msg)
		}
	}
}

// flush persists and releases every Ready the last inputs produced.
func (n *Node) flush(ctx context.Context) error {
	for n.r.HasReady() {
		rd := n.r.Ready()
		for _, e := range rd.Early { // relays: they do not wait for the disk
			n.route(e)
		}
		if err := n.persist(ctx, rd); err != nil {
			return err
		}
		n.publish() // before the replies: State covers what a caller was told
		for _, e := range rd.Messages {
			n.route(e)
		}
		if n.link != nil {
			n.link.forget()
		}
		n.stats.applied.Add(uint64(len(rd.Applied)))
		n.r.Advance(rd)
	}
	return nil
}

// route carries an envelope: a reply to this node's session pool, or over
// the bus to the replica owning the client; a replica message to its peer.
func (n *Node) route(e vsr.Envelope) {
	if !e.ToClient {
		n.send(e.To, e.Msg)
		return
	}
	switch owner := n.owner(e.Client); {
	case owner == n.cfg.Replica:
		n.deliver(e.Msg)
	case owner < n.cfg.ReplicaCount && n.remoteSend:
		n.stats.repliesSent.Add(1)
		n.send(owner, e.Msg)
	default:
		n.stats.misrouted.Add(1)
	}
}

// owner is the replica whose session pool drew client (clientID).
func (n *Node) owner(client uint64) int { return int(client >> 56) }

func (n *Node) persist(ctx context.Context, rd vsr.Ready) error {
	if rd.Checkpoint == nil && rd.Superblock == nil && len(rd.Writes) == 0 {
		return nil // messages only: nothing to make durable
	}
	if c := rd.Checkpoint; c != nil && n.hooks.BeforeCheckpoint != nil {
		if err := n.hooks.BeforeCheckpoint(ctx, c.Op); err != nil {
			return fmt.Errorf("vsrnode: before checkpoint of op %d: %w", c.Op, err)
		}
	}
	if err := n.store.Persist(ctx, rd); err != nil {
		return fmt.Errorf("vsrnode: persist: %w", err)
	}
	st := n.store.Stats()
	n.stats.persists.Store(st.Persists)
	n.stats.fsyncs.Store(st.Syncs)
	if rd.Checkpoint != nil {
		n.stats.checkpoints.Add(1)
		n.cfg.Logger.Debug("vsrnode: checkpoint", "op", rd.Checkpoint.Op, "bytes", len(rd.Checkpoint.Data))
	}
	return nil
}

// parkedReply is a reply waiting for the end of the round, and for this
// replica to execute its op.
type parkedReply struct {
	c   *call
	rep *vsr.Message
}

// deliver queues a reply for the Submit waiting for it. release answers
// it after the round's publish, once this replica has executed the
// reply's op (read-your-writes: a caller told "done" reads it here, and
// State already shows it). Replies nobody waits for (a repeat, a
// discarded session's) are dropped.
func (n *Node) deliver(rep *vsr.Message) {
	c := n.pending[rep.Client]
	if c == nil || rep.Request != c.msg.Request {
		return
	}
	delete(n.pending, rep.Client)
	if rep.Status == vsr.ReplyOK && rep.Op > n.r.CommitMin() {
		n.stats.parked.Add(1)
	}
	n.parked = append(n.parked, parkedReply{c: c, rep: rep})
}

// release answers the parked replies whose op the published state shows
// executed.
func (n *Node) release() {
	if len(n.parked) == 0 {
		return
	}
	commitMin := n.state.Load().CommitMin
	n.parked = slices.DeleteFunc(n.parked, func(p parkedReply) bool {
		if p.rep.Status == vsr.ReplyOK && p.rep.Op > commitMin {
			return false
		}
		n.stats.replies.Add(1)
		p.c.done <- p.rep // buffered: never blocks
		return true
	})
}

// send carries a message to another replica: Hooks.Send, else the bus.
func (n *Node) send(to int, m *vsr.Message) {
	switch {
	case n.hooks.Send != nil:
		n.hooks.Send(to, m)
	case n.link != nil:
		n.link.send(to, m)
	}
}

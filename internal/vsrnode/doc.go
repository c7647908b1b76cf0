// Package vsrnode is the host that drives one core/vsr replica for
// runnel-server (docs/vsr-server.md §1). core/vsr does no I/O; this package
// gives it a clock, a ticker, durable storage (internal/vsrstore) and
// clients.
//
// One goroutine, the loop (Node.Run), owns the *vsr.Replica and the
// *vsrstore.Store. It is the only caller of Step, Tick, Ready and Advance,
// and therefore the only caller of StateMachine.Apply after Open: partition
// appends and metadata changes run on it. Each round:
//
//  1. take one input: a request from Submit, a message from a peer, or a
//     tick of a time.Ticker;
//  2. drain, without blocking, every request and peer message already
//     queued and Step them (group commit: they all land in one Ready, one
//     Persist, one pair of fdatasync barriers);
//  3. while the replica has a Ready: send its Early envelopes, call
//     Hooks.BeforeCheckpoint when it carries a checkpoint, Persist it, then
//     route rd.Messages (a reply to a local session goes to the session
//     pool, a reply to another replica's client over the bus to that
//     replica, anything else to its peer), then Advance;
//  4. publish State, then answer the Submit calls whose reply arrived and
//     whose op this replica has executed.
//
// # Cluster
//
// With Config.ReplicaCount > 1 the node owns a replicabus.Bus (Open starts
// it, Close stops it), unless Hooks.Send carries messages instead (the
// host then feeds received ones to Node.Receive). Every bus body starts
// with a kind byte: 0 is a core/vsr frame (vsr.AppendMessage after the
// byte, so no copy; one encoding per broadcast), 1 a host frame
// (SendHost; Hooks.OnHostFrame receives it on the reader goroutine: the
// server's partition sync), anything else is dropped (Stats.UnknownKinds). A reader goroutine
// decodes bodies and hands them to the loop through a bounded channel,
// dropping when it is full (Stats.InboxDrops; VSR resends), so a loop
// blocked on fsync never stalls the bus readers. A replica message whose
// sender is not the authenticated bus peer is dropped.
//
// Client ids carry the owning replica in their top byte. A request
// Submitted on a follower is forwarded to the primary by core/vsr
// (onRequest); the primary's node sends the reply to the owning replica,
// whose loop hands it to the waiting Submit, never to Step. The reply also
// says which ops the primary has committed: the follower tells its replica
// at once (a synthesized Commit, the same news as the primary's next
// heartbeat) so it executes the op without waiting a heartbeat interval.
// Submit returns only once this replica has executed the reply's op
// (read-your-writes on the node that answered), or fails with ErrTimeout.
// A request dropped during a view change is resent on ticks (below) and
// core/vsr forwards it to whoever is primary then.
//
// State.Serving (and WaitServing, which waits for it) means normal status
// in some view with every op restart found executed, on followers too; a
// primary must also have executed every op of earlier views. State.Peers
// reads the bus's connection flags and the last time each peer was heard.
//
// A Persist or hook error is fatal: Run returns it and the process is
// expected to exit; a restart recovers from what is durable.
//
// Clients: VSR allows one request in flight per client session, so the
// node keeps a pool of up to Config.SessionsMax sessions. Submit borrows
// one (waiting while all are busy), registers it on first use, sends one
// request and gives it back after the reply. A session whose request timed
// out is discarded, never reused: a late reply to it cannot be mistaken
// for the reply of a later request. A session the replica evicted from its
// client table (vsr.ReplyEvicted: the request was not executed) registers
// again and the request is resent under the new session. Requests the
// replica dropped (not yet serving, view change) are resent by the loop
// every Config.ResendInterval with the same (client, session, request),
// which core/vsr deduplicates.
//
// Open restores the checkpoint and replays the journal through the state
// machine on the caller's goroutine, before Run starts.
//
// A replica of a cluster of several formats its journal explicitly
// (Format, with Config.RequireFormatted on every Open); one whose data was
// lost is formatted with FormatRecovering and rejoins without voting until
// it has caught up (vsr.NewRecovering; State.Recovering, and it does not
// serve until then). Host data a checkpoint sync skips over (partition
// logs) is the host's to fetch, inside StateMachine.Restore, with SendHost.
package vsrnode

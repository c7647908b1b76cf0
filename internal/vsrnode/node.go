package vsrnode

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/replicabus"
	"github.com/runnel-io/runnel/internal/vsrstore"
)

// Errors callers can test with errors.Is.
var (
	// ErrTimeout: no reply within Config.RequestTimeout. The request may
	// or may not have been executed.
	ErrTimeout = errors.New("vsrnode: request timed out (outcome unknown)")
	// ErrClosed: the loop is not running (Run returned). A request in
	// flight may or may not have been executed.
	ErrClosed = errors.New("vsrnode: node closed")
	// ErrNotFormatted: Config.RequireFormatted and the directory holds no
	// replica (see Format).
	ErrNotFormatted = errors.New("vsrnode: replica not formatted")
	// ErrBodyTooLarge: the body does not fit a journal slot.
	ErrBodyTooLarge = errors.New("vsrnode: request body larger than a journal slot")
)

// Node drives one replica. Submit, Receive, WaitServing, State, Stats and
// BusStats are safe for concurrent use; Run is called once.
type Node struct {
	cfg     Config
	hooks   Hooks
	restart vsr.RestartReport

	// Owned by the loop (Open's goroutine until Run starts).
	r       *vsr.Replica
	store   *vsrstore.Store
	pending map[uint64]*call // requests in flight by client id
	// parked: replies received for ops this replica has not executed
	// yet; their Submit waits (read-your-writes).
	parked     []parkedReply
	ticks      uint64
	viewStart  uint64 // head when this replica last became a normal primary...
	primaryOf  uint64 // ...in this view (+1; 0: never)
	link       *link  // nil without a bus
	remoteSend bool   // replies to other replicas' clients leave the node

	calls    chan *call    // Submit → loop
	inbox    chan received // bus (or Receive) → loop
	pool     chan *session // free sessions
	serving  chan struct{} // closed once the replica first serves
	servOnce sync.Once
	closed   chan struct{} // closed when Run returns
	started  atomic.Bool
	state    atomic.Pointer[State]
	stats    counters
}

// State is a snapshot of the replica, published by the loop after every
// round.
type State struct {
	Status       vsr.Status
	View         uint64
	Primary      int // primary of View in this replica's eyes (no primary unless Status is normal)
	Replica      int
	CommitMin    uint64 // executed here
	CommitMax    uint64 // known committed
	Head         uint64
	CheckpointOp uint64 // durable checkpoint
	// Serving: normal status, every op restart found executed (so the
	// state machine reflects everything acknowledged before) and, on a
	// primary, every op of earlier views executed too. A follower serves
	// reads of what it has executed; it forwards writes.
	Serving bool
	// Recovering: the replica's disk was lost (FormatRecovering) and it has
	// not caught up with the cluster yet.
	Recovering bool
	// Peers: one entry per replica (this one included, always
	// connected), read from the bus when State is called. Nil without a
	// bus.
	Peers []PeerState
}

// PeerState is what the bus knows of one replica.
type PeerState struct {
	Replica   int
	Connected bool      // an authenticated bus connection is up
	LastHeard time.Time // last message received from it (zero: never, this process)
}

// Stats counts what the node did.
type Stats struct {
	Persists    uint64 // vsrstore.Persist calls that wrote something
	Fsyncs      uint64 // fdatasync calls of the store
	Requests    uint64 // requests stepped (registers included, resends not)
	Resends     uint64 // requests stepped again for want of a reply
	Replies     uint64 // replies handed to a waiting Submit
	Timeouts    uint64 // Submit calls that gave up (ErrTimeout)
	Evictions   uint64 // ReplyEvicted answers (the session registered again)
	OpsApplied  uint64 // ops executed (rd.Applied), registers included
	Checkpoints uint64 // checkpoints persisted

	// Replica bus.
	Received     uint64 // messages the loop took from the bus (or Receive)
	InboxDrops   uint64 // received messages dropped: the loop was behind
	UnknownKinds uint64 // bus bodies of a kind this node does not know
	BadMessages  uint64 // bus bodies that did not decode, or lied about their sender
	SendErrors   uint64 // envelopes not queued (encoding failed, bus closed)
	RepliesSent  uint64 // replies sent to the replica owning the client
	Misrouted    uint64 // replies for clients no replica owns, or another's
	ParkedWaits  uint64 // replies held until this replica executed their op
}

type counters struct {
	persists, fsyncs, requests, resends, replies, timeouts, evictions, applied, checkpoints     atomic.Uint64
	received, inboxDrops, unknownKinds, badMessages, sendErrors, repliesSent, misrouted, parked atomic.Uint64
}

// Reply is the outcome of an executed request.
type Reply struct {
	Op   uint64 // the op that executed it
	Body []byte // the state machine's result
}

// wallClock gives the primary's prepare timestamps.
type wallClock struct{}

func (wallClock) RealtimeMicros() uint64 { return uint64(time.Now().UnixMicro()) }

var _ vsr.Clock = wallClock{}

// Open formats cfg.Dir if it holds no replica, opens it and builds the
// replica from what is durable. A restart restores the checkpoint into sm
// and replays the journal: sm.Apply runs on the caller's goroutine, inside
// Open. Whatever the start produced is persisted before Open returns. With
// several replicas (and no Hooks.Send) Open also starts the replica bus:
// it listens and dials from then on. Open owns cfg.BusListener, also when
// it fails.
func Open(ctx context.Context, cfg Config, sm vsr.StateMachine, hooks Hooks) (*Node, error) {
	cfg = cfg.withDefaults()
	useBus := cfg.ReplicaCount > 1 && hooks.Send == nil
	vc, err := cfg.check(useBus)
	if err != nil {
		if cfg.BusListener != nil {
			_ = cfg.BusListener.Close()
		}
		return nil, err
	}
	var l *link
	if useBus {
		// Built first: it owns the listener from here on (and New does
		// no I/O).
		if l, err = newLink(cfg); err != nil {
			if cfg.BusListener != nil {
				_ = cfg.BusListener.Close()
			}
			return nil, err
		}
	}
	n, err := open(ctx, cfg, vc, sm, hooks, l)
	if err != nil && l != nil {
		_ = l.close()
	}
	return n, err
}

// check validates cfg and returns the replica's configuration.
func (c Config) check(useBus bool) (vsr.Config, error) {
	if err := c.validate(); err != nil {
		return vsr.Config{}, fmt.Errorf("vsrnode: config: %w", err)
	}
	if useBus {
		if err := c.validateBus(); err != nil {
			return vsr.Config{}, fmt.Errorf("vsrnode: config: %w", err)
		}
	}
	seed, err := randomUint64()
	if err != nil {
		return vsr.Config{}, err
	}
	vc := c.vsrConfig(seed)
	if err := vc.Validate(); err != nil {
		return vsr.Config{}, fmt.Errorf("vsrnode: %w", err)
	}
	return vc, nil
}

func open(ctx context.Context, cfg Config, vc vsr.Config, sm vsr.StateMachine, hooks Hooks, l *link) (*Node, error) {
	if !cfg.RequireFormatted {
		err := vsrstore.Format(ctx, cfg.Dir, cfg.storeConfig(), cfg.Replica, cfg.Cluster)
		switch {
		case err == nil:
			cfg.Logger.Info("vsrnode: formatted replica", "dir", cfg.Dir, "cluster", cfg.Cluster, "replica", cfg.Replica)
		case !errors.Is(err, vsrstore.ErrFormatted):
			return nil, fmt.Errorf("vsrnode: %w", err)
		}
	}
	st, rec, err := vsrstore.Open(ctx, cfg.Dir, cfg.storeConfig())
	if errors.Is(err, vsrstore.ErrNotFormatted) {
		return nil, fmt.Errorf("vsrnode: %s holds no replica: %w (a replica of a new cluster is formatted once, explicitly; one that lost its data must not be formatted again)", cfg.Dir, ErrNotFormatted)
	}
	if err != nil {
		return nil, fmt.Errorf("vsrnode: %w", err)
	}
	r, err := rec.Start(vc, sm, wallClock{})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("vsrnode: %w", err)
	}
	n := newNode(cfg, hooks, r, st, l)
	n.logRestart(rec)
	// Messages for peers are queued on the bus, and leave once it
	// connects.
	if err := n.flush(ctx); err != nil {
		st.Close()
		return nil, err
	}
	n.publish()
	if l != nil {
		if err := l.start(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	return n, nil
}

// randomUint64 draws a seed from crypto/rand.
func randomUint64() (uint64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("vsrnode: seed: %w", err)
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func newNode(cfg Config, hooks Hooks, r *vsr.Replica, st *vsrstore.Store, l *link) *Node {
	n := &Node{cfg: cfg, hooks: hooks, restart: r.RestartReport(), r: r, store: st, link: l,
		pending:    make(map[uint64]*call, cfg.SessionsMax),
		calls:      make(chan *call, cfg.SessionsMax),
		inbox:      make(chan received, inboxMessagesMax),
		remoteSend: cfg.ReplicaCount > 1,
		pool:       make(chan *session, cfg.SessionsMax),
		serving:    make(chan struct{}), closed: make(chan struct{})}
	for range cfg.SessionsMax {
		n.pool <- &session{}
	}
	if l != nil {
		// The link feeds this node's inbox and counts into its stats.
		l.inbox, l.stats, l.onHost = n.inbox, &n.stats, hooks.OnHostFrame
	}
	return n
}

func (n *Node) logRestart(rec *vsrstore.Recovered) {
	rep := n.restart
	n.cfg.Logger.Info("vsrnode: replica started", "dir", n.cfg.Dir, "fresh", rec.Fresh(),
		"superblock_repairs", rec.SuperblockRepairs, "checkpoint_op", rep.CheckpointOp, "head", rep.Head,
		"executed", rep.Executed, "kept", rep.Kept, "faulty", rep.Faulty, "truncated", rep.Truncated,
		"torn", rep.Torn, "stale", rep.Stale, "misdirected", rep.Misdirected)
}

// RestartReport is what the start found in the durable state.
func (n *Node) RestartReport() vsr.RestartReport { return n.restart }

// State returns the latest snapshot the loop published, with the bus's
// view of the peers.
func (n *Node) State() State {
	s := *n.state.Load()
	if n.link != nil {
		s.Peers = n.link.peers()
	}
	return s
}

// BusStats returns the replica bus's counters; false without a bus.
func (n *Node) BusStats() (replicabus.Stats, bool) {
	if n.link == nil {
		return replicabus.Stats{}, false
	}
	return n.link.bus.Stats(), true
}

// Receive hands a message from replica from to the loop, for hosts that
// carry messages themselves (Hooks.Send). It never blocks: it reports
// false when the message was dropped (the loop is behind; VSR resends).
func (n *Node) Receive(from int, m *vsr.Message) bool {
	select {
	case n.inbox <- received{from: from, msg: m}:
		return true
	default:
		n.stats.inboxDrops.Add(1)
		return false
	}
}

// Stats returns the counters.
func (n *Node) Stats() Stats {
	c := &n.stats
	return Stats{Persists: c.persists.Load(), Fsyncs: c.fsyncs.Load(), Requests: c.requests.Load(),
		Resends: c.resends.Load(), Replies: c.replies.Load(), Timeouts: c.timeouts.Load(),
		Evictions: c.evictions.Load(), OpsApplied: c.applied.Load(), Checkpoints: c.checkpoints.Load(),
		Received: c.received.Load(), InboxDrops: c.inboxDrops.Load(), UnknownKinds: c.unknownKinds.Load(),
		BadMessages: c.badMessages.Load(), SendErrors: c.sendErrors.Load(), RepliesSent: c.repliesSent.Load(),
		Misrouted: c.misrouted.Load(), ParkedWaits: c.parked.Load()}
}

// WaitServing waits until State.Serving first holds: the replica is in
// normal status (primary or not) and has executed every op its restart
// found.
func (n *Node) WaitServing(ctx context.Context) error {
	select {
	case <-n.serving:
		return nil
	default:
	}
	select {
	case <-n.serving:
		return nil
	case <-n.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the bus and closes the store. Call it after Run returned
// (or instead of Run).
func (n *Node) Close() error {
	if n.started.Load() {
		select {
		case <-n.closed:
		default:
			return errors.New("vsrnode: close while Run is running")
		}
	}
	var errs []error
	if n.link != nil {
		errs = append(errs, n.link.close())
	}
	if err := n.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("vsrnode: %w", err))
	}
	return errors.Join(errs...)
}

// publish stores the replica's state for State and WaitServing.
func (n *Node) publish() {
	r := n.r
	s := &State{Status: r.Status(), View: r.View(), Primary: r.Primary(), Replica: r.Index(),
		CommitMin: r.CommitMin(), CommitMax: r.CommitMax(), Head: r.Head(), CheckpointOp: r.CheckpointOp()}
	s.Recovering = r.Recovering()
	// A replica rebuilding a lost disk serves once it holds the cluster's
	// state again (it leaves recovering then).
	s.Serving = s.Status == vsr.StatusNormal && s.CommitMin >= min(n.restart.Head, s.Head) && !s.Recovering
	if s.Status == vsr.StatusNormal && r.IsPrimary() {
		// core/vsr does not export its view start: the head when this
		// node first sees the view normal is it (the primary prepares
		// nothing before executing the view's start) or above.
		if n.primaryOf != s.View+1 {
			n.primaryOf, n.viewStart = s.View+1, s.Head
		}
		s.Serving = s.Serving && s.CommitMin >= n.viewStart
	}
	n.state.Store(s)
	if s.Serving {
		n.servOnce.Do(func() { close(n.serving) })
	}
}

// Format creates the replica of cfg in cfg.Dir: what a replica of a new
// cluster needs once before its first Open with RequireFormatted. It fails
// (vsrstore.ErrFormatted) on a directory that already holds one.
func Format(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("vsrnode: config: %w", err)
	}
	if err := vsrstore.Format(ctx, cfg.Dir, cfg.storeConfig(), cfg.Replica, cfg.Cluster); err != nil {
		return fmt.Errorf("vsrnode: %w", err)
	}
	return nil
}

// FormatRecovering creates the replica of cfg in cfg.Dir for a node whose
// data was lost: it rejoins recovering (vsr.NewRecovering), taking part in
// no quorum until it has caught up, so it cannot help cut ops it had
// acknowledged before. A cluster of one cannot recover this way.
func FormatRecovering(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("vsrnode: config: %w", err)
	}
	if cfg.ReplicaCount < 2 {
		return errors.New("vsrnode: format recovering: a cluster of one has no peer to recover from")
	}
	if err := vsrstore.FormatRecovering(ctx, cfg.Dir, cfg.storeConfig(), cfg.Replica, cfg.Cluster); err != nil {
		return fmt.Errorf("vsrnode: %w", err)
	}
	return nil
}

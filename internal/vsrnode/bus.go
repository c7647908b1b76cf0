package vsrnode

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/replicabus"
)

// Bus body kinds: the first byte of every replica-bus body.
const (
	// kindVSR: a core/vsr frame (vsr.AppendMessage) follows.
	kindVSR byte = 0
	// kindHost: a host frame follows (SendHost, Hooks.OnHostFrame).
	kindHost byte = 1
	// A node that does not know a kind drops the body.
)

// Bus limits.
const (
	// busFrameBodyBytesMax: the largest vsr frame plus the kind byte.
	busFrameBodyBytesMax = vsr.MessageSizeMax + 1
	// inboxMessagesMax and inboxBytesMax bound decoded messages waiting
	// for the loop (bytes: their bus bodies). When the loop is behind (a
	// checkpoint fsync), newer messages are dropped: VSR resends, and a
	// blocked reader would stall the connection.
	inboxMessagesMax = 1024
	inboxBytesMax    = 64 << 20
)

// received is one message for the loop, from a peer (or Receive).
type received struct {
	from  int
	msg   *vsr.Message
	bytes int // of the bus body it aliases, counted in link.queued
}

// link is the node's side of the replica bus: it encodes outgoing
// envelopes and decodes incoming bodies for the loop.
type link struct {
	bus     *replicabus.Bus
	cluster uint64
	me, n   int
	inbox   chan received // → loop; bounded, drops when full
	queued  atomic.Int64  // body bytes in inbox (the loop subtracts)
	stats   *counters
	onHost  func(from int, body []byte) // Hooks.OnHostFrame; nil drops host frames

	// heard[i]: unix nanoseconds of the last body received from replica i.
	heard []atomic.Int64
	// Encoding cache, loop-owned: a broadcast hands the same *Message to
	// every peer, which is encoded once.
	lastMsg   *vsr.Message
	lastFrame []byte

	wg sync.WaitGroup
}

// newLink builds the bus (no I/O yet); newNode connects it to the node.
func newLink(cfg Config) (*link, error) {
	bus, err := replicabus.New(replicabus.Config{Cluster: replicabus.ClusterIDFromUint64(cfg.Cluster),
		Replica: cfg.Replica, Roster: cfg.BusRoster, Key: cfg.BusKey, Listener: cfg.BusListener,
		Logger: cfg.Logger, FrameBodyBytesMax: busFrameBodyBytesMax,
		QueueBytesMax: max(busQueueBytesMax, busFrameBodyBytesMax)})
	if err != nil {
		return nil, fmt.Errorf("vsrnode: bus: %w", err)
	}
	return &link{bus: bus, cluster: cfg.Cluster, me: cfg.Replica, n: cfg.ReplicaCount,
		heard: make([]atomic.Int64, cfg.ReplicaCount)}, nil
}

// busQueueBytesMax is the per-peer send queue: a few dozen full prepares.
const busQueueBytesMax = 64 << 20

// start listens, dials and starts the reader goroutine.
func (l *link) start(ctx context.Context) error {
	if err := l.bus.Start(ctx); err != nil {
		return fmt.Errorf("vsrnode: bus: %w", err)
	}
	l.wg.Go(l.read)
	return nil
}

// close stops the bus (its inbox closes, so read returns) and waits.
func (l *link) close() error {
	err := l.bus.Close()
	l.wg.Wait()
	return err
}

// read decodes every body the bus delivers until the bus closes. It never
// blocks on the loop: a full inbox drops the message.
func (l *link) read() {
	for bm := range l.bus.Inbox() {
		if bm.From >= 0 && bm.From < len(l.heard) {
			l.heard[bm.From].Store(time.Now().UnixNano())
		}
		if len(bm.Body) > 0 && bm.Body[0] == kindHost && l.onHost != nil {
			l.onHost(bm.From, bm.Body[1:])
			continue
		}
		m, err := l.decode(bm)
		if err != nil {
			continue // counted by decode
		}
		size := len(bm.Body)
		if l.queued.Add(int64(size)) > inboxBytesMax {
			l.queued.Add(-int64(size))
			l.stats.inboxDrops.Add(1)
			continue
		}
		select {
		case l.inbox <- received{from: bm.From, msg: m, bytes: size}:
		default:
			l.queued.Add(-int64(size))
			l.stats.inboxDrops.Add(1)
		}
	}
}

// decode turns one bus body into a vsr message, or counts why not.
func (l *link) decode(bm replicabus.Message) (*vsr.Message, error) {
	if len(bm.Body) == 0 || bm.Body[0] != kindVSR {
		l.stats.unknownKinds.Add(1)
		return nil, errUnknownKind
	}
	m, err := vsr.DecodeMessage(bm.Body[1:], l.cluster)
	if err != nil {
		l.stats.badMessages.Add(1)
		return nil, err
	}
	// The bus authenticated the sender; a replica message (a reply too:
	// the primary sends it to the owning replica itself) must claim it.
	// Requests carry no sender identity: whoever thinks it is not primary
	// forwards them.
	if m.Command != vsr.CmdRequest && m.Replica != bm.From {
		l.stats.badMessages.Add(1)
		return nil, errImpostor
	}
	return m, nil
}

var (
	errUnknownKind = errors.New("vsrnode: unknown bus body kind")
	errImpostor    = errors.New("vsrnode: message sender is not the bus peer")
)

// send encodes m (once per broadcast) and queues it for replica to. It
// never blocks: the bus drops the oldest queued frames when a peer is
// slow, and VSR resends.
func (l *link) send(to int, m *vsr.Message) {
	if m != l.lastMsg {
		frame, err := vsr.AppendMessage([]byte{kindVSR}, m, l.cluster)
		if err != nil {
			l.stats.sendErrors.Add(1)
			return
		}
		l.lastMsg, l.lastFrame = m, frame
	}
	if err := l.bus.Send(to, l.lastFrame); err != nil {
		l.stats.sendErrors.Add(1)
	}
}

// forget drops the encoding cache at the end of a Ready: the replica may
// reuse nothing, but the cache must not pin a message forever.
func (l *link) forget() { l.lastMsg, l.lastFrame = nil, nil }

// peers reports each replica's bus state (this replica's entry: itself,
// connected).
func (l *link) peers() []PeerState {
	st := l.bus.Stats()
	out := make([]PeerState, l.n)
	for i := range out {
		out[i] = PeerState{Replica: i, Connected: i == l.me}
		if i < len(st.Peers) && i != l.me {
			out[i].Connected = st.Peers[i].Connected
		}
		if ns := l.heard[i].Load(); ns != 0 {
			out[i].LastHeard = time.Unix(0, ns)
		}
	}
	return out
}

// SendHost sends a host frame to replica to over the bus, waiting for
// room in its queue (never dropped for lack of room, unlike replica
// messages); the peer's Hooks.OnHostFrame receives body. It fails without
// a bus.
func (n *Node) SendHost(ctx context.Context, to int, body []byte) error {
	if n.link == nil {
		return errors.New("vsrnode: send host frame: no replica bus")
	}
	frame := make([]byte, 0, 1+len(body))
	frame = append(append(frame, kindHost), body...)
	if err := n.link.bus.SendWait(ctx, to, frame); err != nil {
		return fmt.Errorf("vsrnode: send host frame to replica %d: %w", to, err)
	}
	return nil
}

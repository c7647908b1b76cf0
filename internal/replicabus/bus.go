package replicabus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

var _ io.Closer = (*Bus)(nil)

// Message is one received message. Body is owned by the receiver.
type Message struct {
	From int
	Body []byte
}

// Bus connects this replica to every other replica of the roster. Send,
// SendWait, Receive, Inbox, WaitConnected, Stats and Close are safe for
// concurrent use.
type Bus struct {
	cfg   Config
	log   *slog.Logger
	peers []*peer // indexed by replica id; nil for this replica
	inbox chan Message

	handshakeFailures atomic.Uint64

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	ln      net.Listener
	wg      sync.WaitGroup
	// done is closed by Close, after which Send fails.
	done chan struct{}
}

// New validates cfg and builds a bus. It does no I/O: Start listens and dials.
func New(cfg Config) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.Roster = append([]string(nil), cfg.Roster...)
	cfg.Key = append([]byte(nil), cfg.Key...)
	b := &Bus{cfg: cfg, log: cfg.Logger.With("replica", cfg.Replica), peers: make([]*peer, len(cfg.Roster)),
		inbox: make(chan Message, cfg.InboxFramesMax), done: make(chan struct{})}
	for i, addr := range cfg.Roster {
		if i != cfg.Replica {
			b.peers[i] = newPeer(i, addr, &cfg)
		}
	}
	return b, nil
}

// Start listens on Roster[Replica] (or uses Config.Listener) and starts
// dialing every higher replica. ctx bounds the listen only; the bus runs
// until Close.
func (b *Bus) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if b.started {
		return errors.New("replicabus: already started")
	}
	ln := b.cfg.Listener
	if ln == nil {
		var err error
		var lc net.ListenConfig
		if ln, err = lc.Listen(ctx, "tcp", b.cfg.Roster[b.cfg.Replica]); err != nil {
			return fmt.Errorf("replicabus: listen: %w", err)
		}
	}
	b.cfg.Listener = nil // owned through b.ln from here on
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.started, b.ln, b.cancel = true, ln, cancel
	b.log.Info("replicabus: started", "listen", ln.Addr().String(), "cluster", b.cfg.Cluster.String(),
		"replicas", len(b.cfg.Roster))
	b.wg.Add(1)
	go b.acceptLoop(runCtx, ln)
	for id := b.cfg.Replica + 1; id < len(b.peers); id++ {
		b.wg.Add(1)
		go b.dialLoop(runCtx, b.peers[id])
	}
	return nil
}

// Addr is the listening address (useful with port 0), nil before Start.
func (b *Bus) Addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ln == nil {
		return nil
	}
	return b.ln.Addr()
}

// Close stops the bus: closes the listener and every connection, discards
// every queued message (VSR resends) and waits for its goroutines. The
// inbox channel is closed last. Idempotent; safe before Start.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	started := b.started
	if started {
		b.cancel()
		_ = b.ln.Close()
	} else if b.cfg.Listener != nil {
		_ = b.cfg.Listener.Close()
	}
	b.mu.Unlock()
	for _, p := range b.peers {
		if p != nil {
			p.q.close()
		}
	}
	b.wg.Wait()
	close(b.inbox)
	if started {
		b.log.Info("replicabus: closed")
	}
	return nil
}

// Send queues body for replica to and returns without blocking. If the
// peer's queue is full the oldest queued messages are dropped (counted in
// Stats). The bus keeps body until it is written: do not modify it.
func (b *Bus) Send(to int, body []byte) error {
	p, err := b.sendTarget(to, body)
	if err != nil {
		return err
	}
	frames, bytes, err := p.q.push(body)
	if frames > 0 {
		p.counters.droppedFrames.Add(uint64(frames))
		p.counters.droppedBytes.Add(uint64(bytes))
	}
	return err
}

// SendWait is Send without drops: it waits until the queue has room, ctx
// ends or the bus closes.
func (b *Bus) SendWait(ctx context.Context, to int, body []byte) error {
	p, err := b.sendTarget(to, body)
	if err != nil {
		return err
	}
	return p.q.pushWait(ctx, body)
}

func (b *Bus) sendTarget(to int, body []byte) (*peer, error) {
	switch {
	case to == b.cfg.Replica:
		return nil, ErrSelf
	case to < 0 || to >= len(b.peers):
		return nil, fmt.Errorf("%w: %d (roster has %d)", ErrUnknownReplica, to, len(b.peers))
	case len(body) > b.cfg.FrameBodyBytesMax:
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(body), b.cfg.FrameBodyBytesMax)
	}
	select {
	case <-b.done:
		return nil, ErrClosed
	default:
	}
	return b.peers[to], nil
}

// Inbox is the channel of received messages, for select-based event
// loops. It is closed after Close.
func (b *Bus) Inbox() <-chan Message { return b.inbox }

// Receive returns the next received message.
func (b *Bus) Receive(ctx context.Context) (Message, error) {
	select {
	case m, ok := <-b.inbox:
		if !ok {
			return Message{}, ErrClosed
		}
		return m, nil
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// WaitConnected blocks until replica id has an authenticated connection.
func (b *Bus) WaitConnected(ctx context.Context, id int) error {
	if id == b.cfg.Replica || id < 0 || id >= len(b.peers) {
		return fmt.Errorf("%w: %d", ErrUnknownReplica, id)
	}
	p := b.peers[id]
	for {
		up, changed := p.state()
		if up {
			return nil
		}
		select {
		case <-changed:
		case <-b.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *Bus) params() hsParams {
	return hsParams{cluster: b.cfg.Cluster, key: b.cfg.Key, me: uint16(b.cfg.Replica), n: len(b.cfg.Roster)}
}

// dialLoop keeps one connection to a higher replica, reconnecting with
// capped exponential backoff and jitter until ctx ends.
func (b *Bus) dialLoop(ctx context.Context, p *peer) {
	defer b.wg.Done()
	dialer := net.Dialer{Timeout: b.cfg.DialTimeout}
	for attempt := 0; ; attempt++ {
		nc, err := dialer.DialContext(ctx, "tcp", p.addr)
		if err == nil {
			err = b.handshake(ctx, nc, func() error { return dialHandshake(nc, b.params(), uint16(p.id)) })
			if err != nil {
				b.handshakeFailures.Add(1)
				b.log.Warn("replicabus: handshake failed", "peer", p.id, "addr", p.addr, "err", err)
			}
		} else if ctx.Err() == nil {
			b.log.Debug("replicabus: dial failed", "peer", p.id, "addr", p.addr, "err", err)
		}
		if err == nil {
			attempt = 0
			c := newConn(b, p, nc)
			p.attach(c)
			c.run(ctx)
		}
		if !sleep(ctx, backoff(b.cfg.BackoffMin, b.cfg.BackoffMax, attempt)) {
			return
		}
	}
}

// handshake runs fn under the handshake deadline, aborted if ctx ends.
// On failure nc is closed.
func (b *Bus) handshake(ctx context.Context, nc net.Conn, fn func() error) error {
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	defer stop()
	err := nc.SetDeadline(time.Now().Add(b.cfg.HandshakeTimeout))
	if err == nil {
		err = fn()
	}
	if err == nil {
		err = nc.SetDeadline(time.Time{})
	}
	if err == nil && ctx.Err() != nil {
		err = ErrClosed
	}
	if err != nil {
		_ = nc.Close()
	}
	return err
}

func (b *Bus) acceptLoop(ctx context.Context, ln net.Listener) {
	defer b.wg.Done()
	slots := make(chan struct{}, handshakesMax)
	for attempt := 0; ; {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// Transient (e.g. out of descriptors): back off, keep serving.
			b.log.Warn("replicabus: accept", "err", err)
			if !sleep(ctx, backoff(b.cfg.BackoffMin, b.cfg.BackoffMax, attempt)) {
				return
			}
			attempt++
			continue
		}
		attempt = 0
		select {
		case slots <- struct{}{}:
		default:
			b.handshakeFailures.Add(1)
			b.log.Warn("replicabus: too many handshakes in progress, refusing", "remote", nc.RemoteAddr().String(),
				"handshakes_max", handshakesMax)
			_ = nc.Close()
			continue
		}
		b.wg.Add(1)
		go b.serveAccepted(ctx, nc, slots)
	}
}

func (b *Bus) serveAccepted(ctx context.Context, nc net.Conn, slots chan struct{}) {
	defer b.wg.Done()
	var from uint16
	err := b.handshake(ctx, nc, func() (err error) {
		from, err = acceptHandshake(nc, b.params())
		return err
	})
	<-slots
	if err != nil {
		if ctx.Err() == nil {
			b.handshakeFailures.Add(1)
			b.log.Warn("replicabus: handshake refused", "remote", nc.RemoteAddr().String(), "err", err)
		}
		return
	}
	p := b.peers[from]
	c := newConn(b, p, nc)
	p.attach(c)
	c.run(ctx)
}

// backoff returns the wait before reconnect attempt n: min·2ⁿ capped at
// max, drawn uniformly from [d/2, d) so restarted replicas do not redial
// in lockstep.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d-d/2)
}

// sleep waits d or until ctx ends; it reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

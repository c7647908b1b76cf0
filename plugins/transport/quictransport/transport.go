package quictransport

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Name is this implementation's name within component.KindTransport.
const Name = "quic"

const (
	// streamsMax bounds the request streams a client may have open at once;
	// they are served one after another anyway.
	streamsMax = 100
	// streamWindowBytesMax and connWindowBytesMax bound flow-control
	// windows, so a connection buffers at most this much unread input.
	streamWindowBytesMax = 16 << 20
	connWindowBytesMax   = 24 << 20
	// handshakeTimeout bounds a handshake, so silent peers cannot hold
	// connection slots.
	handshakeTimeout = 10 * time.Second
	// acceptBackoffMax bounds the retry delay after a failed Accept.
	acceptBackoffMax = time.Second
)

// SampleTOML is the [quic] table with every key and its default.
//
//go:embed sample.toml
var SampleTOML []byte

// Factory registers the QUIC transport; the server builds it from its
// [quic] table.
func Factory() component.Factory[transport.Transport] {
	return component.Factory[transport.Transport]{
		Info: component.Info{Kind: component.KindTransport, Name: Name, Stability: component.StabilityBeta, Sample: SampleTOML},
		New: func(_ context.Context, env component.Env, raw map[string]any) (transport.Transport, error) {
			cfg, err := DecodeConfig(raw)
			if err != nil {
				return nil, err
			}
			return New(env, cfg)
		},
	}
}

var _ transport.Transport = (*Transport)(nil)

// Transport is the QUIC transport. Build it with New.
type Transport struct {
	cfg Config
	log *slog.Logger

	stopping chan struct{} // closed when shutdown begins
	drained  chan struct{} // closed once every connection is gone and the socket closed

	mu       sync.Mutex
	started  bool
	serving  bool
	closing  bool
	udp      net.PacketConn
	qtr      *quic.Transport
	ln       *quic.Listener
	conns    map[*conn]struct{}
	connWG   sync.WaitGroup // Add only under mu while !closing
	rejected uint64
	// baseCtx parents every connection's ctx; cancelBase forces them.
	baseCtx    context.Context
	cancelBase context.CancelFunc
	forceTimer *time.Timer
	// lingerTimeout: see conn.linger. A field so tests can shorten it.
	lingerTimeout time.Duration
}

// New validates cfg and builds a Transport. It does no I/O.
func New(env component.Env, cfg Config) (*Transport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	return &Transport{
		cfg:           cfg,
		log:           log.With("transport", Name),
		stopping:      make(chan struct{}),
		drained:       make(chan struct{}),
		conns:         make(map[*conn]struct{}),
		lingerTimeout: min(lingerTimeoutDefault, cfg.DrainTimeout/2),
	}, nil
}

// quicConfig is the connection configuration every accepted connection
// gets.
func (t *Transport) quicConfig() *quic.Config {
	keepAlive := t.cfg.KeepAliveInterval
	if keepAlive < 0 {
		keepAlive = 0
	}
	return &quic.Config{
		HandshakeIdleTimeout:       handshakeTimeout,
		MaxIdleTimeout:             t.cfg.MaxIdleTimeout,
		KeepAlivePeriod:            keepAlive,
		MaxIncomingStreams:         streamsMax,
		MaxIncomingUniStreams:      -1, // the protocol has no use for them
		MaxStreamReceiveWindow:     streamWindowBytesMax,
		MaxConnectionReceiveWindow: connWindowBytesMax,
	}
}

// Start loads or generates the certificate and binds the UDP socket.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closing:
		return errors.New("quictransport: start after close")
	case t.started:
		return errors.New("quictransport: already started")
	}
	tlsCfg, err := transporttls.ServerConfig(t.cfg.TLS, time.Now())
	if err != nil {
		return fmt.Errorf("quictransport: %w", err)
	}
	tlsCfg.MinVersion = tls.VersionTLS13 // QUIC requires it
	// No ALPN: Iggy configures none (iggy-wire-protocol.md §7.2), and a
	// server with protocols refuses clients that offer none.
	var lc net.ListenConfig
	udp, err := lc.ListenPacket(ctx, "udp", t.cfg.Address)
	if err != nil {
		return fmt.Errorf("quictransport: listen: %w", err)
	}
	qtr := &quic.Transport{Conn: udp}
	ln, err := qtr.Listen(tlsCfg, t.quicConfig())
	if err != nil {
		qtr.Close()
		udp.Close()
		return fmt.Errorf("quictransport: listen: %w", err)
	}
	t.udp, t.qtr, t.ln, t.started = udp, qtr, ln, true
	t.log.Info("quictransport: listening", "addr", udp.LocalAddr().String())
	return nil
}

// Addr is the bound UDP address after Start, "" before.
func (t *Transport) Addr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.udp == nil {
		return ""
	}
	return t.udp.LocalAddr().String()
}

// Serve accepts connections until ctx ends or Close, then drains them (see
// transport.Transport and the package comment) and returns nil.
func (t *Transport) Serve(ctx context.Context, h transport.Handler) error {
	t.mu.Lock()
	switch {
	case t.closing:
		t.mu.Unlock()
		return nil
	case !t.started:
		t.mu.Unlock()
		return fmt.Errorf("quictransport: serve: %w", transport.ErrNotStarted)
	case t.serving:
		t.mu.Unlock()
		return errors.New("quictransport: serve called twice")
	}
	t.serving = true
	t.baseCtx, t.cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	ln := t.ln
	t.mu.Unlock()

	stop := context.AfterFunc(ctx, t.shutdown)
	defer stop()
	t.acceptLoop(ln, h)
	t.shutdown()
	<-t.drained
	t.cancelBase()
	return nil
}

// acceptLoop runs until the listener is closed, which happens once the
// drain is over: during the drain new connections are still accepted, only
// to be closed at once with code 8, so clients learn of the shutdown
// instead of waiting for a handshake timeout.
func (t *Transport) acceptLoop(ln *quic.Listener, h transport.Handler) {
	var delay time.Duration
	for {
		qc, err := ln.Accept(context.Background())
		if err == nil {
			delay = 0
			t.admit(qc, h)
			continue
		}
		if errors.Is(err, quic.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
			return
		}
		select {
		case <-t.drained:
			return
		default:
		}
		delay = min(max(2*delay, 5*time.Millisecond), acceptBackoffMax)
		t.log.Warn("quictransport: accept failed, retrying", "err", err, "retry_in", delay)
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-t.drained:
			timer.Stop()
			return
		}
	}
}

// admit tracks a new connection and starts its goroutine, or closes it
// when shutting down or at ConnectionsMax.
func (t *Transport) admit(qc *quic.Conn, h transport.Handler) {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		go qc.CloseWithError(quic.ApplicationErrorCode(wire.ErrDisconnected.Code), "server shutting down")
		return
	}
	if len(t.conns) >= t.cfg.ConnectionsMax {
		t.rejected++
		rejected := t.rejected
		t.mu.Unlock()
		go qc.CloseWithError(quic.ApplicationErrorCode(wire.ErrGeneric.Code), "connections_max reached")
		t.log.Warn("quictransport: connections_max reached, closed new connection",
			"remote", qc.RemoteAddr().String(), "connections_max", t.cfg.ConnectionsMax, "rejected_total", rejected)
		return
	}
	c := newConn(t, qc)
	t.conns[c] = struct{}{}
	t.connWG.Add(1)
	ctx := t.baseCtx
	t.mu.Unlock()
	go t.serveConn(ctx, c, h)
}

func (t *Transport) forget(c *conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	t.connWG.Done()
}

// Close begins the shutdown and waits for the drain, forcing connections
// shut after DrainTimeout or when ctx ends. Idempotent; safe before Start.
func (t *Transport) Close(ctx context.Context) error {
	t.shutdown()
	select {
	case <-t.drained:
		return nil
	case <-ctx.Done():
		t.forceClose()
		return fmt.Errorf("quictransport: close: %w", ctx.Err())
	}
}

// shutdown begins the shutdown once: every connection is told to finish,
// a timer forces them after DrainTimeout, and the socket is closed once
// they are all gone.
func (t *Transport) shutdown() {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return
	}
	t.closing = true
	close(t.stopping)
	for c := range t.conns {
		c.stop()
	}
	t.forceTimer = time.AfterFunc(t.cfg.DrainTimeout, t.forceClose)
	ln, qtr, udp := t.ln, t.qtr, t.udp
	t.mu.Unlock()

	go func() {
		t.connWG.Wait()
		t.mu.Lock()
		t.forceTimer.Stop()
		t.mu.Unlock()
		if ln != nil {
			ln.Close()
			qtr.Close()
			udp.Close()
		}
		close(t.drained)
	}()
}

// forceClose cancels every Handle's ctx and closes every connection.
func (t *Transport) forceClose() {
	t.mu.Lock()
	if t.cancelBase != nil {
		t.cancelBase()
	}
	conns := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	if len(conns) > 0 {
		t.log.Warn("quictransport: drain ended, forcing connections shut", "connections", len(conns))
	}
	for _, c := range conns {
		go c.qc.CloseWithError(quic.ApplicationErrorCode(wire.ErrDisconnected.Code), "server shutting down")
	}
}

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
	"github.com/runnel-io/runnel/plugins/transport/connset"
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
	cfg   Config
	log   *slog.Logger
	conns *connset.Set[*conn]

	mu      sync.Mutex
	started bool
	serving bool
	udp     net.PacketConn
	qtr     *quic.Transport
	ln      *quic.Listener
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
	t := &Transport{
		cfg:           cfg,
		log:           log.With("transport", Name),
		lingerTimeout: min(lingerTimeoutDefault, cfg.DrainTimeout/2),
	}
	// The listener stays open through the drain (see acceptLoop) and the
	// socket until the last connection is gone: Release closes both.
	sc := cfg.connset()
	sc.Log, sc.Release = t.log, t.closeSocket
	t.conns = connset.New[*conn](sc)
	return t, nil
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
	case t.conns.Closing():
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
	case t.conns.Closing():
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
	t.conns.Serve(ctx)
	ln := t.ln
	t.mu.Unlock()

	t.acceptLoop(ln, h)
	t.conns.Drain()
	return nil
}

// acceptLoop runs until the listener is closed, which happens once the
// drain is over: during the drain new connections are still accepted, only
// to be closed at once with code 8, so clients learn of the shutdown
// instead of waiting for a handshake timeout.
func (t *Transport) acceptLoop(ln *quic.Listener, h transport.Handler) {
	connset.AcceptLoop(connset.Acceptor[*quic.Conn]{
		Name: "quictransport", Log: t.log, Done: t.conns.Drained(),
		Accept: func() (*quic.Conn, error) { return ln.Accept(context.Background()) },
		Closed: func(err error) bool {
			return errors.Is(err, quic.ErrServerClosed) || errors.Is(err, net.ErrClosed)
		},
	}, func(qc *quic.Conn) { t.admit(qc, h) })
}

// admit tracks a new connection and starts its goroutine, or closes it
// when shutting down or at ConnectionsMax.
func (t *Transport) admit(qc *quic.Conn, h transport.Handler) {
	c := newConn(t, qc)
	ctx, err := t.conns.Admit(c)
	switch {
	case errors.Is(err, connset.ErrClosing):
		c.acceptCancel()
		go qc.CloseWithError(quic.ApplicationErrorCode(wire.ErrDisconnected.Code), "server shutting down")
	case errors.Is(err, connset.ErrFull):
		c.acceptCancel()
		go qc.CloseWithError(quic.ApplicationErrorCode(wire.ErrGeneric.Code), "connections_max reached")
		t.log.Warn("quictransport: connections_max reached, closed new connection",
			"remote", c.remote, "connections_max", t.cfg.ConnectionsMax, "rejected_total", t.conns.Rejected())
	default:
		go t.serveConn(ctx, c, h)
	}
}

// Close begins the shutdown and waits for the drain, forcing connections
// shut after DrainTimeout or when ctx ends. Idempotent; safe before Start.
func (t *Transport) Close(ctx context.Context) error {
	if err := t.conns.Close(ctx); err != nil {
		return fmt.Errorf("quictransport: close: %w", err)
	}
	return nil
}

// closeSocket closes the listener and the UDP socket once every connection
// is gone.
func (t *Transport) closeSocket() {
	t.mu.Lock()
	ln, qtr, udp := t.ln, t.qtr, t.udp
	t.mu.Unlock()
	if ln != nil {
		ln.Close()
		qtr.Close()
		udp.Close()
	}
}

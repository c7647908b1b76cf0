package tcptransport

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

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Name is this implementation's name within component.KindTransport.
const Name = "tcp"

// SampleTOML is the [tcp] table with every key and its default; a test
// decodes it and compares it with DefaultConfig.
//
//go:embed sample.toml
var SampleTOML []byte

// Factory registers the TCP transport; the server builds it from its [tcp]
// table.
func Factory() component.Factory[transport.Transport] {
	return component.Factory[transport.Transport]{
		Info: component.Info{Kind: component.KindTransport, Name: Name, Stability: component.StabilityStable, Sample: SampleTOML},
		New: func(_ context.Context, env component.Env, raw map[string]any) (transport.Transport, error) {
			cfg, err := DecodeConfig(raw)
			if err != nil {
				return nil, err
			}
			return New(env, cfg)
		},
	}
}

var (
	_ transport.Transport = (*Transport)(nil)
	_ component.Component = (*Transport)(nil)
)

// Transport is the TCP (optionally TLS) transport. Build it with New.
type Transport struct {
	cfg   Config
	log   *slog.Logger
	conns *connset.Set[*conn]

	mu      sync.Mutex
	started bool
	serving bool
	ln      net.Listener
	tls     *tls.Config
	// largeRequests recycles request buffers grown past
	// requestBufferBytesMax between connections: producers sending big
	// batches reuse them instead of allocating per request, and the GC
	// reclaims them when the load goes away.
	largeRequests sync.Pool
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
	t := &Transport{cfg: cfg.withDefaults(), log: log.With("transport", Name)}
	sc := t.cfg.connset()
	sc.Log, sc.StopAccepting = t.log, t.closeListener
	t.conns = connset.New[*conn](sc)
	return t, nil
}

// Start loads or generates the TLS certificate and binds the listener.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.conns.Closing():
		return errors.New("tcptransport: start after close")
	case t.started:
		return errors.New("tcptransport: already started")
	}
	if t.cfg.TLS.Enabled {
		cfg, err := transporttls.ServerConfig(t.cfg.TLS, time.Now())
		if err != nil {
			return fmt.Errorf("tcptransport: %w", err)
		}
		t.tls = cfg
	}
	// Accepted connections inherit the keep-alive period; negative disables.
	lc := net.ListenConfig{KeepAlive: t.cfg.KeepAlive}
	ln, err := lc.Listen(ctx, "tcp", t.cfg.Address)
	if err != nil {
		return fmt.Errorf("tcptransport: listen: %w", err)
	}
	t.ln, t.started = ln, true
	t.log.Info("tcptransport: listening", "addr", ln.Addr().String(), "tls", t.tls != nil)
	return nil
}

// Addr is the bound address after Start, "" before.
func (t *Transport) Addr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ln == nil {
		return ""
	}
	return t.ln.Addr().String()
}

// Serve accepts connections until ctx ends or Close, then drains them (see
// transport.Transport) and returns nil.
func (t *Transport) Serve(ctx context.Context, h transport.Handler) error {
	t.mu.Lock()
	switch {
	case t.conns.Closing():
		t.mu.Unlock()
		return nil
	case !t.started:
		t.mu.Unlock()
		return fmt.Errorf("tcptransport: serve: %w", transport.ErrNotStarted)
	case t.serving:
		t.mu.Unlock()
		return errors.New("tcptransport: serve called twice")
	}
	t.serving = true
	t.conns.Serve(ctx)
	ln := t.ln
	t.mu.Unlock()

	connset.AcceptLoop(connset.Acceptor[net.Conn]{
		Name: "tcptransport", Log: t.log, Accept: ln.Accept, Done: t.conns.Stopping(),
		Closed: func(err error) bool { return errors.Is(err, net.ErrClosed) },
	}, func(nc net.Conn) { t.admit(nc, h) })
	t.conns.Drain()
	return nil
}

// admit tracks a new connection and starts its goroutine, or closes it when
// shutting down or at ConnectionsMax.
func (t *Transport) admit(nc net.Conn, h transport.Handler) {
	c := newConn(t, nc)
	ctx, err := t.conns.Admit(c)
	if err != nil {
		nc.Close()
		if errors.Is(err, connset.ErrFull) {
			t.log.Warn("tcptransport: connections_max reached, closed new connection",
				"remote", c.remote, "connections_max", t.cfg.ConnectionsMax, "rejected_total", t.conns.Rejected())
		}
		return
	}
	go t.serveConn(ctx, c, h)
}

// Close stops accepting, sends every connection the status-8 frame once its
// in-flight request is answered, and waits for them, forcing them shut after
// DrainTimeout or when ctx ends. Idempotent; safe before Start.
func (t *Transport) Close(ctx context.Context) error {
	if err := t.conns.Close(ctx); err != nil {
		return fmt.Errorf("tcptransport: close: %w", err)
	}
	return nil
}

// closeListener ends the accept loop as the shutdown begins.
func (t *Transport) closeListener() {
	t.mu.Lock()
	ln := t.ln
	t.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

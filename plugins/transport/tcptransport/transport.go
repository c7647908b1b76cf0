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
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Name is this implementation's name within component.KindTransport.
const Name = "tcp"

// Accept-error backoff, as net/http: transient errors (EMFILE) are retried
// with a doubling delay instead of spinning or giving up.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

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
	cfg Config
	log *slog.Logger

	// stopping is closed when shutdown begins; drained once, after that,
	// every connection goroutine has finished.
	stopping chan struct{}
	drained  chan struct{}

	mu       sync.Mutex
	started  bool
	serving  bool
	closing  bool
	ln       net.Listener
	tls      *tls.Config
	conns    map[*conn]struct{}
	connWG   sync.WaitGroup // Add only under mu while !closing
	rejected uint64         // connections refused by ConnectionsMax
	// largeRequests recycles request buffers grown past
	// requestBufferBytesMax between connections: producers sending big
	// batches reuse them instead of allocating per request, and the GC
	// reclaims them when the load goes away.
	largeRequests sync.Pool
	// baseCtx parents every connection's ctx; cancelBase forces them.
	baseCtx    context.Context
	cancelBase context.CancelFunc
	forceTimer *time.Timer
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
	return &Transport{
		cfg:      cfg.withDefaults(),
		log:      log.With("transport", Name),
		stopping: make(chan struct{}),
		drained:  make(chan struct{}),
		conns:    make(map[*conn]struct{}),
	}, nil
}

// Start loads or generates the TLS certificate and binds the listener.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closing:
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
	case t.closing:
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
	// Connections outlive Serve's ctx by the drain: they keep its values but
	// are cancelled only when forced.
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

// acceptLoop runs until the listener is closed by shutdown.
func (t *Transport) acceptLoop(ln net.Listener, h transport.Handler) {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err == nil {
			delay = 0
			t.admit(nc, h)
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
		t.log.Warn("tcptransport: accept failed, retrying", "err", err, "retry_in", delay)
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-t.stopping:
			timer.Stop()
			return
		}
	}
}

// admit tracks a new connection and starts its goroutine, or closes it when
// shutting down or at ConnectionsMax.
func (t *Transport) admit(nc net.Conn, h transport.Handler) {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		nc.Close()
		return
	}
	if len(t.conns) >= t.cfg.ConnectionsMax {
		t.rejected++
		rejected := t.rejected
		t.mu.Unlock()
		nc.Close()
		t.log.Warn("tcptransport: connections_max reached, closed new connection",
			"remote", nc.RemoteAddr().String(), "connections_max", t.cfg.ConnectionsMax, "rejected_total", rejected)
		return
	}
	c := newConn(t, nc)
	t.conns[c] = struct{}{}
	t.connWG.Add(1)
	ctx := t.baseCtx
	t.mu.Unlock()
	go t.serveConn(ctx, c, h)
}

// forget untracks a finished connection.
func (t *Transport) forget(c *conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	t.connWG.Done()
}

// Close stops accepting, sends every connection the status-8 frame once its
// in-flight request is answered, and waits for them, forcing them shut after
// DrainTimeout or when ctx ends. Idempotent; safe before Start.
func (t *Transport) Close(ctx context.Context) error {
	t.shutdown()
	select {
	case <-t.drained:
		return nil
	case <-ctx.Done():
		t.forceClose()
		return fmt.Errorf("tcptransport: close: %w", ctx.Err())
	}
}

// shutdown begins the shutdown once: no more accepts, every connection is
// told to finish, and a timer forces them after DrainTimeout.
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
	ln := t.ln
	t.forceTimer = time.AfterFunc(t.cfg.DrainTimeout, t.forceClose)
	t.mu.Unlock()

	if ln != nil {
		ln.Close()
	}
	// No Add can follow: admit checks closing under mu.
	go func() {
		t.connWG.Wait()
		t.mu.Lock()
		t.forceTimer.Stop()
		t.mu.Unlock()
		close(t.drained)
	}()
}

// forceClose cancels every Handle's ctx and closes every socket.
func (t *Transport) forceClose() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cancelBase != nil {
		t.cancelBase()
	}
	if len(t.conns) > 0 {
		t.log.Warn("tcptransport: drain ended, forcing connections shut", "connections", len(t.conns))
	}
	for c := range t.conns {
		c.raw.Close()
	}
}

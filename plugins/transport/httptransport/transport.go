package httptransport

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Name is this implementation's name within component.KindTransport, and
// the Session.Transport() of its logins.
const Name = "http"

// Server limits that are not worth a config key: a slow client cannot hold a
// connection open by trickling headers, and headers stay small.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	headerBytesMax    = 64 << 10
	sweepIntervalMin  = time.Second
	sweepIntervalMax  = time.Minute
)

// SampleTOML is the [http] table with every key and its default; a test
// decodes it and compares it with DefaultConfig.
//
//go:embed sample.toml
var SampleTOML []byte

// Factory registers the HTTP transport; the server builds it from its
// [http] table.
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

// Transport is the HTTP (optionally HTTPS) REST API. Build it with New.
type Transport struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions

	stopping chan struct{} // closed when shutdown begins
	drained  chan struct{} // closed once every request and session is gone

	mu       sync.Mutex
	started  bool
	serving  bool
	closing  bool
	refusing bool // no request may start: the in-flight wait has begun
	ln       net.Listener
	srv      *http.Server
	issuer   *issuer
	handler  transport.Handler
	inflight sync.WaitGroup // Add only under mu while !refusing
	// baseCtx parents every request's ctx; cancelBase forces them.
	baseCtx    context.Context
	cancelBase context.CancelFunc
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
		cfg:      cfg,
		log:      log.With("transport", Name),
		now:      time.Now,
		sessions: newSessions(cfg.ConnectionsMax),
		stopping: make(chan struct{}),
		drained:  make(chan struct{}),
	}, nil
}

// Start makes the JWT key, loads or generates the TLS certificate and binds
// the listener.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closing:
		return errors.New("httptransport: start after close")
	case t.started:
		return errors.New("httptransport: already started")
	}
	is, err := newIssuer(t.cfg.JWT.Secret, t.now)
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if t.cfg.TLS.Enabled {
		if tlsCfg, err = transporttls.ServerConfig(t.cfg.TLS, time.Now()); err != nil {
			return fmt.Errorf("httptransport: %w", err)
		}
	}
	var lc net.ListenConfig
	raw, err := lc.Listen(ctx, "tcp", t.cfg.Address)
	if err != nil {
		return fmt.Errorf("httptransport: listen: %w", err)
	}
	ln := net.Listener(&limitListener{Listener: raw, max: int64(t.cfg.ConnectionsMax), log: t.log})
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	t.ln, t.issuer, t.started = ln, is, true
	t.log.Info("httptransport: listening", "addr", raw.Addr().String(), "tls", tlsCfg != nil)
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

// Serve answers HTTP requests with h until ctx ends or Close, then lets
// in-flight requests finish (bounded by DrainTimeout), ends every login
// session (Disconnected) and returns nil.
func (t *Transport) Serve(ctx context.Context, h transport.Handler) error {
	t.mu.Lock()
	switch {
	case t.closing:
		t.mu.Unlock()
		return nil
	case !t.started:
		t.mu.Unlock()
		return fmt.Errorf("httptransport: serve: %w", transport.ErrNotStarted)
	case t.serving:
		t.mu.Unlock()
		return errors.New("httptransport: serve called twice")
	}
	t.serving, t.handler = true, h
	// Requests outlive Serve's ctx by the drain: they keep its values but
	// are cancelled only when forced.
	t.baseCtx, t.cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	t.srv = &http.Server{
		Handler:           t.middleware(t.mux(h)),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    headerBytesMax,
		BaseContext:       func(net.Listener) context.Context { return t.baseCtx },
		ErrorLog:          slog.NewLogLogger(t.log.Handler(), slog.LevelDebug),
	}
	srv, ln := t.srv, t.ln
	t.mu.Unlock()

	stop := context.AfterFunc(ctx, t.shutdown)
	defer stop()
	go t.sweepLoop()
	err := srv.Serve(ln)
	t.shutdown()
	<-t.drained
	t.cancelBase()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httptransport: serve: %w", err)
	}
	return nil
}

// sweepLoop ends expired sessions until shutdown.
func (t *Transport) sweepLoop() {
	interval := min(max(t.cfg.JWT.AccessTokenExpiry/4, sweepIntervalMin), sweepIntervalMax)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if n := t.sessions.sweep(t.now()); n > 0 {
				t.log.Debug("httptransport: expired sessions ended", "sessions", n)
			}
		case <-t.stopping:
			return
		}
	}
}

// Close stops accepting, lets in-flight requests finish, ends every
// session and waits for all that, forcing requests after DrainTimeout or
// when ctx ends. Idempotent; safe before Start.
func (t *Transport) Close(ctx context.Context) error {
	t.shutdown()
	select {
	case <-t.drained:
		return nil
	case <-ctx.Done():
		t.forceClose()
		return fmt.Errorf("httptransport: close: %w", ctx.Err())
	}
}

// shutdown begins the shutdown once.
func (t *Transport) shutdown() {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return
	}
	t.closing = true
	close(t.stopping)
	srv, ln := t.srv, t.ln
	t.mu.Unlock()

	if srv == nil { // never served: only the listener to close
		if ln != nil {
			ln.Close()
		}
		t.sessions.closeAll()
		close(t.drained)
		return
	}
	go t.drain(srv)
}

// drain waits for in-flight requests (forcing them after DrainTimeout),
// then ends every session.
func (t *Transport) drain(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), t.cfg.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.log.Warn("httptransport: drain ended, forcing requests shut", "err", err)
		t.forceClose()
	}
	t.mu.Lock()
	t.refusing = true
	t.mu.Unlock()
	t.inflight.Wait()
	t.sessions.closeAll()
	close(t.drained)
}

// forceClose cancels every request's ctx and closes every connection.
func (t *Transport) forceClose() {
	t.mu.Lock()
	srv, cancel := t.srv, t.cancelBase
	t.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if srv != nil {
		srv.Close()
	}
}

// enter counts a request in; false when shutdown no longer admits any.
func (t *Transport) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refusing {
		return false
	}
	t.inflight.Add(1)
	return true
}

// limitListener closes connections beyond max at once, so a flood cannot
// exhaust file descriptors or goroutines.
type limitListener struct {
	net.Listener
	max      int64
	log      *slog.Logger
	active   atomic.Int64
	rejected atomic.Uint64
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.active.Add(1) <= l.max {
			return &limitConn{Conn: c, l: l}, nil
		}
		l.active.Add(-1)
		c.Close()
		l.log.Warn("httptransport: connections_max reached, closed new connection",
			"remote", c.RemoteAddr().String(), "connections_max", l.max, "rejected_total", l.rejected.Add(1))
	}
}

type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(func() { c.l.active.Add(-1) })
	return c.Conn.Close()
}

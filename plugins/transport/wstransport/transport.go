package wstransport

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Name is this implementation's name within component.KindTransport; it
// is also Session.Transport(), the name the server maps to Iggy's
// WebSocket transport code.
const Name = "websocket"

// HTTP server bounds: a slow or silent client cannot hold a goroutine
// forever before its upgrade, nor send unbounded headers.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 60 * time.Second
	headerBytesMax    = 64 << 10
)

// SampleTOML is the [websocket] table with every key and its default.
//
//go:embed sample.toml
var SampleTOML []byte

// Factory registers the WebSocket transport; the server builds it from its
// [websocket] table.
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

// Transport is the WebSocket transport. Build it with New.
type Transport struct {
	cfg   Config
	log   *slog.Logger
	conns *connset.Set[*conn]

	mu      sync.Mutex
	started bool
	serving bool
	ln      net.Listener
	srv     *http.Server
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
	sc.Log, sc.StopAccepting = t.log, t.stopHTTP
	t.conns = connset.New[*conn](sc)
	return t, nil
}

// Start loads or generates the TLS certificate (when enabled) and binds
// the listener.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.conns.Closing():
		return errors.New("wstransport: start after close")
	case t.started:
		return errors.New("wstransport: already started")
	}
	var tlsCfg *tls.Config
	if t.cfg.TLS.Enabled {
		cfg, err := transporttls.ServerConfig(t.cfg.TLS, time.Now())
		if err != nil {
			return fmt.Errorf("wstransport: %w", err)
		}
		cfg.NextProtos = []string{"http/1.1"} // WebSocket upgrades need HTTP/1.1
		tlsCfg = cfg
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", t.cfg.Address)
	if err != nil {
		return fmt.Errorf("wstransport: listen: %w", err)
	}
	addr := ln.Addr().String()
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	t.ln, t.started = ln, true
	t.log.Info("wstransport: listening", "addr", addr, "path", t.cfg.Path, "tls", tlsCfg != nil)
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

// Serve serves HTTP (the upgrade path and the host's HTTPRoutes) until ctx
// ends or Close, then drains the WebSocket connections (see
// transport.Transport) and returns nil.
func (t *Transport) Serve(ctx context.Context, h transport.Handler) error {
	t.mu.Lock()
	switch {
	case t.conns.Closing():
		t.mu.Unlock()
		return nil
	case !t.started:
		t.mu.Unlock()
		return fmt.Errorf("wstransport: serve: %w", transport.ErrNotStarted)
	case t.serving:
		t.mu.Unlock()
		return errors.New("wstransport: serve called twice")
	}
	t.serving = true
	t.conns.Serve(ctx)
	base := t.conns.Base()
	t.srv = &http.Server{
		Handler:           t.mux(h),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    headerBytesMax,
		ErrorLog:          slog.NewLogLogger(t.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	srv, ln := t.srv, t.ln
	t.mu.Unlock()

	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.log.Error("wstransport: serve failed", "err", err)
	}
	t.conns.Drain()
	return nil
}

// mux routes the upgrade path and the host's extra routes, which are
// mounted first; a route colliding with the upgrade path is skipped with a
// warning.
func (t *Transport) mux(h transport.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	if hr, ok := h.(transport.HTTPRoutes); ok {
		routes := hr.HTTPRoutes()
		paths := make([]string, 0, len(routes))
		for p := range routes {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if p == t.cfg.Path || p == t.cfg.pattern() {
				t.log.Warn("wstransport: host route collides with the WebSocket path, not mounted", "path", p)
				continue
			}
			if err := mount(mux, p, routes[p]); err != nil {
				t.log.Warn("wstransport: host route not mounted", "path", p, "err", err)
			}
		}
	}
	if err := mount(mux, t.cfg.pattern(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.upgrade(w, r, h)
	})); err != nil {
		t.log.Error("wstransport: WebSocket path not mounted", "path", t.cfg.Path, "err", err)
	}
	return mux
}

// mount registers handler, turning ServeMux's panic on a bad or duplicate
// pattern into an error.
func mount(mux *http.ServeMux, pattern string, handler http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, handler)
	return nil
}

// upgrade admits one WebSocket connection and serves it on the request's
// goroutine.
func (t *Transport) upgrade(w http.ResponseWriter, r *http.Request, h transport.Handler) {
	c, status := t.admit(r)
	if c == nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	defer t.conns.Done(c)
	ws, err := websocket.Accept(w, r, nil) // answers a failed upgrade itself
	if err != nil {
		c.log.Debug("wstransport: upgrade failed", "err", err)
		return
	}
	c.serve(ws, h)
}

// admit reserves a connection slot, or returns the HTTP status refusing it.
func (t *Transport) admit(r *http.Request) (*conn, int) {
	// The conn's ctx exists before the set can Force it.
	c := newConn(t, r.RemoteAddr, t.conns.Base())
	if _, err := t.conns.Admit(c); err != nil {
		c.cancel()
		if errors.Is(err, connset.ErrFull) {
			t.log.Warn("wstransport: connections_max reached, refused upgrade",
				"remote", r.RemoteAddr, "connections_max", t.cfg.ConnectionsMax, "rejected_total", t.conns.Rejected())
		}
		return nil, http.StatusServiceUnavailable
	}
	return c, 0
}

// Close begins the shutdown and waits for the drain, forcing connections
// shut after DrainTimeout or when ctx ends. Idempotent; safe before Start.
func (t *Transport) Close(ctx context.Context) error {
	if err := t.conns.Close(ctx); err != nil {
		return fmt.Errorf("wstransport: close: %w", err)
	}
	return nil
}

// stopHTTP stops the HTTP server as the shutdown begins: it closes the
// listener and waits for plain HTTP requests (/metrics); upgraded
// connections are hijacked and drained by their own goroutines.
func (t *Transport) stopHTTP() {
	t.mu.Lock()
	srv, ln := t.srv, t.ln
	t.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), t.cfg.DrainTimeout)
		srv.Shutdown(ctx)
		cancel()
	}
	if ln != nil {
		ln.Close() // Serve may never have run
	}
}

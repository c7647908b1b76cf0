package connset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Admission refusals.
var (
	ErrClosing = errors.New("connset: shutting down")
	ErrFull    = errors.New("connset: connections_max reached")
)

// Conn is what the set needs of a tracked connection.
type Conn interface {
	// Stop asks the connection to finish: answer the request in flight,
	// send the shutdown frame and close. It is called with the set locked,
	// once, and must not block.
	Stop()
	// Force closes the connection at once (the drain is over). It may be
	// called after the connection ended and more than once.
	Force()
}

// Config sizes a Set and names it in its log lines.
type Config struct {
	// Name prefixes log lines ("tcptransport"), as the transport's own.
	Name string
	Log  *slog.Logger // nil discards
	// ConnectionsMax bounds tracked connections; Admit refuses beyond.
	ConnectionsMax int
	// DrainTimeout bounds the drain before Force.
	DrainTimeout time.Duration
	// StopAccepting, if set, ends admission at the listener (closes it, or
	// shuts an HTTP server down). It runs once in the background when the
	// shutdown begins, before the wait for the connections, and may block.
	StopAccepting func()
	// Release, if set, frees what connections need until their end (QUIC's
	// socket). It runs once every connection is gone, before Drained closes.
	Release func()
}

// Validate checks the limits. The messages name the transport's config
// keys without a package prefix: the transport adds its own.
func (c Config) Validate() error {
	if c.ConnectionsMax < 1 {
		return fmt.Errorf("connections_max %d: must be at least 1", c.ConnectionsMax)
	}
	if c.DrainTimeout < 0 {
		return fmt.Errorf("drain_timeout %s: must not be negative", c.DrainTimeout)
	}
	return nil
}

// member is the constraint of a Set's element type: a Conn usable as a
// map key (a pointer, in practice).
type member interface {
	comparable
	Conn
}

// Set tracks the connections of one transport. Build it with New.
type Set[C member] struct {
	cfg      Config
	log      *slog.Logger
	stopping chan struct{} // closed when the shutdown begins
	drained  chan struct{} // closed once every connection is gone and Release ran
	rejected atomic.Uint64

	mu      sync.Mutex
	closing bool
	conns   map[C]struct{}
	wg      sync.WaitGroup // Add only under mu while !closing
	// base parents every connection's ctx; cancelBase forces them.
	base       context.Context
	cancelBase context.CancelFunc
	stopServe  func() bool // unregisters Serve's ctx watch
	forceTimer *time.Timer
}

// New builds an empty Set; cfg is expected to be valid.
func New[C member](cfg Config) *Set[C] {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Set[C]{
		cfg:      cfg,
		log:      log,
		stopping: make(chan struct{}),
		drained:  make(chan struct{}),
		conns:    make(map[C]struct{}),
	}
}

// Serve opens the set for the transport's Serve: connections' contexts keep
// ctx's values but are cancelled only when forced, and the shutdown begins
// when ctx ends. Call it once, before the first Admit; Drain ends it.
func (s *Set[C]) Serve(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base, s.cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	// AfterFunc never runs Shutdown on this goroutine: no deadlock on mu.
	s.stopServe = context.AfterFunc(ctx, s.Shutdown)
}

// Drain is the end of the transport's Serve, once its accept loop returned:
// it begins the shutdown (if it has not begun), waits for the drain and
// cancels the connections' base context.
func (s *Set[C]) Drain() {
	s.Shutdown()
	<-s.drained
	s.mu.Lock()
	cancel, stop := s.cancelBase, s.stopServe
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if stop != nil {
		stop()
	}
}

// Base is the context connections derive theirs from (see Serve);
// context.Background before Serve.
func (s *Set[C]) Base() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base == nil {
		return context.Background()
	}
	return s.base
}

// Admit tracks c and returns the base context, or refuses it: ErrClosing
// once the shutdown began, ErrFull at ConnectionsMax (counted in Rejected).
// The caller closes a refused connection, and hands an admitted one to Done
// when it ended.
func (s *Set[C]) Admit(c C) (context.Context, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, ErrClosing
	}
	if len(s.conns) >= s.cfg.ConnectionsMax {
		s.rejected.Add(1)
		return nil, ErrFull
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	if s.base == nil {
		return context.Background(), nil
	}
	return s.base, nil
}

// Done untracks an admitted connection that ended.
func (s *Set[C]) Done(c C) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// Rejected counts the connections refused at ConnectionsMax.
func (s *Set[C]) Rejected() uint64 { return s.rejected.Load() }

// Len is the number of tracked connections.
func (s *Set[C]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Closing reports whether the shutdown began.
func (s *Set[C]) Closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Stopping is closed when the shutdown begins.
func (s *Set[C]) Stopping() <-chan struct{} { return s.stopping }

// Drained is closed once the shutdown is over: every admitted connection
// is Done and Release ran.
func (s *Set[C]) Drained() <-chan struct{} { return s.drained }

// Shutdown begins the shutdown once: no more admissions, every connection
// is told to Stop, and a timer forces them after DrainTimeout. In the
// background StopAccepting runs, the connections are waited for, Release
// runs and Drained closes. Safe before Serve and from any goroutine.
func (s *Set[C]) Shutdown() {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	close(s.stopping)
	for c := range s.conns {
		c.Stop()
	}
	s.forceTimer = time.AfterFunc(s.cfg.DrainTimeout, s.Force)
	s.mu.Unlock()

	// No Add can follow: Admit checks closing under mu.
	go func() {
		if s.cfg.StopAccepting != nil {
			s.cfg.StopAccepting()
		}
		s.wg.Wait()
		s.mu.Lock()
		s.forceTimer.Stop()
		s.mu.Unlock()
		if s.cfg.Release != nil {
			s.cfg.Release()
		}
		close(s.drained)
	}()
}

// Close begins the shutdown and waits for the drain. When ctx ends first
// it forces every connection and returns ctx's error.
func (s *Set[C]) Close(ctx context.Context) error {
	s.Shutdown()
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
		s.Force()
		return ctx.Err()
	}
}

// Force cancels every connection's context and forces every tracked
// connection shut.
func (s *Set[C]) Force() {
	s.mu.Lock()
	if s.cancelBase != nil {
		s.cancelBase()
	}
	conns := make([]C, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if len(conns) > 0 {
		s.log.Warn(s.cfg.Name+": drain ended, forcing connections shut", "connections", len(conns))
	}
	for _, c := range conns {
		c.Force()
	}
}

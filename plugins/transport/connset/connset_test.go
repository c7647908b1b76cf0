package connset

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeConn records what the set asked of it. ended closes when the test
// lets the connection end (or Force does).
type fakeConn struct {
	stops, forces atomic.Int32
	ended         chan struct{}
	once          sync.Once
}

func newFake() *fakeConn { return &fakeConn{ended: make(chan struct{})} }

func (c *fakeConn) Stop() { c.stops.Add(1) }
func (c *fakeConn) Force() {
	c.forces.Add(1)
	c.end()
}
func (c *fakeConn) end() { c.once.Do(func() { close(c.ended) }) }

// run admits c and plays its goroutine: Done once it ended.
func run(t *testing.T, s *Set[*fakeConn], c *fakeConn) context.Context {
	t.Helper()
	ctx, err := s.Admit(c)
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	go func() {
		<-c.ended
		s.Done(c)
	}()
	return ctx
}

func newSet(cfg Config) *Set[*fakeConn] {
	if cfg.ConnectionsMax == 0 {
		cfg.ConnectionsMax = 10
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = time.Hour // never, unless a test wants it
	}
	return New[*fakeConn](cfg)
}

func TestAdmitLimit(t *testing.T) {
	s := newSet(Config{ConnectionsMax: 2})
	a, b := newFake(), newFake()
	run(t, s, a)
	run(t, s, b)
	for range 3 {
		if _, err := s.Admit(newFake()); !errors.Is(err, ErrFull) {
			t.Fatalf("Admit beyond the limit: %v, want ErrFull", err)
		}
	}
	if got := s.Rejected(); got != 3 {
		t.Errorf("Rejected = %d, want 3", got)
	}
	a.end()
	eventually(t, "a slot frees up", func() bool { return s.Len() == 1 })
	run(t, s, newFake())
}

func TestShutdownStopsThenDrains(t *testing.T) {
	var order []string
	var mu sync.Mutex
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	s := newSet(Config{StopAccepting: func() { note("stop accepting") }, Release: func() { note("release") }})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	s.Serve(ctx)
	c := newFake()
	base := run(t, s, c)
	if base.Value(ctxKey{}) != "v" {
		t.Error("the base context lost Serve's values")
	}
	cancel() // Serve's ctx ending begins the shutdown
	<-s.Stopping()
	if base.Err() != nil {
		t.Error("the base context ended with Serve's ctx; it must outlive it by the drain")
	}
	if _, err := s.Admit(newFake()); !errors.Is(err, ErrClosing) {
		t.Errorf("Admit while closing: %v, want ErrClosing", err)
	}
	eventually(t, "the connection is told to stop", func() bool { return c.stops.Load() == 1 })
	select {
	case <-s.Drained():
		t.Fatal("drained with a connection still open")
	default:
	}
	c.end()
	s.Drain()
	if base.Err() == nil {
		t.Error("Drain left the base context live")
	}
	if c.forces.Load() != 0 || c.stops.Load() != 1 {
		t.Errorf("stops %d, forces %d; want 1, 0", c.stops.Load(), c.forces.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 2 || order[0] != "stop accepting" || order[1] != "release" {
		t.Errorf("hooks ran as %q", order)
	}
}

type ctxKey struct{}

func TestDrainTimeoutForces(t *testing.T) {
	s := newSet(Config{DrainTimeout: time.Millisecond})
	s.Serve(context.Background())
	c := newFake()
	base := run(t, s, c)
	s.Shutdown()
	<-s.Drained() // the connection only ends when forced
	if c.forces.Load() == 0 || base.Err() == nil {
		t.Errorf("forces %d, base ctx %v: want forced and cancelled", c.forces.Load(), base.Err())
	}
}

func TestCloseContextForces(t *testing.T) {
	s := newSet(Config{})
	s.Serve(context.Background())
	c := newFake()
	run(t, s, c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v, want context.Canceled", err)
	}
	if c.forces.Load() == 0 {
		t.Error("Close's ctx ended without forcing the connection")
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseBeforeServe(t *testing.T) {
	released := make(chan struct{})
	s := newSet(Config{Release: func() { close(released) }})
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-released
	if !s.Closing() {
		t.Error("not closing after Close")
	}
	s.Drain() // Serve's tail after an early Close returns too
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		fail bool
	}{
		{Config{ConnectionsMax: 1}, false},
		{Config{ConnectionsMax: 0}, true},
		{Config{ConnectionsMax: 1, DrainTimeout: -time.Second}, true},
	} {
		if err := tc.cfg.Validate(); (err != nil) != tc.fail {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
}

// TestAcceptLoop: transient errors are retried, connections admitted, and
// the loop ends on a closed listener or when Done closes during a retry.
func TestAcceptLoop(t *testing.T) {
	results := []error{errors.New("EMFILE"), nil, errors.New("EMFILE"), nil, net.ErrClosed}
	var admitted int
	AcceptLoop(Acceptor[int]{
		Accept: func() (int, error) {
			err := results[0]
			results = results[1:]
			return 7, err
		},
		Closed: func(err error) bool { return errors.Is(err, net.ErrClosed) },
		Done:   make(chan struct{}),
	}, func(int) { admitted++ })
	if admitted != 2 || len(results) != 0 {
		t.Errorf("admitted %d, %d results left; want 2, 0", admitted, len(results))
	}

	done := make(chan struct{})
	close(done)
	calls := 0
	AcceptLoop(Acceptor[int]{
		Accept: func() (int, error) { calls++; return 0, errors.New("EMFILE") },
		Closed: func(error) bool { return false },
		Done:   done,
	}, func(int) { t.Error("admitted after an error") })
	if calls != 1 {
		t.Errorf("%d Accept calls after Done closed, want 1", calls)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

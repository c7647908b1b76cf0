package transporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Dial opens a client connection to addr (the transport's Addr), completing
// any handshake the medium needs.
type Dial func(ctx context.Context, addr string) (net.Conn, error)

// Run runs the conformance suite against fresh transports.
//
// newTransport returns a new, not yet started transport bound to a free
// loopback port, with a drain timeout of a few seconds at most (one case
// waits for it to expire). The suite starts, serves and closes it. dial
// connects a client to it.
func Run(t *testing.T, newTransport func(t *testing.T) transport.Transport, dial Dial) {
	s := &suite{newTransport: newTransport, dial: dial}
	cases := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"RoundTrip", s.roundTrip},
		{"SequentialRequests", s.sequential},
		{"PipelinedRequests", s.pipelined},
		{"ConcurrentConnections", s.concurrent},
		{"VectoredPayload", s.vectored},
		{"LargeFrames", s.large},
		{"ErrorStatusHasNoPayload", s.errorStatus},
		{"ShortLength", s.shortLength},
		{"OversizedControlFrame", s.oversized},
		{"GarbageInput", s.garbage},
		{"Session", s.session},
		{"DisconnectedOnce", s.disconnectedOnce},
		{"ResponseClose", s.responseClose},
		{"DoneCalled", s.doneCalled},
		{"HandlerPanic", s.handlerPanic},
		{"ShutdownIdle", s.shutdownIdle},
		{"ShutdownInFlight", s.shutdownInFlight},
		{"ShutdownForcedByContext", s.shutdownForcedByContext},
		{"ShutdownForcedByDrainTimeout", s.shutdownForcedByDrainTimeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, s.start(t, context.Background(), newRecorder()))
		})
	}
	t.Run("ConnectError", s.connectError)
	t.Run("ServeContextCancelled", s.serveContextCancelled)
	t.Run("Lifecycle", s.lifecycle)
}

type suite struct {
	newTransport func(t *testing.T) transport.Transport
	dial         Dial
}

// fixture is one started, serving transport with its recorder.
type fixture struct {
	t         *testing.T
	tr        transport.Transport
	h         *recorder
	dial      Dial
	serveDone chan error
}

// start starts a transport and serves it with h on serveCtx. Cleanup closes
// it and checks what the handler recorded.
func (s *suite) start(t *testing.T, serveCtx context.Context, h *recorder) *fixture {
	t.Helper()
	tr := s.newTransport(t)
	if err := tr.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if tr.Addr() == "" {
		t.Fatal("Addr is empty after Start")
	}
	f := &fixture{t: t, tr: tr, h: h, dial: s.dial, serveDone: make(chan error, 1)}
	go func() { f.serveDone <- tr.Serve(serveCtx, h) }()
	t.Cleanup(f.finish)
	return f
}

// connect dials a client that is closed at cleanup.
func (f *fixture) connect() *client {
	f.t.Helper()
	c, err := dialClient(context.Background(), f.dial, f.tr.Addr())
	if err != nil {
		f.t.Fatalf("dial: %v", err)
	}
	f.t.Cleanup(func() { c.conn.Close() })
	return c
}

// close closes the transport and checks that Close and Serve return nil.
func (f *fixture) close() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := f.tr.Close(ctx); err != nil {
		f.t.Errorf("Close: %v", err)
	}
	f.waitServe()
}

// waitServe waits for Serve to return and checks it returned nil.
func (f *fixture) waitServe() {
	f.t.Helper()
	select {
	case err := <-f.serveDone:
		if err != nil {
			f.t.Errorf("Serve returned %v, want nil", err)
		}
		f.serveDone <- nil // later waits pass
	case <-time.After(ioTimeout):
		f.t.Fatal("Serve did not return after Close")
	}
}

// finish closes (again: Close is idempotent) and checks the record: every
// Conn got exactly one Disconnected, every Done ran, no violation.
func (f *fixture) finish() {
	f.close()
	for i, c := range f.h.snapshot() {
		if n := c.disconnected.Load(); n != 1 {
			f.t.Errorf("connection %d (%s): Disconnected called %d times, want 1", i, c.session.RemoteAddr(), n)
		}
	}
	if want, got := f.h.doneWanted.Load(), f.h.done.Load(); want != got {
		f.t.Errorf("Done called %d times for %d responses that set it", got, want)
	}
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	for _, v := range f.h.violations {
		f.t.Errorf("contract violation: %s", v)
	}
}

// eventually polls cond until it holds, failing after ioTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *suite) roundTrip(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.ping())
	for _, n := range []int{0, 1, 2, 7, 100, 4096, 64<<10 + 3, 1 << 20} {
		p := randomBytes(uint64(n), n)
		status, got, err := c.call(codeEcho, p)
		if err := expect(status, got, err, 0, p); err != nil {
			t.Fatalf("echo %d bytes: %v", n, err)
		}
	}
}

func (s *suite) sequential(t *testing.T, f *fixture) {
	c := f.connect()
	for i := range 1000 {
		p := []byte(fmt.Sprintf("request %d", i))
		status, got, err := c.call(codeEcho, p)
		if err := expect(status, got, err, 0, p); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
}

func (s *suite) pipelined(t *testing.T, f *fixture) {
	c := f.connect()
	const n = 200
	var batch []byte
	for i := range n {
		batch = append(batch, frame(codeEcho, []byte(fmt.Sprintf("pipelined %d", i)))...)
		if i%10 == 0 {
			batch = append(batch, frame(wire.CodePing, nil)...)
		}
	}
	if _, err := c.conn.Write(batch); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		want := []byte(fmt.Sprintf("pipelined %d", i))
		status, got, err := c.recv()
		if err := expect(status, got, err, 0, want); err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if i%10 == 0 {
			status, got, err := c.recv()
			if err := expect(status, got, err, 0, nil); err != nil {
				t.Fatalf("ping after response %d: %v", i, err)
			}
		}
	}
}

func (s *suite) concurrent(t *testing.T, f *fixture) {
	const conns, requests = 8, 200
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		c := f.connect()
		wg.Go(func() {
			for j := range requests {
				p := []byte(fmt.Sprintf("connection %d request %d", i, j))
				status, got, err := c.call(codeEcho, p)
				if err := expect(status, got, err, 0, p); err != nil {
					errs <- fmt.Errorf("connection %d request %d: %w", i, j, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(f.h.snapshot()); got != conns {
		t.Errorf("Connect called for %d connections, want %d", got, conns)
	}
}

func (s *suite) vectored(t *testing.T, f *fixture) {
	c := f.connect()
	for _, n := range []int{0, 3, 100, 100_000, 1 << 20} {
		p := randomBytes(uint64(n)+1, n)
		status, got, err := c.call(codeChunks, p)
		if err := expect(status, got, err, 0, p); err != nil {
			t.Fatalf("%d bytes in chunks: %v", n, err)
		}
		must(t, c.ping())
	}
}

func (s *suite) large(t *testing.T, f *fixture) {
	c := f.connect()
	const n = 4<<20 + 1
	status, got, err := c.call(codeBig, le32(n))
	want := bytes.Join(pattern(n), nil)
	if err := expect(status, got, err, 0, want); err != nil {
		t.Fatalf("4 MiB response: %v", err)
	}
	p := randomBytes(3, wire.ControlPayloadBytesMax) // the largest control frame
	status, got, err = c.call(codeEcho, p)
	if err := expect(status, got, err, 0, p); err != nil {
		t.Fatalf("10 MiB request: %v", err)
	}
}

func (s *suite) errorStatus(t *testing.T, f *fixture) {
	c := f.connect()
	for _, code := range []uint32{wire.ErrStreamIDNotFound.Code, wire.ErrUnauthenticated.Code, 1} {
		status, got, err := c.call(codeStatus, le32(code))
		if err := expect(status, got, err, code, nil); err != nil {
			t.Fatalf("error status %d: %v", code, err)
		}
		must(t, c.ping()) // no stray payload bytes in the stream
	}
}

func (s *suite) shortLength(t *testing.T, f *fixture) {
	c := f.connect()
	for length := range uint32(4) {
		b := le32(length)
		b = append(b, le32(wire.CodePing)...)
		if _, err := c.conn.Write(b); err != nil {
			t.Fatal(err)
		}
		status, got, err := c.recv()
		if err := expect(status, got, err, wire.ErrInvalidCommand.Code, nil); err != nil {
			t.Fatalf("length %d: %v", length, err)
		}
		must(t, c.ping())
	}
}

func (s *suite) oversized(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.ping())
	b := le32(4 + wire.ControlPayloadBytesMax + 1)
	b = append(b, le32(codeEcho)...)
	if _, err := c.conn.Write(append(b, make([]byte, 1024)...)); err != nil {
		t.Fatal(err)
	}
	status, got, err := c.recv()
	if err := expect(status, got, err, wire.ErrInvalidCommand.Code, nil); err != nil {
		t.Fatalf("oversized frame: %v", err)
	}
	must(t, c.closed())
	must(t, f.connect().ping())
}

func (s *suite) garbage(t *testing.T, f *fixture) {
	witness := f.connect()
	must(t, witness.ping())
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 48 {
		g := f.connect()
		var junk []byte
		switch i % 3 {
		case 0: // random bytes
			junk = randomBytes(uint64(i), 1+rng.IntN(8192))
		case 1: // plausible headers: small lengths, random codes
			for range 1 + rng.IntN(50) {
				junk = append(junk, le32(rng.Uint32N(40))...)
				junk = append(junk, le32(rng.Uint32N(9000))...)
				junk = append(junk, randomBytes(rng.Uint64(), rng.IntN(40))...)
			}
		case 2: // a valid frame cut short
			junk = frame(codeEcho, randomBytes(uint64(i), 1000))[:1+rng.IntN(1000)]
		}
		g.conn.Write(junk) // the server may already have closed: ignore
		g.conn.Close()
		must(t, witness.ping())
	}
	must(t, f.connect().ping())
}

func (s *suite) session(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.ping())
	conns := f.h.snapshot()
	if len(conns) != 1 {
		t.Fatalf("%d connections recorded, want 1", len(conns))
	}
	if got, want := conns[0].session.RemoteAddr(), c.conn.LocalAddr().String(); got != want {
		t.Errorf("Session.RemoteAddr = %q, want the client's address %q", got, want)
	}
	if conns[0].session.Transport() == "" {
		t.Error("Session.Transport is empty")
	}
}

func (s *suite) disconnectedOnce(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.ping())
	c.conn.Close()
	rc := f.h.snapshot()[0]
	eventually(t, "Disconnected is called after the client closed", func() bool { return rc.disconnected.Load() > 0 })
	// finish checks that no second call comes.
}

func (s *suite) responseClose(t *testing.T, f *fixture) {
	for _, code := range []uint32{wire.ErrStaleClient.Code, wire.ErrClientNotFound.Code, 0} {
		c := f.connect()
		status, got, err := c.call(codeClose, le32(code))
		if err := expect(status, got, err, code, nil); err != nil {
			t.Fatalf("close with status %d: %v", code, err)
		}
		must(t, c.closed())
	}
	for _, rc := range f.h.snapshot() {
		eventually(t, "Disconnected after Response.Close", func() bool { return rc.disconnected.Load() > 0 })
	}
}

func (s *suite) doneCalled(t *testing.T, f *fixture) {
	c := f.connect()
	for i := range 20 {
		must(t, c.ping())
		_, _, err := c.call(codeStatus, le32(wire.ErrInvalidFormat.Code))
		must(t, err)
		_, _, err = c.call(codeBig, le32(uint32(i)<<16))
		must(t, err)
	}
	eventually(t, "every Done is called", func() bool { return f.h.done.Load() == f.h.doneWanted.Load() })
	if f.h.doneWanted.Load() != 60 {
		t.Errorf("%d responses with Done, want 60", f.h.doneWanted.Load())
	}
}

func (s *suite) handlerPanic(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.ping())
	status, got, err := c.call(codePanic, nil)
	if err := expect(status, got, err, wire.ErrGeneric.Code, nil); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
	must(t, c.closed())
	must(t, f.connect().ping())
}

func (s *suite) shutdownIdle(t *testing.T, f *fixture) {
	idle := []*client{f.connect(), f.connect(), f.connect()}
	for _, c := range idle {
		must(t, c.ping())
	}
	closed := make(chan error, 1)
	go func() { closed <- f.tr.Close(context.Background()) }()
	for i, c := range idle {
		status, got, err := c.recv()
		if err := expect(status, got, err, wire.ErrDisconnected.Code, nil); err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		must(t, c.closed())
	}
	must(t, <-closed)
	f.waitServe()
	if c, err := dialClient(context.Background(), f.dial, f.tr.Addr()); err == nil {
		defer c.conn.Close()
		if c.ping() == nil {
			t.Error("a connection made after Close was served")
		}
	}
}

func (s *suite) shutdownInFlight(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.send(codeBlock, nil))
	rc := <-f.h.blocked
	closed := make(chan error, 1)
	go func() { closed <- f.tr.Close(context.Background()) }()
	f.waitShutdownBegun()
	close(f.h.release)
	status, got, err := c.recv()
	if err := expect(status, got, err, 0, []byte("released")); err != nil {
		t.Fatalf("in-flight response: %v", err)
	}
	status, got, err = c.recv()
	if err := expect(status, got, err, wire.ErrDisconnected.Code, nil); err != nil {
		t.Fatalf("after the in-flight response: %v", err)
	}
	must(t, c.closed())
	must(t, <-closed)
	f.waitServe()
	if rc.ctxCancelled.Load() {
		t.Error("Handle's ctx was cancelled during an orderly drain")
	}
}

// waitShutdownBegun polls until the transport stops serving new
// connections.
func (f *fixture) waitShutdownBegun() {
	f.t.Helper()
	eventually(f.t, "the transport stops serving new connections", func() bool {
		c, err := dialClient(context.Background(), f.dial, f.tr.Addr())
		if err != nil {
			return true
		}
		defer c.conn.Close()
		return c.ping() != nil
	})
}

func (s *suite) shutdownForcedByContext(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.send(codeBlock, nil))
	rc := <-f.h.blocked
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.tr.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a cancelled ctx returned %v, want context.Canceled", err)
	}
	f.waitServe()
	if !rc.ctxCancelled.Load() {
		t.Error("Handle's ctx was not cancelled by a forced close")
	}
	drainUntilClosed(t, c)
}

func (s *suite) shutdownForcedByDrainTimeout(t *testing.T, f *fixture) {
	c := f.connect()
	must(t, c.send(codeBlock, nil))
	rc := <-f.h.blocked
	f.close() // the handler only returns when its ctx is cancelled
	if !rc.ctxCancelled.Load() {
		t.Error("Handle's ctx was not cancelled when the drain timeout expired")
	}
	drainUntilClosed(t, c)
}

// drainUntilClosed reads whatever frames a forced close let through and
// checks the connection then ends.
func drainUntilClosed(t *testing.T, c *client) {
	t.Helper()
	for range 3 {
		if _, _, err := c.recv(); err != nil {
			return
		}
	}
	t.Error("connection still delivering frames after a forced close")
}

func (s *suite) connectError(t *testing.T) {
	h := newRecorder()
	h.connectErr = errors.New("transporttest: refused")
	f := s.start(t, context.Background(), h)
	c := f.connect()
	c.send(wire.CodePing, nil) // may fail: the server closes at once
	if status, _, err := c.recv(); err == nil {
		t.Fatalf("refused connection answered with status %d", status)
	}
	if h.connects.Load() != 1 {
		t.Errorf("Connect called %d times, want 1", h.connects.Load())
	}
}

func (s *suite) serveContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := s.start(t, ctx, newRecorder())
	c := f.connect()
	must(t, c.ping())
	cancel()
	status, got, err := c.recv()
	if err := expect(status, got, err, wire.ErrDisconnected.Code, nil); err != nil {
		t.Fatalf("after Serve's ctx ended: %v", err)
	}
	must(t, c.closed())
	f.waitServe()
}

func (s *suite) lifecycle(t *testing.T) {
	ctx := context.Background()
	tr := s.newTransport(t)
	if tr.Addr() != "" {
		t.Errorf("Addr before Start = %q, want empty", tr.Addr())
	}
	if err := tr.Serve(ctx, newRecorder()); !errors.Is(err, transport.ErrNotStarted) {
		t.Errorf("Serve before Start returned %v, want ErrNotStarted", err)
	}
	must(t, tr.Close(ctx))
	must(t, tr.Close(ctx))

	tr = s.newTransport(t)
	must(t, tr.Start(ctx))
	must(t, tr.Close(ctx))
	must(t, tr.Close(ctx))
	if err := tr.Serve(ctx, newRecorder()); err != nil {
		t.Errorf("Serve after Close returned %v, want nil", err)
	}
}

// randomBytes returns n bytes from a seeded generator.
func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

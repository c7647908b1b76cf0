package pluginrpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	// closeCallMax bounds the Close call when the caller's ctx has no
	// deadline: the plugin's own drain timeout ends a drain much sooner,
	// so this only frees a host stuck on a hung plugin.
	closeCallMax = 2 * time.Minute
	// serveWaitMax bounds how long Close waits for Serve to return after
	// the plugin closed (its connections are gone by then, so Serve
	// returns at once unless the plugin hangs).
	serveWaitMax = 30 * time.Second
)

// TransportClient is the host side of a transport served by a plugin: a
// transport.Transport whose sockets are in the plugin's process. Start,
// Addr and Close are calls to the plugin; Serve serves the host's
// Handler to the plugin's connections over a broker connection until
// the plugin's Serve returns.
type TransportClient struct {
	conn   grpc.ClientConnInterface
	broker *plugin.GRPCBroker
	logger *slog.Logger

	mu        sync.Mutex
	addr      string
	started   bool
	closed    bool
	serving   bool
	serveDone chan struct{} // closed when Serve returns
}

var _ transport.Transport = (*TransportClient)(nil)

// NewTransportClient talks to the transport service on conn; broker
// carries the plugin's callbacks.
func NewTransportClient(conn grpc.ClientConnInterface, broker *plugin.GRPCBroker) *TransportClient {
	return &TransportClient{conn: conn, broker: broker, logger: slog.New(slog.DiscardHandler)}
}

// SetLogger sets where host-side failures of the adapter are logged
// (a panicking Connect, say). Call it before Serve.
func (c *TransportClient) SetLogger(logger *slog.Logger) {
	if logger != nil {
		c.logger = logger
	}
}

func (c *TransportClient) call(ctx context.Context, name string, req, resp any) error {
	return invokeJSON(ctx, c.conn, transportMethod(name), name, req, resp)
}

// Configure has the plugin build its transport with its own Factory.New
// from raw. Call it once, before Start.
func (c *TransportClient) Configure(ctx context.Context, name string, raw map[string]any, dataDir string) error {
	return c.call(ctx, "Configure", configureRequest{Name: name, Config: raw, DataDir: dataDir}, nil)
}

// Start has the plugin bind its listener; Addr is then its address.
func (c *TransportClient) Start(ctx context.Context) error {
	var rep startReply
	if err := c.call(ctx, "Start", none{}, &rep); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addr, c.started = rep.Addr, true
	return nil
}

// Addr is the plugin's bound address after Start, "" before.
func (c *TransportClient) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// Serve serves h to the plugin's connections until the plugin's Serve
// returns, and returns its result once every host-side Conn has had its
// Disconnected. When ctx ends, the plugin's Serve ctx ends (an orderly
// drain there). If the plugin process dies, the error wraps
// ErrUnavailable.
func (c *TransportClient) Serve(ctx context.Context, h transport.Handler) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return nil
	case !c.started:
		c.mu.Unlock()
		return fmt.Errorf("pluginrpc: transport: serve: %w", transport.ErrNotStarted)
	case c.serving:
		c.mu.Unlock()
		return errors.New("pluginrpc: transport: serve called twice")
	}
	c.serving, c.serveDone = true, make(chan struct{})
	done := c.serveDone
	c.mu.Unlock()
	defer close(done)

	hs := &hostServer{h: h, logger: c.logger}
	id := c.broker.NextId()
	servers := make(chan *grpc.Server, 1)
	brokerDone := make(chan struct{})
	go func() {
		defer close(brokerDone)
		c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := NewGRPCServer(opts)
			s.RegisterService(transportHostDesc(), hs)
			servers <- s
			return s
		})
	}()
	err := c.serveRemote(ctx, id)
	// The plugin's Serve has returned (or its process is gone): its
	// connections are closed, so no stream is opened any more.
	select {
	case s := <-servers:
		s.Stop()
	case <-brokerDone:
	}
	hs.wait()
	<-brokerDone
	return err
}

// serveRemote runs the plugin's Serve and returns its result. The stream
// is not tied to ctx: its end is signalled (CloseSend), so the plugin can
// drain and report.
func (c *TransportClient) serveRemote(ctx context.Context, brokerID uint32) error {
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := c.conn.NewStream(sctx, streamDesc(transportDesc(), "Serve"), transportMethod("Serve"))
	if err != nil {
		return fromStatus(err)
	}
	if err := sendJSON(st, serveRequest{BrokerID: brokerID}); err != nil && !errors.Is(err, io.EOF) {
		return fromStatus(err)
	}
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		select {
		case <-ctx.Done():
			_ = st.CloseSend()
		case <-returned:
		}
	}()
	err = st.RecvMsg(new(wrapperspb.BytesValue))
	if err == io.EOF {
		return nil
	}
	if err == nil {
		return errors.New("pluginrpc: transport: serve: unexpected message")
	}
	return fromStatus(err)
}

// Close has the plugin close its transport (the drain of the contract
// happens there). If ctx ends during the drain, the plugin is told and
// forces the rest, and Close returns ctx's error. Close then waits for a
// running Serve to return. Idempotent.
func (c *TransportClient) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	serving, done := c.serving, c.serveDone
	c.mu.Unlock()
	err := c.closeRemote(ctx)
	if serving {
		select {
		case <-done:
		case <-time.After(serveWaitMax):
			c.logger.Error("pluginrpc: transport: Serve did not return after Close")
		}
	}
	return err
}

func (c *TransportClient) closeRemote(ctx context.Context) error {
	timeout := closeCallMax
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d)+serveWaitMax, 0) // room for the forced part
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	st, err := c.conn.NewStream(cctx, streamDesc(transportDesc(), "Close"), transportMethod("Close"))
	if err != nil {
		return fromStatus(err)
	}
	if err := sendJSON(st, closeRequest{Force: forceReason(ctx)}); err != nil && !errors.Is(err, io.EOF) {
		return fromStatus(err)
	}
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		select {
		case <-ctx.Done():
			_ = sendJSON(st, closeRequest{Force: forceReason(ctx)})
		case <-returned:
		}
	}()
	err = st.RecvMsg(new(wrapperspb.BytesValue))
	if err == io.EOF {
		return nil
	}
	return fromStatus(err)
}

// hostServer serves the host's Handler to the plugin's Conn streams.
type hostServer struct {
	h      transport.Handler
	logger *slog.Logger

	mu     sync.Mutex
	closed bool
	active sync.WaitGroup
}

var _ transportHostHandler = (*hostServer)(nil)

// enter counts a stream, unless wait has begun.
func (s *hostServer) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.active.Add(1)
	return true
}

// wait refuses new streams and waits for the running ones.
func (s *hostServer) wait() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.active.Wait()
}

// hostSession is the plugin connection's Session on the host.
type hostSession struct{ remote, medium string }

func (s hostSession) RemoteAddr() string { return s.remote }
func (s hostSession) Transport() string  { return s.medium }

// conn is one client connection: Connect, then Handle per request frame
// in order, then Disconnected when the plugin ends the stream (or the
// stream breaks: the plugin died, or cancelled the connection's ctx).
// The stream's context is the connection's ctx given to Connect and
// Handle.
func (s *hostServer) conn(stream grpc.ServerStream) error {
	if !s.enter() {
		return errors.New("pluginrpc: transport: serving has ended")
	}
	defer s.active.Done()
	var req connectRequest
	if err := recvJSON(stream, &req); err != nil {
		return err
	}
	ctx := stream.Context()
	hc, err := s.connect(ctx, hostSession{remote: req.RemoteAddr, medium: req.Transport})
	if err != nil {
		return err
	}
	defer s.guard("Disconnected", hc.Disconnected)
	if err := stream.SendMsg(wrapperspb.Bytes(nil)); err != nil {
		return nil // the plugin is gone; Disconnected follows
	}
	var w frameWriter
	var buf []byte
	for {
		header, payload, err := readFrame(stream, requestHeaderBytes, 4)
		if err != nil {
			return nil // io.EOF: the plugin's Disconnected; or a broken stream
		}
		req := transport.Request{Code: binary.LittleEndian.Uint32(header[0:])}
		switch len(payload) {
		case 0:
		case 1:
			req.Payload = payload[0]
		default:
			buf = buf[:0]
			for _, p := range payload {
				buf = append(buf, p...)
			}
			req.Payload = buf
		}
		if err := s.respond(ctx, stream, &w, hc, req); err != nil {
			return nil
		}
	}
}

// connect calls the host's Connect with panics contained: a panic
// refuses the connection.
func (s *hostServer) connect(ctx context.Context, sess transport.Session) (hc transport.Conn, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("pluginrpc: transport: host Connect panicked", "panic", r, "stack", string(debug.Stack()))
			hc, err = nil, fmt.Errorf("pluginrpc: transport: host Connect panicked: %v", r)
		}
	}()
	return s.h.Connect(ctx, sess)
}

// respond runs Handle and sends its response, then calls Done.
func (s *hostServer) respond(ctx context.Context, stream grpc.ServerStream, w *frameWriter, hc transport.Conn, req transport.Request) error {
	resp, panicked := handle(ctx, hc, req)
	if panicked != "" {
		return w.write(stream, responseHeader(0, flagPanic, len(panicked)), [][]byte{[]byte(panicked)})
	}
	defer s.guard("Response.Done", resp.Done)
	var flags uint32
	if resp.Close {
		flags |= flagClose
	}
	payload := resp.Payload
	if resp.Status != 0 {
		payload = nil // an error frame carries none
	}
	n := chunksBytes(payload)
	if n > math.MaxUint32 {
		resp.Status, payload, n = wire.ErrGeneric.Code, nil, 0
	}
	return w.write(stream, responseHeader(resp.Status, flags, n), payload)
}

// handle runs Handle; a panic is returned as its text.
func handle(ctx context.Context, hc transport.Conn, req transport.Request) (resp transport.Response, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprintf("%v\n%s", r, debug.Stack())
		}
	}()
	return hc.Handle(ctx, req), ""
}

// guard runs a host callback (nil is fine) with panics logged.
func (s *hostServer) guard(name string, fn func()) {
	if fn == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("pluginrpc: transport: host callback panicked", "callback", name, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}

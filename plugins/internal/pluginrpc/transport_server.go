package pluginrpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// transportServer is the plugin side of one transport instance: the real
// transport runs here and owns its sockets; its Handler is a stub that
// calls the host back over the broker.
type transportServer struct {
	factories []component.Factory[transport.Transport]
	logger    *slog.Logger
	broker    *plugin.GRPCBroker

	mu   sync.Mutex
	impl transport.Transport // nil until Configure
}

var _ transportHandler = (*transportServer)(nil)

var errTransportNotConfigured = errors.New("pluginrpc: transport: not configured")

func (s *transportServer) configure(ctx context.Context, req configureRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impl != nil {
		return errors.New("pluginrpc: configure: already configured")
	}
	f, err := findFactory(s.factories, "transport", req.Name)
	if err != nil {
		return err
	}
	t, err := f.New(ctx, instanceEnv(s.logger, "transport", req.Name, req.DataDir), req.Config)
	if err != nil {
		return err
	}
	s.impl = t
	return nil
}

func (s *transportServer) instance() (transport.Transport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impl == nil {
		return nil, errTransportNotConfigured
	}
	return s.impl, nil
}

func (s *transportServer) start(ctx context.Context) (startReply, error) {
	t, err := s.instance()
	if err != nil {
		return startReply{}, err
	}
	if err := t.Start(ctx); err != nil {
		return startReply{}, err
	}
	return startReply{Addr: t.Addr()}, nil
}

// serve dials the host's Handler service and runs the transport's Serve
// with a stub of it. The host ends Serve's ctx by closing its side of the
// stream (CloseSend); the stream's status is Serve's result.
func (s *transportServer) serve(stream grpc.ServerStream) error {
	t, err := s.instance()
	if err != nil {
		return err
	}
	var req serveRequest
	if err := recvJSON(stream, &req); err != nil {
		return err
	}
	if s.broker == nil {
		return errors.New("pluginrpc: transport: serve: no broker")
	}
	conn, err := s.broker.DialWithOptions(req.BrokerID, DialOptions()...)
	if err != nil {
		return fmt.Errorf("pluginrpc: transport: dial the host's handler: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		_ = stream.RecvMsg(new(wrapperspb.BytesValue)) // the host's CloseSend, or the stream's end
		cancel()
	}()
	return t.Serve(ctx, &stubHandler{conn: conn, desc: streamDesc(transportHostDesc(), "Conn")})
}

// close runs the transport's Close with a context the host ends when its
// own Close ctx ends (a second message on the stream), so the forced
// shutdown happens here, with the reason the host's caller gave.
func (s *transportServer) close(stream grpc.ServerStream) error {
	t, err := s.instance()
	if err != nil {
		return nil // closing an unconfigured instance is fine
	}
	var req closeRequest
	if err := recvJSON(stream, &req); err != nil {
		return err
	}
	ctx := newForceContext()
	ctx.force(req.Force)
	go func() {
		var more closeRequest
		if recvJSON(stream, &more) == nil {
			ctx.force(more.Force)
		}
	}()
	return t.Close(ctx)
}

// forceContext is never done until force is called with a reason; its
// Err is then the matching context error. It carries no deadline or
// values.
type forceContext struct {
	context.Context
	done chan struct{}
	once sync.Once
	err  error
}

func newForceContext() *forceContext {
	return &forceContext{Context: context.Background(), done: make(chan struct{})}
}

func (c *forceContext) force(reason string) {
	if reason == "" {
		return
	}
	err := context.Canceled
	if reason == forceDeadline {
		err = context.DeadlineExceeded
	}
	c.once.Do(func() {
		c.err = err
		close(c.done)
	})
}

func (c *forceContext) Done() <-chan struct{} { return c.done }

func (c *forceContext) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// stubHandler is the Handler the plugin's transport serves: each
// connection becomes a Conn stream to the host, opened with the
// connection's context.
type stubHandler struct {
	conn *grpc.ClientConn
	desc *grpc.StreamDesc
}

var _ transport.Handler = (*stubHandler)(nil)

func (h *stubHandler) Connect(ctx context.Context, s transport.Session) (transport.Conn, error) {
	st, err := h.conn.NewStream(ctx, h.desc, transportHostMethod("Conn"))
	if err != nil {
		return nil, fromStatus(err)
	}
	if err := sendJSON(st, connectRequest{RemoteAddr: s.RemoteAddr(), Transport: s.Transport()}); err != nil {
		return nil, h.fail(st, err)
	}
	if err := st.RecvMsg(new(wrapperspb.BytesValue)); err != nil {
		return nil, h.fail(st, err) // the host's Connect refused: its error
	}
	return &stubConn{st: st}, nil
}

// fail reads the stream's status after a failed send (whose own error is
// only io.EOF) or receive.
func (h *stubHandler) fail(st grpc.ClientStream, err error) error {
	if errors.Is(err, io.EOF) {
		err = st.RecvMsg(new(wrapperspb.BytesValue))
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = errors.New("the host ended the connection without an answer")
	}
	return fmt.Errorf("pluginrpc: transport: connect: %w", fromStatus(err))
}

// stubConn is one connection's Conn stream. The transport calls Handle
// sequentially, so the stream is never used by two calls at once.
type stubConn struct {
	st grpc.ClientStream
	w  frameWriter
}

var _ transport.Conn = (*stubConn)(nil)

// Handle sends the request and waits for the host's response. A broken
// stream (the host is gone, or ctx was cancelled by a forced shutdown)
// answers status 1 and closes the connection.
func (c *stubConn) Handle(_ context.Context, req transport.Request) transport.Response {
	if err := c.w.write(c.st, requestHeader(req.Code, len(req.Payload)), [][]byte{req.Payload}); err != nil {
		return transport.Response{Status: wire.ErrGeneric.Code, Close: true}
	}
	header, payload, err := readFrame(c.st, responseHeaderBytes, 8)
	if err != nil {
		return transport.Response{Status: wire.ErrGeneric.Code, Close: true}
	}
	status := binary.LittleEndian.Uint32(header[0:])
	flags := binary.LittleEndian.Uint32(header[4:])
	if flags&flagPanic != 0 {
		var msg []byte
		for _, p := range payload {
			msg = append(msg, p...)
		}
		panic(fmt.Sprintf("host Handle panicked: %s", msg))
	}
	return transport.Response{Status: status, Payload: payload, Close: flags&flagClose != 0}
}

// Disconnected ends the stream and waits until the host's Disconnected
// has returned (the host ends the stream after it).
func (c *stubConn) Disconnected() {
	_ = c.st.CloseSend()
	for c.st.RecvMsg(new(wrapperspb.BytesValue)) == nil {
	}
}

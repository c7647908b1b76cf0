package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/quic-go/quic-go"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Transport names the medium a Client speaks the protocol over. Every
// command, and everything built on Client (producer, consumer), works the
// same over each.
type Transport string

const (
	// TransportTCP is the default: TCP, or TLS over TCP with WithTLS.
	TransportTCP Transport = "tcp"
	// TransportQUIC sends each request on its own QUIC stream; always TLS
	// 1.3 (server verification as configured by the TLS options).
	TransportQUIC Transport = "quic"
	// TransportWebSocket sends each request frame as one binary WebSocket
	// message (ws://, or wss:// with WithTLS).
	TransportWebSocket Transport = "ws"
	// TransportHTTP calls the REST API (Iggy 0.8 routes, JSON bodies, JWT
	// sessions; https:// with WithTLS): each command becomes its route's
	// call. Commands without a route (JoinConsumerGroup,
	// LeaveConsumerGroup, group-consumer polls and offsets,
	// GetSnapshotFile) fail with wire.ErrFeatureUnavailable; see
	// sdk/httpapi.Build.
	TransportHTTP Transport = "http"
)

// Default ports of each transport, used when an address has none.
const (
	DefaultQUICPort      = "8080"
	DefaultWebSocketPort = "8092"
	DefaultHTTPPort      = "3000"
)

// ParseTransport reads a transport name: tcp, quic, ws (or websocket),
// http.
func ParseTransport(s string) (Transport, error) {
	switch strings.ToLower(s) {
	case "", "tcp":
		return TransportTCP, nil
	case "quic":
		return TransportQUIC, nil
	case "ws", "websocket":
		return TransportWebSocket, nil
	case "http":
		return TransportHTTP, nil
	}
	return "", fmt.Errorf("transport %q: want tcp, quic, ws or http", s)
}

// defaultPort is the port an address of t gets when it names none.
func (t Transport) defaultPort() string {
	switch t {
	case TransportQUIC:
		return DefaultQUICPort
	case TransportWebSocket:
		return DefaultWebSocketPort
	case TransportHTTP:
		return DefaultHTTPPort
	}
	return DefaultPort
}

// port picks this transport's port from a cluster node.
func (t Transport) port(n wire.ClusterNode) uint16 {
	switch t {
	case TransportQUIC:
		return n.QUICPort
	case TransportWebSocket:
		return n.WebSocketPort
	case TransportHTTP:
		return n.HTTPPort
	}
	return n.TCPPort
}

// dial opens the connection the Client speaks frames over. QUIC and
// WebSocket come back as a net.Conn too, so the request loop is the same
// for every transport; HTTP comes back as an exchanger (whole requests).
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	switch c.cfg.transport {
	case TransportQUIC:
		return dialQUIC(ctx, c.addr, c.tls, c.cfg.dialTimeout)
	case TransportWebSocket:
		return dialWebSocket(ctx, c.addr, c.cfg, c.tls)
	case TransportHTTP:
		return dialHTTP(ctx, c.addr, c.cfg, c.tls)
	}
	d := net.Dialer{Timeout: c.cfg.dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetNoDelay(true) // requests are small and latency-bound
	}
	if c.tls != nil {
		tc := tls.Client(conn, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	return conn, nil
}

// quicIdleTimeout and quicKeepAlive: the client pings often enough that
// a server with a 10 s idle timeout (Iggy's default) keeps it.
const (
	quicIdleTimeout = 30 * time.Second
	quicKeepAlive   = 5 * time.Second
)

func dialQUIC(ctx context.Context, addr string, tlsCfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	qc, err := quic.DialAddr(ctx, addr, tlsCfg, &quic.Config{
		HandshakeIdleTimeout: timeout,
		MaxIdleTimeout:       quicIdleTimeout,
		KeepAlivePeriod:      quicKeepAlive,
	})
	if err != nil {
		return nil, err
	}
	return &quicConn{qc: qc}, nil
}

// quicConn carries the Client's strict request/response sequence over
// QUIC: each Write (one request frame) opens a new bidirectional stream,
// writes the frame and closes the stream's send side; Reads return that
// stream's response. The server closing the connection with application
// error code 8 (its shutdown) reads as a status-8 frame, as over TCP.
type quicConn struct {
	qc *quic.Conn

	mu       sync.Mutex // deadline and cur, for SetDeadline from other goroutines
	deadline time.Time
	cur      *quic.Stream

	delivered bool   // bytes of cur's response were returned
	synth     []byte // synthesized frame bytes still to return
}

var _ net.Conn = (*quicConn)(nil)

func (c *quicConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	prev, deadline := c.cur, c.deadline
	c.cur = nil
	c.mu.Unlock()
	if prev != nil {
		prev.CancelRead(0) // the previous response was read: release the stream
	}
	ctx := context.Background()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	st, err := c.qc.OpenStreamSync(ctx)
	if err != nil {
		return 0, c.connError(err)
	}
	c.mu.Lock()
	c.cur, c.delivered = st, false
	_ = st.SetDeadline(c.deadline)
	c.mu.Unlock()
	n, err := st.Write(p)
	if err != nil {
		return n, c.connError(err)
	}
	// Ends the request. An error means the server stopped reading the
	// stream early, which its answer on the stream explains.
	_ = st.Close()
	return n, nil
}

func (c *quicConn) Read(p []byte) (int, error) {
	if len(c.synth) > 0 {
		n := copy(p, c.synth)
		c.synth = c.synth[n:]
		return n, nil
	}
	c.mu.Lock()
	st := c.cur
	c.mu.Unlock()
	if st == nil {
		return 0, errors.New("quic: no request in flight")
	}
	n, err := st.Read(p)
	if n > 0 {
		c.delivered = true
		return n, nil // an EOF with data shows up on the next Read
	}
	if errors.Is(err, io.EOF) {
		return 0, io.ErrUnexpectedEOF // the stream ended before its frame
	}
	if appErr := closedWith(err); appErr != nil && appErr.ErrorCode == quic.ApplicationErrorCode(wire.ErrDisconnected.Code) && !c.delivered {
		c.synth = make([]byte, wire.ResponseHeaderSize)
		wire.EncodeResponseHeader(c.synth, wire.ErrDisconnected.Code, 0)
		c.delivered = true
		return c.Read(p)
	}
	return 0, c.connError(err)
}

// closedWith returns the application close of the connection behind err.
func closedWith(err error) *quic.ApplicationError {
	var appErr *quic.ApplicationError
	if errors.As(err, &appErr) {
		return appErr
	}
	return nil
}

// connError names the server's close code, which carries the status the
// server closed with (3 oversized frame, 30 stale client, ...).
func (c *quicConn) connError(err error) error {
	if appErr := closedWith(err); appErr != nil && appErr.Remote {
		return fmt.Errorf("quic: connection closed by server with code %d (%s): %w",
			appErr.ErrorCode, appErr.ErrorMessage, err)
	}
	return err
}

func (c *quicConn) Close() error         { return c.qc.CloseWithError(0, "") }
func (c *quicConn) LocalAddr() net.Addr  { return c.qc.LocalAddr() }
func (c *quicConn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }

// SetDeadline bounds opening the next stream and the current stream's
// reads and writes; a deadline in the past wakes a blocked call.
func (c *quicConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if c.cur != nil {
		return c.cur.SetDeadline(t)
	}
	return nil
}

func (c *quicConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *quicConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }

// wsReadLimitSlackBytes: room above the response limit for the header.
const wsReadLimitSlackBytes = 64

func dialWebSocket(ctx context.Context, addr string, cfg config, tlsCfg *tls.Config) (net.Conn, error) {
	scheme := "ws://"
	if tlsCfg != nil {
		scheme = "wss://"
	}
	d := &net.Dialer{Timeout: cfg.dialTimeout}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:         d.DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: cfg.dialTimeout,
	}}
	ws, _, err := websocket.Dial(ctx, scheme+addr+cfg.wsPath, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	// Every Write (one request frame) is one binary message; reads return
	// the response messages back to back, as a TCP byte stream would.
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	ws.SetReadLimit(int64(cfg.responseBytesMax) + wire.ResponseHeaderSize + wsReadLimitSlackBytes)
	return nc, nil
}

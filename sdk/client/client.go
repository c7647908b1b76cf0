package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// ErrClosed: the Client was closed.
var ErrClosed = errors.New("client: closed")

// readBufferBytes sizes the buffered reader over the connection.
const readBufferBytes = 64 << 10

// Client is one connection to a server. It is safe for concurrent use; calls
// are serialised because the protocol allows one request in flight.
type Client struct {
	addr string
	cfg  config
	tls  *tls.Config

	mu        sync.Mutex
	conn      net.Conn
	rd        *bufio.Reader
	wbuf      []byte
	lastLogin wire.Request // last successful login, replayed after a reconnect
	closed    bool
}

// Dial connects to addr (host:port) and returns an unauthenticated Client.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("client: address %q: %w", addr, err)
	}
	tlsCfg, err := cfg.tlsConfig(host)
	if err != nil {
		return nil, err
	}
	c := &Client{addr: addr, cfg: cfg, tls: tlsCfg}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Addr is the server address the client dials.
func (c *Client) Addr() string { return c.addr }

// Close closes the connection. It waits for a request in flight; cancel that
// request's context to end it sooner.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.dropConn()
}

// connect dials once. The caller holds mu (or owns c exclusively).
func (c *Client) connect(ctx context.Context) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return fmt.Errorf("client: dial %s %s: %w", c.cfg.transport, c.addr, err)
	}
	c.conn = conn
	c.rd = bufio.NewReaderSize(conn, readBufferBytes)
	return nil
}

func (c *Client) dropConn() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn, c.rd = nil, nil
	return err
}

// reconnect dials with a bounded, doubling backoff, then replays the last
// login so the new connection has the same identity.
func (c *Client) reconnect(ctx context.Context) error {
	if c.cfg.reconnectAttempts <= 0 {
		return fmt.Errorf("client: %w", wire.ErrNotConnected)
	}
	backoff := c.cfg.reconnectBackoff
	var err error
	for attempt := 0; attempt < c.cfg.reconnectAttempts; attempt++ {
		if attempt > 0 {
			if werr := sleep(ctx, backoff); werr != nil {
				return fmt.Errorf("client: reconnect: %w", werr)
			}
			backoff = min(2*backoff, reconnectBackoffMax)
		}
		if err = c.connect(ctx); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	if c.lastLogin == nil {
		return nil
	}
	if _, err := c.roundTrip(ctx, c.lastLogin); err != nil {
		_ = c.dropConn()
		return fmt.Errorf("client: login after reconnect: %w", err)
	}
	// A reconnect often follows a failover: the leader may have moved.
	return c.followLeader(ctx)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do sends q and returns the success payload. Error statuses come back as
// wire sentinels; the connection is dropped when its state is unknown.
func (c *Client) do(ctx context.Context, q wire.Request) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.conn == nil {
		if err := c.reconnect(ctx); err != nil {
			return nil, err
		}
	}
	payload, err := c.roundTrip(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("client: %s: %w", commandName(q), err)
	}
	return payload, nil
}

// roundTrip writes one frame and reads its answer, with ctx's deadline on
// the socket and cancellation interrupting a blocked read or write.
func (c *Client) roundTrip(ctx context.Context, q wire.Request) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ex, ok := c.conn.(exchanger); ok {
		return c.exchange(ctx, ex, q)
	}
	conn := c.conn
	deadline, hasDeadline := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil { // zero clears an old one
		_ = c.dropConn()
		return nil, err
	}
	// Cancellation forces the deadline into the past. If that already
	// started, wait for it so it cannot hit the next request.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = conn.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
		}
	}()

	c.wbuf = wire.AppendRequest(c.wbuf[:0], q)
	if cap(c.wbuf) > writeBufferKeepBytes {
		defer func() { c.wbuf = nil }() // don't pin a huge batch buffer
	}
	if _, err := conn.Write(c.wbuf); err != nil {
		_ = c.dropConn()
		return nil, ioError(ctx, hasDeadline, err)
	}
	payload, err := wire.ReadResponse(c.rd, c.cfg.responseBytesMax)
	if err == nil {
		return payload, nil
	}
	var status *wire.Error
	if errors.As(err, &status) {
		if closesConnection(status) {
			_ = c.dropConn()
		}
		return nil, err
	}
	_ = c.dropConn() // out of sync or broken
	return nil, ioError(ctx, hasDeadline, err)
}

// exchange is roundTrip for a connection that carries whole requests
// (HTTP): the same binary request goes in, the same answer payload or
// status error comes out, and a failure of the medium drops the
// connection so the next call reconnects and logs in again.
func (c *Client) exchange(ctx context.Context, ex exchanger, q wire.Request) ([]byte, error) {
	c.wbuf = wire.AppendRequest(c.wbuf[:0], q)
	payload, err := ex.exchange(ctx, q.Code(), c.wbuf[wire.RequestHeaderSize:])
	if cap(c.wbuf) > writeBufferKeepBytes {
		c.wbuf = nil
	}
	if err == nil {
		return payload, nil
	}
	var status *wire.Error
	if errors.As(err, &status) {
		if closesConnection(status) {
			_ = c.dropConn()
		}
		return nil, err
	}
	_ = c.dropConn()
	_, hasDeadline := ctx.Deadline()
	return nil, ioError(ctx, hasDeadline, err)
}

// writeBufferKeepBytes is the largest write buffer kept between calls: big
// enough for the usual producer batch (1,000 × 1 KiB and more), so steady
// sending does not allocate, small enough not to pin a rare huge batch.
const writeBufferKeepBytes = 8 << 20

// closesConnection: statuses after which the server closes the connection.
func closesConnection(e *wire.Error) bool {
	return e.Code == wire.ErrStaleClient.Code || e.Code == wire.ErrClientNotFound.Code ||
		e.Code == wire.ErrDisconnected.Code
}

// ioError reports a socket failure caused by ctx as ctx's error.
func ioError(ctx context.Context, hasDeadline bool, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w (%v)", ctxErr, err)
	}
	if hasDeadline && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

func commandName(q wire.Request) string {
	if _, ok := q.(sendBatch); ok {
		return "SendMessages" // the client's own encoder of that command
	}
	return strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", q), "wire."), "Request")
}

// call runs q and decodes a non-empty answer with decode; an empty answer is
// notFound (nil means "decode it anyway").
func call[T any](ctx context.Context, c *Client, q wire.Request, decode func([]byte) (T, error), notFound error) (T, error) {
	var zero T
	payload, err := c.do(ctx, q)
	if err != nil {
		return zero, err
	}
	if len(payload) == 0 && notFound != nil {
		return zero, fmt.Errorf("client: %s: %w", commandName(q), notFound)
	}
	v, err := decode(payload)
	if err != nil {
		return zero, fmt.Errorf("client: %s: %w", commandName(q), err)
	}
	return v, nil
}

// exec runs q and ignores any answer payload.
func (c *Client) exec(ctx context.Context, q wire.Request) error {
	_, err := c.do(ctx, q)
	return err
}

// checkStr8 validates a string that travels as a u8-length field.
func checkStr8(s string, minBytes int, bad *wire.Error) error {
	if len(s) < minBytes || len(s) > 255 {
		return fmt.Errorf("client: %w", bad.Detail("%d bytes, want %d..255", len(s), minBytes))
	}
	return nil
}

func checkIDs(ids ...wire.Identifier) error {
	for _, id := range ids {
		if err := id.Validate(); err != nil {
			return fmt.Errorf("client: %w", err)
		}
	}
	return nil
}

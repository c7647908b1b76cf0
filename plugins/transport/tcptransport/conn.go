package tcptransport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	// handshakeTimeout bounds a TLS handshake, so silent peers cannot hold
	// connection slots.
	handshakeTimeout = 10 * time.Second
	// requestBufferBytesMax: a request buffer grown past this (by one large
	// SendMessages) goes back to the transport's pool after use instead of
	// being pinned per connection.
	requestBufferBytesMax = 1 << 20
	// When the server closes first it shuts down its write side and reads
	// (and discards) what the peer still sends, up to these bounds, before
	// closing: closing with unread input sends a RST, which can make the
	// peer lose the last frame (status 3 or 8) before reading it.
	lingerTimeout  = 500 * time.Millisecond
	lingerBytesMax = 1 << 20
)

// conn is one accepted connection. Everything but stopping and raw is
// touched only by its own goroutine.
type conn struct {
	t      *Transport
	log    *slog.Logger
	raw    net.Conn // the TCP socket: deadlines, CloseWrite, force close
	nc     net.Conn // raw, or the TLS conn over it
	remote string

	// stopping is set by shutdown; the goroutine then sends the status-8
	// frame at its next request boundary.
	stopping atomic.Bool

	br  *bufio.Reader
	out []byte      // responses not yet written; cap is WriteBufferBytes
	vec net.Buffers // scratch for vectored writes
	req []byte      // request payload buffer, reused
}

func newConn(t *Transport, nc net.Conn) *conn {
	remote := nc.RemoteAddr().String()
	return &conn{t: t, log: t.log.With("remote", remote), raw: nc, nc: nc, remote: remote}
}

// Stop asks the connection to finish (called by the connection set, locked).
// The read deadline wakes a goroutine blocked waiting for the next request.
func (c *conn) Stop() {
	c.stopping.Store(true)
	c.raw.SetReadDeadline(time.Now())
}

// Force closes the socket: the drain is over.
func (c *conn) Force() { c.raw.Close() }

func (c *conn) RemoteAddr() string { return c.remote }
func (c *conn) Transport() string  { return Name }

var (
	_ transport.Session = (*conn)(nil)
	_ connset.Conn      = (*conn)(nil)
)

// serveConn is the connection's goroutine: handshake, Connect, the request
// loop, close, Disconnected, untrack. Panics in host code are contained
// here so one bad callback cannot take the server down.
func (t *Transport) serveConn(parent context.Context, c *conn, h transport.Handler) {
	defer t.conns.Done(c)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	hc := c.open(ctx, h)
	if hc == nil {
		c.raw.Close()
		return
	}
	linger := c.runGuarded(ctx, hc)
	c.close(linger)
	defer c.recoverHost("Disconnected")
	hc.Disconnected()
}

// recoverHost logs a panic of a host callback; deferred.
func (c *conn) recoverHost(callback string) {
	if r := recover(); r != nil {
		c.log.Error("tcptransport: host callback panicked", "callback", callback,
			"panic", r, "stack", string(debug.Stack()))
	}
}

// open sets socket options, runs the TLS handshake and calls Connect. nil
// means the connection is to be closed.
func (c *conn) open(ctx context.Context, h transport.Handler) (hc transport.Conn) {
	cfg := c.t.cfg
	if tcp, ok := c.raw.(*net.TCPConn); ok {
		tcp.SetNoDelay(cfg.NoDelay)
	}
	if c.t.tls != nil {
		tc := tls.Server(c.raw, c.t.tls)
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			c.log.Debug("tcptransport: tls handshake failed", "err", err)
			return nil
		}
		c.nc = tc
	}
	defer c.recoverHost("Connect")
	hc, err := h.Connect(ctx, c)
	if err != nil {
		c.log.Debug("tcptransport: connect refused by host", "err", err)
		return nil
	}
	c.br = bufio.NewReaderSize(c.nc, cfg.ReadBufferBytes)
	c.out = make([]byte, 0, cfg.WriteBufferBytes)
	return hc
}

// runGuarded is run with a panic in Response.Done contained: the
// connection is closed without lingering.
func (c *conn) runGuarded(ctx context.Context, hc transport.Conn) (linger bool) {
	defer c.recoverHost("Response.Done")
	return c.run(ctx, hc)
}

// run serves requests until the connection ends. It reports whether the
// server is the one closing (then the close lingers, see lingerTimeout).
func (c *conn) run(ctx context.Context, hc transport.Conn) (linger bool) {
	limit := c.t.cfg.SendPayloadBytesMax
	for {
		if c.stopping.Load() {
			return c.sendDisconnected()
		}
		if !c.requestBuffered() && c.flush() != nil {
			return false
		}
		if c.req == nil {
			if b, ok := c.t.largeRequests.Get().(*[]byte); ok {
				c.req = *b
			}
		}
		hdr, payload, err := wire.ReadRequest(c.br, c.req, limit)
		var tooLarge *wire.FrameTooLargeError
		switch {
		case err == nil:
		case errors.Is(err, wire.ErrFrameTooShort):
			// Nothing to drain: answer and read on (§6.7).
			if c.writeStatus(wire.ErrInvalidCommand.Code) != nil {
				return false
			}
			continue
		case errors.As(err, &tooLarge):
			// The payload was not read, so the stream is out of sync.
			c.log.Info("tcptransport: request too large, closing", "err", err)
			c.writeStatus(wire.ErrInvalidCommand.Code)
			return c.flush() == nil
		default:
			if c.stopping.Load() {
				return c.sendDisconnected()
			}
			return false // EOF, reset, or a read error: just close
		}
		c.req = payload[:0]
		resp, ok := c.handle(ctx, hc, transport.Request{Code: hdr.Code, Payload: payload})
		if cap(c.req) > requestBufferBytesMax {
			large := c.req[:0]
			c.t.largeRequests.Put(&large)
			c.req = nil
		}
		if !ok {
			c.writeStatus(wire.ErrGeneric.Code)
			return c.flush() == nil
		}
		if c.writeResponse(resp) != nil {
			return false
		}
		if resp.Close {
			return c.flush() == nil
		}
	}
}

// handle calls the host, turning a panic into ok == false.
func (c *conn) handle(ctx context.Context, hc transport.Conn, req transport.Request) (resp transport.Response, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("tcptransport: handler panicked, closing connection",
				"code", req.Code, "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	return hc.Handle(ctx, req), true
}

// requestBuffered reports whether a whole request frame is already in the
// read buffer, so it can be served without blocking and the pending
// responses may wait for the next flush.
func (c *conn) requestBuffered() bool {
	n := c.br.Buffered()
	if n < wire.RequestHeaderSize {
		return false
	}
	hdr, err := c.br.Peek(wire.RequestHeaderSize)
	if err != nil {
		return false
	}
	frameBytes := 4 + int64(binary.LittleEndian.Uint32(hdr))
	return int64(n) >= max(frameBytes, wire.RequestHeaderSize)
}

// sendDisconnected writes the unsolicited shutdown frame.
func (c *conn) sendDisconnected() (linger bool) {
	if c.writeStatus(wire.ErrDisconnected.Code) != nil {
		return false
	}
	return c.flush() == nil
}

// writeStatus queues an error frame (no payload).
func (c *conn) writeStatus(status uint32) error {
	return c.writeResponse(transport.Response{Status: status})
}

// writeResponse queues a response frame, copying it into the write buffer
// when it fits and writing buffer plus chunks with one vectored write when
// it does not.
func (c *conn) writeResponse(resp transport.Response) error {
	if resp.Done != nil {
		defer resp.Done()
	}
	chunks := resp.Payload
	if resp.Status != 0 {
		chunks = nil // an error frame never carries a payload (§1.2)
	}
	size := 0
	for _, p := range chunks {
		size += len(p)
	}
	if size > math.MaxUint32 {
		c.log.Error("tcptransport: response payload exceeds the u32 length field, sent status 1", "bytes", size)
		chunks, size, resp.Status = nil, 0, wire.ErrGeneric.Code
	}
	if len(c.out)+wire.ResponseHeaderSize > cap(c.out) {
		if err := c.flush(); err != nil {
			return err
		}
	}
	var hdr [wire.ResponseHeaderSize]byte
	wire.EncodeResponseHeader(hdr[:], resp.Status, size)
	c.out = append(c.out, hdr[:]...)
	if len(c.out)+size <= cap(c.out) {
		for _, p := range chunks {
			c.out = append(c.out, p...)
		}
		return nil
	}
	bufs := append(c.vec[:0], c.out)
	for _, p := range chunks {
		if len(p) > 0 {
			bufs = append(bufs, p)
		}
	}
	c.vec = bufs
	_, err := bufs.WriteTo(c.nc) // consumes bufs, not c.vec
	clear(c.vec)                 // do not pin the host's chunks
	c.out = c.out[:0]
	if err != nil {
		return fmt.Errorf("tcptransport: write: %w", err)
	}
	return nil
}

// flush writes the pending responses.
func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	c.out = c.out[:0]
	if err != nil {
		return fmt.Errorf("tcptransport: write: %w", err)
	}
	return nil
}

// close closes the socket. With linger, the server closes first: it sends
// FIN (and TLS close_notify), then discards input for a bounded while so
// the peer reads the last frame instead of a reset.
func (c *conn) close(linger bool) {
	if linger {
		if tc, ok := c.nc.(*tls.Conn); ok {
			tc.CloseWrite()
		}
		if tcp, ok := c.raw.(*net.TCPConn); ok && tcp.CloseWrite() == nil {
			c.raw.SetReadDeadline(time.Now().Add(lingerTimeout))
			io.CopyN(io.Discard, c.raw, lingerBytesMax)
		}
	}
	c.raw.Close()
}

package quictransport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	// lingerTimeoutDefault: when the server closes a connection it first
	// waits this long (at most) for the client to close it, answering any
	// new stream with the closing status. QUIC drops stream data still in
	// flight when a connection closes, so closing at once could lose the
	// last response; the SDK closes as soon as it reads a closing status,
	// which ends the wait early.
	lingerTimeoutDefault = 500 * time.Millisecond
	// requestBufferBytesMax: a request buffer grown past this by one large
	// SendMessages is dropped after use instead of pinned per connection.
	requestBufferBytesMax = 1 << 20
	// copyResponseBytesMax: responses up to this size are copied behind
	// their header and written with one call; larger ones are written
	// chunk by chunk without copying.
	copyResponseBytesMax = 64 << 10
	// streamErrorRefused is the QUIC stream error code sent when the server
	// stops reading a request stream early (STOP_SENDING).
	streamErrorRefused quic.StreamErrorCode = 3
)

// conn is one QUIC connection. Everything but stopping, mu and the fields
// under it is touched only by its goroutine.
type conn struct {
	t      *Transport
	qc     *quic.Conn
	log    *slog.Logger
	remote string

	stopping atomic.Bool
	// acceptCtx is cancelled by stop, waking a goroutine waiting for the
	// next request stream.
	acceptCtx    context.Context
	acceptCancel context.CancelFunc

	mu  sync.Mutex
	cur *quic.Stream // the stream whose request is being read, for stop

	req []byte // request payload buffer, reused
	out []byte // small response buffer, reused
}

func newConn(t *Transport, qc *quic.Conn) *conn {
	remote := qc.RemoteAddr().String()
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{t: t, qc: qc, log: t.log.With("remote", remote), remote: remote, acceptCtx: ctx, acceptCancel: cancel}
}

func (c *conn) RemoteAddr() string { return c.remote }
func (c *conn) Transport() string  { return Name }

var (
	_ transport.Session = (*conn)(nil)
	_ connset.Conn      = (*conn)(nil)
)

// Stop asks the connection to finish (called by the connection set,
// locked): a wait for the next stream or for the rest of a request ends at
// once.
func (c *conn) Stop() {
	c.stopping.Store(true)
	c.acceptCancel()
	c.mu.Lock()
	if c.cur != nil {
		c.cur.SetReadDeadline(time.Now())
	}
	c.mu.Unlock()
}

// Force closes the connection with code 8: the drain is over. In the
// background, as closing waits for the peer's acknowledgement.
func (c *conn) Force() {
	go c.qc.CloseWithError(quic.ApplicationErrorCode(wire.ErrDisconnected.Code), "server shutting down")
}

// reading publishes the stream being read (nil when done), so stop can
// wake the read.
func (c *conn) reading(st *quic.Stream) {
	c.mu.Lock()
	c.cur = st
	c.mu.Unlock()
	if st != nil && c.stopping.Load() {
		st.SetReadDeadline(time.Now())
	}
}

// serveConn is the connection's goroutine: Connect, the stream loop, the
// close, Disconnected, untrack. Host panics are contained here.
func (t *Transport) serveConn(parent context.Context, c *conn, h transport.Handler) {
	defer t.conns.Done(c)
	defer c.acceptCancel()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	// Handle's ctx ends with the connection (peer gone, idle timeout).
	defer context.AfterFunc(c.qc.Context(), cancel)()
	hc := c.open(ctx, h)
	if hc == nil {
		c.qc.CloseWithError(quic.ApplicationErrorCode(wire.ErrGeneric.Code), "connection refused")
		return
	}
	status, linger := c.runGuarded(ctx, hc)
	if linger {
		c.linger(status)
	} else {
		c.qc.CloseWithError(0, "")
	}
	defer c.recoverHost("Disconnected")
	hc.Disconnected()
}

func (c *conn) recoverHost(callback string) {
	if r := recover(); r != nil {
		c.log.Error("quictransport: host callback panicked", "callback", callback,
			"panic", r, "stack", string(debug.Stack()))
	}
}

// open calls Connect; nil means the connection is to be closed.
func (c *conn) open(ctx context.Context, h transport.Handler) (hc transport.Conn) {
	defer c.recoverHost("Connect")
	hc, err := h.Connect(ctx, c)
	if err != nil {
		c.log.Debug("quictransport: connect refused by host", "err", err)
		return nil
	}
	return hc
}

// runGuarded contains a panic in Response.Done: the connection is closed
// with status 1.
func (c *conn) runGuarded(ctx context.Context, hc transport.Conn) (status uint32, linger bool) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("quictransport: host callback panicked", "callback", "Response.Done",
				"panic", r, "stack", string(debug.Stack()))
			status, linger = wire.ErrGeneric.Code, true
		}
	}()
	return c.run(ctx, hc)
}

// run serves request streams one at a time until the connection ends. It
// returns linger when the server is the one closing, with the status to
// close with.
func (c *conn) run(ctx context.Context, hc transport.Conn) (status uint32, linger bool) {
	for {
		if c.stopping.Load() {
			return wire.ErrDisconnected.Code, true
		}
		st, err := c.qc.AcceptStream(c.acceptCtx)
		if err != nil {
			if c.stopping.Load() && c.qc.Context().Err() == nil {
				return wire.ErrDisconnected.Code, true
			}
			return 0, false // peer closed, idle timeout, forced close
		}
		if status, closing := c.serveStream(ctx, hc, st); closing {
			return status, true
		}
	}
}

// serveStream reads one request frame from st, has it handled and writes
// the response. closing asks the caller to close the connection with
// status.
func (c *conn) serveStream(ctx context.Context, hc transport.Conn, st *quic.Stream) (status uint32, closing bool) {
	c.reading(st)
	hdr, payload, err := wire.ReadRequest(st, c.req, c.t.cfg.SendPayloadBytesMax)
	c.reading(nil)
	var tooLarge *wire.FrameTooLargeError
	switch {
	case err == nil:
	case c.stopping.Load():
		c.finish(st, wire.ErrDisconnected.Code)
		return wire.ErrDisconnected.Code, true
	case errors.Is(err, wire.ErrFrameTooShort):
		c.finish(st, wire.ErrInvalidCommand.Code)
		return 0, false
	case errors.As(err, &tooLarge):
		// Unlike TCP the connection stays in sync, but a client sending
		// frames past the limits is broken or hostile: close, as TCP does.
		c.log.Info("quictransport: request too large, closing", "err", err)
		c.finish(st, wire.ErrInvalidCommand.Code)
		return wire.ErrInvalidCommand.Code, true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The client ended the stream inside a frame: a clear error on
		// that stream; the connection stays usable.
		c.finish(st, wire.ErrInvalidCommand.Code)
		return 0, false
	default: // stream reset by the peer, connection gone
		st.CancelWrite(streamErrorRefused)
		return 0, false
	}
	// As Iggy's server (read_to_end), a request is its frame and the end
	// of the client's side of the stream: wait for it, so the stream is
	// released without STOP_SENDING, which clients may take as an error.
	c.reading(st)
	err = awaitEnd(st)
	c.reading(nil)
	switch {
	case c.stopping.Load(): // arrived after shutdown began: not handled
		c.finish(st, wire.ErrDisconnected.Code)
		return wire.ErrDisconnected.Code, true
	case err != nil: // reset by the peer, connection gone
		st.CancelWrite(streamErrorRefused)
		return 0, false
	}
	c.req = payload[:0]
	resp, ok := c.handle(ctx, hc, transport.Request{Code: hdr.Code, Payload: payload})
	if cap(c.req) > requestBufferBytesMax {
		c.req = nil
	}
	if !ok {
		c.finish(st, wire.ErrGeneric.Code)
		return wire.ErrGeneric.Code, true
	}
	c.writeResponse(st, resp)
	if resp.Close {
		return resp.Status, true
	}
	return 0, false
}

// handle calls the host, turning a panic into ok == false.
func (c *conn) handle(ctx context.Context, hc transport.Conn, req transport.Request) (resp transport.Response, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("quictransport: handler panicked, closing connection",
				"code", req.Code, "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	return hc.Handle(ctx, req), true
}

// trailingBytesMax bounds the bytes read and ignored after a request
// frame before its stream's end; past it the rest is refused.
const trailingBytesMax = 64 << 10

// awaitEnd reads st up to its end, ignoring bytes after the frame (at most
// trailingBytesMax of them).
func awaitEnd(st *quic.Stream) error {
	var buf [512]byte
	extra := 0
	for {
		n, err := st.Read(buf[:])
		extra += n
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		case extra > trailingBytesMax:
			st.CancelRead(streamErrorRefused)
			return nil
		}
	}
}

// finish answers st with an error frame and ends it.
func (c *conn) finish(st *quic.Stream, status uint32) {
	c.writeResponse(st, transport.Response{Status: status})
}

// writeResponse writes one response frame on st and ends the stream in
// both directions. Write errors (the peer reset the stream or left) are
// not reported: the next AcceptStream sees a dead connection.
func (c *conn) writeResponse(st *quic.Stream, resp transport.Response) {
	if resp.Done != nil {
		defer resp.Done()
	}
	defer func() {
		st.Close()
		// A no-op when the request was read to its end; otherwise (a bad
		// frame) stop receiving, so the stream is released.
		st.CancelRead(streamErrorRefused)
	}()
	chunks := resp.Payload
	if resp.Status != 0 {
		chunks = nil // an error frame never carries a payload (§1.2)
	}
	size := 0
	for _, p := range chunks {
		size += len(p)
	}
	if size > math.MaxUint32 {
		c.log.Error("quictransport: response payload exceeds the u32 length field, sent status 1", "bytes", size)
		chunks, size, resp.Status = nil, 0, wire.ErrGeneric.Code
	}
	out := c.out[:0]
	out = append(out, make([]byte, wire.ResponseHeaderSize)...)
	wire.EncodeResponseHeader(out, resp.Status, size)
	if size <= copyResponseBytesMax {
		for _, p := range chunks {
			out = append(out, p...)
		}
		st.Write(out)
		c.out = out[:0]
		return
	}
	c.out = out[:0]
	if _, err := st.Write(out); err != nil {
		return
	}
	for _, p := range chunks {
		if _, err := st.Write(p); err != nil {
			return
		}
	}
}

// linger closes the connection from the server's side: until the client
// closes it or lingerTimeout passes, every new request stream is answered
// with status (8 when status is 0) and not handled; then the connection is
// closed with that status as the application error code.
func (c *conn) linger(status uint32) {
	answer := status
	if answer == 0 {
		answer = wire.ErrDisconnected.Code
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.t.lingerTimeout)
	defer cancel()
	for {
		st, err := c.qc.AcceptStream(ctx)
		if err != nil {
			break
		}
		c.finish(st, answer)
	}
	reason := "closed by server"
	if status == wire.ErrDisconnected.Code {
		reason = "server shutting down"
	}
	c.qc.CloseWithError(quic.ApplicationErrorCode(status), reason)
}

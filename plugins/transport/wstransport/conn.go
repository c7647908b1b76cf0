package wstransport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	// requestBufferBytesMax: a request buffer grown past this by one large
	// SendMessages is dropped after use instead of pinned per connection.
	requestBufferBytesMax = 1 << 20
	// copyResponseBytesMax: responses up to this size are copied behind
	// their header and sent as one WebSocket frame; larger ones are
	// streamed chunk by chunk without copying.
	copyResponseBytesMax = 64 << 10
	// readLimitSlackBytes: room above the largest frame for the WebSocket
	// read limit, so a frame at the limit is read whole and a message that
	// lies about its length is cut off by the library.
	readLimitSlackBytes = 64
)

// inbound is what the reading goroutine hands to the serving one: a
// request to handle, a status to answer without handling, or the end.
type inbound struct {
	req    transport.Request
	status uint32 // non-zero: answer it, do not call Handle
	close  bool   // after answering status, close the connection
	err    error  // the connection failed or the peer closed it
}

// conn is one WebSocket connection. The serving goroutine (the HTTP
// handler's) owns everything but stopping, stopCh and the fields under mu.
type conn struct {
	t      *Transport
	log    *slog.Logger
	remote string

	ctx    context.Context // Handle's ctx: cancelled when forced or when the connection ends
	cancel context.CancelFunc

	stopping atomic.Bool
	stopCh   chan struct{}
	stopOnce sync.Once

	mu sync.Mutex
	ws *websocket.Conn // set after the upgrade

	req []byte // request payload buffer, reused (reading goroutine)
	out []byte // small response buffer, reused
}

func newConn(t *Transport, remote string, parent context.Context) *conn {
	ctx, cancel := context.WithCancel(parent)
	return &conn{t: t, log: t.log.With("remote", remote), remote: remote, ctx: ctx, cancel: cancel, stopCh: make(chan struct{})}
}

func (c *conn) RemoteAddr() string { return c.remote }
func (c *conn) Transport() string  { return Name }

var (
	_ transport.Session = (*conn)(nil)
	_ connset.Conn      = (*conn)(nil)
)

// Stop asks the connection to finish (called by the connection set,
// locked).
func (c *conn) Stop() {
	c.stopping.Store(true)
	c.stopOnce.Do(func() { close(c.stopCh) })
}

// Force cancels Handle's ctx and closes the socket without a handshake:
// the drain is over.
func (c *conn) Force() {
	c.cancel()
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

func (c *conn) recoverHost(callback string) {
	if r := recover(); r != nil {
		c.log.Error("wstransport: host callback panicked", "callback", callback,
			"panic", r, "stack", string(debug.Stack()))
	}
}

// serve runs the connection after the upgrade: Connect, the request loop,
// the close, Disconnected.
func (c *conn) serve(ws *websocket.Conn, h transport.Handler) {
	defer c.cancel()
	limit := max(uint64(c.t.cfg.SendPayloadBytesMax), wire.ControlPayloadBytesMax)
	ws.SetReadLimit(int64(limit) + wire.RequestHeaderSize + readLimitSlackBytes)
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	if c.ctx.Err() != nil { // forced while upgrading
		ws.CloseNow()
		return
	}
	hc := c.open(h)
	if hc == nil {
		ws.Close(websocket.StatusPolicyViolation, "connection refused")
		return
	}
	code, reason := c.runGuarded(ws, hc)
	if code == 0 {
		ws.CloseNow()
	} else {
		ws.Close(code, reason) // close handshake, bounded by the library (5 s) and by forceClose
	}
	defer c.recoverHost("Disconnected")
	hc.Disconnected()
}

func (c *conn) open(h transport.Handler) (hc transport.Conn) {
	defer c.recoverHost("Connect")
	hc, err := h.Connect(c.ctx, c)
	if err != nil {
		c.log.Debug("wstransport: connect refused by host", "err", err)
		return nil
	}
	return hc
}

// runGuarded contains a panic in Response.Done: the connection is closed.
func (c *conn) runGuarded(ws *websocket.Conn, hc transport.Conn) (code websocket.StatusCode, reason string) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("wstransport: host callback panicked", "callback", "Response.Done",
				"panic", r, "stack", string(debug.Stack()))
			code, reason = websocket.StatusInternalError, "internal error"
		}
	}()
	return c.run(ws, hc)
}

// run serves requests until the connection ends. A non-zero code asks for
// a close handshake with that status (the server closes first).
func (c *conn) run(ws *websocket.Conn, hc transport.Conn) (websocket.StatusCode, string) {
	in := make(chan inbound)
	next := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go c.readLoop(ws, in, next, done)
	for {
		if c.stopping.Load() {
			return c.sendDisconnected(ws)
		}
		var item inbound
		select {
		case item = <-in:
		case <-c.stopCh:
			return c.sendDisconnected(ws)
		}
		switch {
		case item.err != nil:
			return 0, ""
		case c.stopping.Load(): // arrived after shutdown began: not handled
			return c.sendDisconnected(ws)
		case item.status != 0:
			if c.writeResponse(ws, transport.Response{Status: item.status}) != nil {
				return 0, ""
			}
			if item.close {
				return websocket.StatusMessageTooBig, "request frame too large"
			}
			next <- struct{}{}
			continue
		}
		resp, ok := c.handle(hc, item.req)
		if cap(c.req) > requestBufferBytesMax {
			c.req = nil
		}
		if !ok {
			c.writeResponse(ws, transport.Response{Status: wire.ErrGeneric.Code})
			return websocket.StatusInternalError, "internal error"
		}
		if c.writeResponse(ws, resp) != nil {
			return 0, ""
		}
		if resp.Close {
			return websocket.StatusNormalClosure, fmt.Sprintf("closed by server (status %d)", resp.Status)
		}
		next <- struct{}{}
	}
}

func (c *conn) sendDisconnected(ws *websocket.Conn) (websocket.StatusCode, string) {
	if c.writeResponse(ws, transport.Response{Status: wire.ErrDisconnected.Code}) != nil {
		return 0, ""
	}
	return websocket.StatusGoingAway, "server shutting down"
}

// readLoop reads one message at a time and hands it over, waiting for next
// before reading on, because the request payload buffer is reused.
func (c *conn) readLoop(ws *websocket.Conn, in chan<- inbound, next, done <-chan struct{}) {
	for {
		item := c.readMessage(ws)
		select {
		case in <- item:
		case <-done:
			return
		}
		if item.err != nil || item.close {
			return
		}
		select {
		case <-next:
		case <-done:
			return
		}
	}
}

// readMessage reads one message as one request frame.
func (c *conn) readMessage(ws *websocket.Conn) inbound {
	typ, r, err := ws.Reader(c.ctx)
	if err != nil {
		return inbound{err: err}
	}
	if typ != websocket.MessageBinary {
		return c.reject(r, wire.ErrInvalidCommand.Code)
	}
	hdr, payload, err := wire.ReadRequest(r, c.req, c.t.cfg.SendPayloadBytesMax)
	c.req = payload[:0]
	var tooLarge *wire.FrameTooLargeError
	switch {
	case err == nil:
	case errors.As(err, &tooLarge):
		c.log.Info("wstransport: request too large, closing", "err", err)
		return inbound{status: wire.ErrInvalidCommand.Code, close: true}
	case errors.Is(err, wire.ErrFrameTooShort), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// length < 4, or a message shorter than its frame: messages keep
		// the stream in sync, so answer and read on.
		return c.reject(r, wire.ErrInvalidCommand.Code)
	default:
		return inbound{err: err}
	}
	// One frame per message: bytes after it make the message invalid.
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return inbound{err: err}
	}
	if n > 0 {
		return inbound{status: wire.ErrInvalidCommand.Code}
	}
	return inbound{req: transport.Request{Code: hdr.Code, Payload: payload}}
}

// reject drains the rest of the message (the library needs that before the
// next one) and answers status.
func (c *conn) reject(r io.Reader, status uint32) inbound {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return inbound{err: err}
	}
	return inbound{status: status}
}

// handle calls the host, turning a panic into ok == false.
func (c *conn) handle(hc transport.Conn, req transport.Request) (resp transport.Response, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("wstransport: handler panicked, closing connection",
				"code", req.Code, "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	return hc.Handle(c.ctx, req), true
}

// writeResponse sends one response frame as one binary message.
func (c *conn) writeResponse(ws *websocket.Conn, resp transport.Response) error {
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
		c.log.Error("wstransport: response payload exceeds the u32 length field, sent status 1", "bytes", size)
		chunks, size, resp.Status = nil, 0, wire.ErrGeneric.Code
	}
	out := append(c.out[:0], make([]byte, wire.ResponseHeaderSize)...)
	wire.EncodeResponseHeader(out, resp.Status, size)
	if size <= copyResponseBytesMax {
		for _, p := range chunks {
			out = append(out, p...)
		}
		c.out = out[:0]
		if err := ws.Write(c.ctx, websocket.MessageBinary, out); err != nil {
			return fmt.Errorf("wstransport: write: %w", err)
		}
		return nil
	}
	c.out = out[:0]
	w, err := ws.Writer(c.ctx, websocket.MessageBinary)
	if err != nil {
		return fmt.Errorf("wstransport: write: %w", err)
	}
	for _, p := range append([][]byte{out}, chunks...) {
		if _, err := w.Write(p); err != nil {
			w.Close()
			return fmt.Errorf("wstransport: write: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("wstransport: write: %w", err)
	}
	return nil
}

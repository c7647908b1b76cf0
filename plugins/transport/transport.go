package transport

import (
	"context"
	"errors"
	"net/http"

	"github.com/runnel-io/runnel/plugins/component"
)

// ErrNotStarted: Serve was called before a successful Start.
var ErrNotStarted = errors.New("transport: not started")

// Request is one decoded request frame.
//
// Payload belongs to the transport and is valid only until Handle returns:
// the transport reads the next frame into the same buffer. A host that keeps
// any of it (a message batch queued for a later fsync, a name) copies it.
type Request struct {
	Code    uint32
	Payload []byte
}

// Response is written as one response frame.
//
// Status 0 sends the concatenation of the Payload chunks as the frame's
// payload. The chunks are written with one vectored write where the medium
// allows it, so the host can hand over a header it built plus bytes read
// from a segment without copying them together. Empty chunks are fine. The
// host must not produce a 1-byte success payload (the Go SDK does not read
// it; iggy-wire-protocol.md §1.2); the transport does not check.
//
// A non-zero Status is an error frame, which never carries a payload: the
// transport drops any Payload given with it (a payload would desync every
// Iggy client).
//
// Close asks the transport to close the connection once this frame is
// written (Iggy does so after StaleClient and ClientNotFound).
//
// Done, if set, is called exactly once, on the connection's goroutine, when
// the transport no longer needs the Payload chunks: after they were written
// or copied into its own buffer, or dropped because the status is an error
// or the connection failed. The host uses it to recycle buffers. Until Done
// runs (or, without Done, until the next Handle or Disconnected call on the
// same connection) the host must not modify the chunks.
type Response struct {
	Status  uint32
	Payload [][]byte
	Close   bool
	Done    func()
}

// Session describes one accepted connection to the host. It is immutable and
// safe for concurrent use.
type Session interface {
	// RemoteAddr is the peer address as "ip:port". Iggy derives the client id
	// from this string.
	RemoteAddr() string
	// Transport names the medium: "tcp" (also when TLS is on), "quic", ...
	Transport() string
}

// Handler is implemented by the host: it turns connections into Conns.
type Handler interface {
	// Connect is called once per accepted connection (after the TLS handshake,
	// if any), before any request is read. An error closes the connection
	// without a reply and without a Disconnected call. Connect is called
	// concurrently for different connections. ctx is the connection's
	// context (see Conn.Handle).
	Connect(ctx context.Context, s Session) (Conn, error)
}

// HTTPRoutes is implemented by hosts that serve extra endpoints on
// transports speaking HTTP (the HTTP API, WebSocket): the Prometheus
// "/metrics" page, for instance. Such a transport checks its Handler for
// this interface at Serve and mounts each handler at its path, before its
// own routes; the paths must not collide with the transport's.
type HTTPRoutes interface {
	HTTPRoutes() map[string]http.Handler
}

// Conn is the host's side of one connection.
//
// Concurrency: the transport calls Handle sequentially per connection (never
// two at once for one Conn, and responses go out in request order); Handles
// of different connections run concurrently. Disconnected is called exactly
// once, after the last Handle returned and after the socket was closed, for
// every Conn a Connect returned; no call follows it.
type Conn interface {
	// Handle answers one request. It never fails: errors are statuses.
	//
	// ctx stays live for the whole connection, including while the server
	// drains at shutdown; it is cancelled when the connection is forced shut
	// (drain timeout expired, Close's ctx ended) and when the connection
	// ends. A Handle that blocks (long poll, fsync wait) must return soon
	// after ctx is cancelled, or shutdown waits for it.
	//
	// A panic in Handle is recovered by the transport: it logs it with the
	// command code, answers status 1 (Error) and closes the connection.
	Handle(ctx context.Context, req Request) Response
	// Disconnected tells the host the connection is gone (peer closed, read
	// error, Response.Close, shutdown). The host drops the session here.
	Disconnected()
}

// Transport is a listener that serves Handlers.
//
// Lifecycle: New (no I/O) → Start (binds, so Addr is valid and a bind error
// surfaces at start) → Serve → Close. Close is idempotent and safe before
// Start.
//
// Shutdown rule (Close, or the end of Serve's ctx): the transport stops
// accepting; every open connection finishes the request it is handling and
// writes that response, then receives one unsolicited error frame with
// status 8 (wire.ErrDisconnected.Code) and is closed. Requests that arrive
// after shutdown began are not handled. Draining is bounded by the
// implementation's drain timeout (and by Close's ctx): when it expires,
// Handle contexts are cancelled and the remaining sockets are closed.
type Transport interface {
	component.Component
	// Serve accepts connections and serves them with h until ctx ends or
	// Close is called, then performs the shutdown above and returns once
	// every connection is gone (every Disconnected has returned). It returns
	// nil on such an orderly stop, also when Close came before Serve, and
	// ErrNotStarted (wrapped) before Start. Serve may be called once.
	Serve(ctx context.Context, h Handler) error
	// Addr is the bound address ("127.0.0.1:8090") after Start, "" before.
	Addr() string
}

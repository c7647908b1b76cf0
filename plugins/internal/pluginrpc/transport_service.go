package pluginrpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A transport crosses the boundary in both directions. The plugin serves
// runnel.plugin.v1.Transport (the host drives the lifecycle); the host
// serves runnel.plugin.v1.TransportHost on a go-plugin broker connection
// (the plugin's transport calls the host's Handler back). One Conn stream
// per client connection carries Connect, every Handle and Disconnected,
// so the stream's context is the connection's: when the plugin cancels
// it (forced shutdown, connection gone), the host's Handle ctx ends.
const (
	transportService     = "runnel.plugin.v1.Transport"
	transportHostService = "runnel.plugin.v1.TransportHost"
)

// Transport control messages, JSON inside a BytesValue.
type (
	startReply struct {
		Addr string `json:"addr"`
	}
	// serveRequest names the broker connection the host serves its
	// Handler on.
	serveRequest struct {
		BrokerID uint32 `json:"broker_id"`
	}
	// closeRequest is the Close stream's first message and, when the
	// host's Close ctx ends during the drain, its second: Force is ""
	// (orderly), "canceled" or "deadline".
	closeRequest struct {
		Force string `json:"force,omitempty"`
	}
	// connectRequest opens a Conn stream: the accepted connection's
	// Session.
	connectRequest struct {
		RemoteAddr string `json:"remote_addr"`
		Transport  string `json:"transport"`
	}
)

const (
	forceCanceled = "canceled"
	forceDeadline = "deadline"
)

// forceReason is what a closeRequest says about ctx.
func forceReason(ctx context.Context) string {
	switch ctx.Err() {
	case nil:
		return ""
	case context.DeadlineExceeded:
		return forceDeadline
	}
	return forceCanceled
}

// transportHandler is what the plugin side implements.
type transportHandler interface {
	configure(ctx context.Context, req configureRequest) error
	start(ctx context.Context) (startReply, error)
	serve(stream grpc.ServerStream) error
	close(stream grpc.ServerStream) error
}

// transportHostHandler is what the host side implements.
type transportHostHandler interface {
	conn(stream grpc.ServerStream) error
}

func transportDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: transportService,
		HandlerType: (*transportHandler)(nil),
		Methods: []grpc.MethodDesc{
			unary("Configure", func(ctx context.Context, h transportHandler, req configureRequest) (none, error) {
				return none{}, h.configure(ctx, req)
			}),
			unary("Start", func(ctx context.Context, h transportHandler, _ none) (startReply, error) {
				return h.start(ctx)
			}),
		},
		Streams: []grpc.StreamDesc{
			{StreamName: "Serve", ClientStreams: true, ServerStreams: true, Handler: func(srv any, s grpc.ServerStream) error {
				return toStatus(srv.(transportHandler).serve(s))
			}},
			{StreamName: "Close", ClientStreams: true, ServerStreams: true, Handler: func(srv any, s grpc.ServerStream) error {
				return toStatus(srv.(transportHandler).close(s))
			}},
		},
	}
}

func transportHostDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: transportHostService,
		HandlerType: (*transportHostHandler)(nil),
		Streams: []grpc.StreamDesc{
			{StreamName: "Conn", ClientStreams: true, ServerStreams: true, Handler: func(srv any, s grpc.ServerStream) error {
				return toStatus(srv.(transportHostHandler).conn(s))
			}},
		},
	}
}

func transportMethod(name string) string { return "/" + transportService + "/" + name }

func transportHostMethod(name string) string { return "/" + transportHostService + "/" + name }

// streamDesc finds a stream of desc by name.
func streamDesc(desc *grpc.ServiceDesc, name string) *grpc.StreamDesc {
	for i := range desc.Streams {
		if desc.Streams[i].StreamName == name {
			return &desc.Streams[i]
		}
	}
	panic("pluginrpc: no stream " + name) // a typo in this package
}

// Frames on a Conn stream. Handle is binary, not JSON: it is the hot
// path. A request is the byte string
//
//	code u32 | payloadBytes u32 | payload
//
// and a response
//
//	status u32 | flags u32 | payloadBytes u32 | payload
//
// (little endian), each cut into messages of at most ChunkBytesMax; the
// receiver knows from the length when a frame ends. flagPanic marks a
// Handle that panicked in the host: the payload is the panic's text and
// the plugin re-panics, so its transport does what it does for any
// panicking Handle (log, status 1, close).
const (
	requestHeaderBytes  = 8
	responseHeaderBytes = 12

	flagClose uint32 = 1 << 0
	flagPanic uint32 = 1 << 1
)

// errBadFrame: a Conn message that does not parse. It means a bug or a
// mismatched build on the other side; the connection ends.
var errBadFrame = errors.New("pluginrpc: transport: bad frame")

// frameWriter cuts header+payload chunks into messages of at most
// ChunkBytesMax, copying through a buffer it keeps: SendMsg has encoded a
// message when it returns, so the buffer is free again.
type frameWriter struct {
	buf []byte
}

func (w *frameWriter) write(s msgStream, header []byte, chunks [][]byte) error {
	w.buf = append(w.buf[:0], header...)
	for _, c := range chunks {
		for len(c) > 0 {
			n := min(len(c), ChunkBytesMax-len(w.buf))
			w.buf = append(w.buf, c[:n]...)
			c = c[n:]
			if len(w.buf) == ChunkBytesMax {
				if err := s.SendMsg(wrapperspb.Bytes(w.buf)); err != nil {
					return err
				}
				w.buf = w.buf[:0]
			}
		}
	}
	if len(w.buf) == 0 {
		return nil // the last chunk filled the last message exactly
	}
	return s.SendMsg(wrapperspb.Bytes(w.buf))
}

// readFrame reads one frame of headerBytes and returns the header and the
// payload as the messages' pieces (no copy: each message is decoded into
// its own slice). lengthAt is where the payload length sits in the header.
// io.EOF before the first message is a clean end of the stream.
func readFrame(s msgStream, headerBytes, lengthAt int) (header []byte, payload [][]byte, err error) {
	m := new(wrapperspb.BytesValue)
	if err := s.RecvMsg(m); err != nil {
		return nil, nil, err
	}
	first := m.GetValue()
	if len(first) < headerBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, want a %d-byte header", errBadFrame, len(first), headerBytes)
	}
	header = first[:headerBytes]
	rest := int64(binary.LittleEndian.Uint32(header[lengthAt:]))
	if inline := first[headerBytes:]; len(inline) > 0 {
		payload = append(payload, inline)
		rest -= int64(len(inline))
	}
	for rest > 0 {
		m := new(wrapperspb.BytesValue)
		if err := s.RecvMsg(m); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, err
		}
		payload = append(payload, m.GetValue())
		rest -= int64(len(m.GetValue()))
	}
	if rest < 0 {
		return nil, nil, fmt.Errorf("%w: %d payload bytes past the length", errBadFrame, -rest)
	}
	return header, payload, nil
}

func requestHeader(code uint32, payloadBytes int) []byte {
	var h [requestHeaderBytes]byte
	binary.LittleEndian.PutUint32(h[0:], code)
	binary.LittleEndian.PutUint32(h[4:], uint32(payloadBytes))
	return h[:]
}

func responseHeader(status, flags uint32, payloadBytes int) []byte {
	var h [responseHeaderBytes]byte
	binary.LittleEndian.PutUint32(h[0:], status)
	binary.LittleEndian.PutUint32(h[4:], flags)
	binary.LittleEndian.PutUint32(h[8:], uint32(payloadBytes))
	return h[:]
}

func chunksBytes(chunks [][]byte) int {
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	return n
}

package transporte2e

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/quic-go/quic-go"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestBadInputEveryTransport sends garbage and oversized frames on every
// transport: each gets a clear error frame or a close, and the server keeps
// serving (a client connected before still works, a new one too).
func TestBadInputEveryTransport(t *testing.T) {
	s := startServer(t)
	oversized := header(4+wire.ControlPayloadBytesMax+1, wire.CodeCreateStream)
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for _, m := range s.media {
		t.Run(m.name, func(t *testing.T) {
			ctx := testCtx(t)
			witness := open(t, m)
			switch m.name {
			case "tcp":
				badTCP(t, m.addr, oversized, garbage)
			case "quic":
				badQUIC(t, m.addr, oversized, garbage)
			case "ws":
				badWS(t, m.addr, oversized, garbage)
			case "http":
				// Bad JSON, oversized bodies and bad tokens: internal/httpe2e.
			}
			if err := witness.Ping(ctx); err != nil {
				t.Fatalf("client connected before: %v", err)
			}
			if err := open(t, m).Ping(ctx); err != nil {
				t.Fatalf("new client: %v", err)
			}
		})
	}
}

func header(length, code uint32) []byte {
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, length), code)
}

// expectStatus reads one response frame and checks it is status with no
// payload.
func expectStatus(t *testing.T, r io.Reader, status uint32, what string) {
	t.Helper()
	var hdr [wire.ResponseHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatalf("%s: no response frame: %v", what, err)
	}
	if got, n := wire.DecodeResponseHeader(hdr[:]); got != status || n != 0 {
		t.Fatalf("%s: status %d with %d payload bytes, want %d", what, got, n, status)
	}
}

func badTCP(t *testing.T, addr string, oversized, garbage []byte) {
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := dial()
	c.Write(header(2, wire.CodePing))
	expectStatus(t, c, wire.ErrInvalidCommand.Code, "length 2")
	c.Write(oversized)
	expectStatus(t, c, wire.ErrInvalidCommand.Code, "oversized frame")
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("after an oversized frame: %v, want the connection closed", err)
	}
	c = dial()
	c.Write(garbage) // the server may close before reading it all
	c.(*net.TCPConn).CloseWrite()
	if _, err := io.ReadAll(c); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("garbage: neither answered nor closed")
	}
}

func badQUIC(t *testing.T, addr string, oversized, garbage []byte) {
	ctx := testCtx(t)
	qc, err := quic.DialAddr(ctx, addr, &tls.Config{InsecureSkipVerify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer qc.CloseWithError(0, "")
	stream := func(b []byte) *quic.Stream {
		st, err := qc.OpenStreamSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st.SetDeadline(time.Now().Add(20 * time.Second))
		st.Write(b)
		st.Close()
		return st
	}
	st := stream(header(2, wire.CodePing))
	expectStatus(t, st, wire.ErrInvalidCommand.Code, "length 2")
	st = stream(append(header(4+100, 9999), 1, 2, 3)) // truncated by the stream's end
	expectStatus(t, st, wire.ErrInvalidCommand.Code, "truncated frame")
	st = stream(header(4, 9999))
	expectStatus(t, st, wire.ErrInvalidCommand.Code, "unknown command")
	st = stream(oversized)
	expectStatus(t, st, wire.ErrInvalidCommand.Code, "oversized frame")
	select {
	case <-qc.Context().Done():
	case <-ctx.Done():
		t.Fatal("connection still open after an oversized frame")
	}
	var appErr *quic.ApplicationError
	if !errors.As(context.Cause(qc.Context()), &appErr) || appErr.ErrorCode != quic.ApplicationErrorCode(wire.ErrInvalidCommand.Code) {
		t.Errorf("closed with %v, want application error 3", context.Cause(qc.Context()))
	}

	qc, err = quic.DialAddr(ctx, addr, &tls.Config{InsecureSkipVerify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer qc.CloseWithError(0, "")
	g, err := qc.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g.SetDeadline(time.Now().Add(20 * time.Second))
	g.Write(garbage)
	g.Close()
	if resp, err := io.ReadAll(g); err == nil && len(resp) != wire.ResponseHeaderSize {
		t.Fatalf("garbage: %d-byte answer, want one error frame or a close", len(resp))
	}
}

func badWS(t *testing.T, addr string, oversized, garbage []byte) {
	ctx := testCtx(t)
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	call := func(typ websocket.MessageType, b []byte, what string) {
		t.Helper()
		if err := ws.Write(ctx, typ, b); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		_, resp, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(resp) != wire.ResponseHeaderSize {
			t.Fatalf("%s: %d-byte answer", what, len(resp))
		}
		if status, _ := wire.DecodeResponseHeader(resp); status != wire.ErrInvalidCommand.Code {
			t.Fatalf("%s: status %d, want 3", what, status)
		}
	}
	call(websocket.MessageText, []byte("hello"), "text message")
	call(websocket.MessageBinary, []byte{1, 2, 3}, "3-byte message")
	call(websocket.MessageBinary, header(2, wire.CodePing), "length 2")
	call(websocket.MessageBinary, append(header(4+100, 9999), 1, 2, 3), "message shorter than its frame")
	call(websocket.MessageBinary, append(header(4, wire.CodePing), 0), "bytes after the frame")
	call(websocket.MessageBinary, oversized, "oversized frame")
	if _, _, err := ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("after an oversized frame: %v, want close 1009", err)
	}

	ws, _, err = websocket.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageBinary, garbage); err != nil {
		t.Fatal(err)
	}
	// Its random length field is far too large: status 3, then the close.
	_, resp, err := ws.Read(ctx)
	if err == nil && (len(resp) != wire.ResponseHeaderSize || resp[0] == 0) {
		t.Fatalf("garbage: answer %x, want one error frame or a close", resp)
	}
}

package transporttest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Command codes the recording handler understands, beside wire.CodePing.
// They sit far above Iggy's codes.
const (
	codeEcho   uint32 = 9001 // success, payload = request payload
	codeChunks uint32 = 9002 // as codeEcho, sent as several chunks (one empty)
	codeStatus uint32 = 9003 // payload u32 s: status s, with a payload that must be dropped
	codeClose  uint32 = 9004 // payload u32 s: status s and Response.Close
	codeBlock  uint32 = 9005 // announces itself, waits for release or ctx, then "released"
	codeBig    uint32 = 9006 // payload u32 n: success with n pattern bytes in 64 KiB chunks
	codePanic  uint32 = 9007 // panics
)

// bigChunkBytes is the chunk size of codeBig responses.
const bigChunkBytes = 64 << 10

// recorder is the Handler of the suite. It records every connection and
// counts contract violations instead of failing from transport goroutines.
type recorder struct {
	connectErr error // when set, Connect refuses

	blocked chan *recConn // codeBlock handlers announce themselves here
	release chan struct{} // closed to let codeBlock handlers return

	connects   atomic.Int64
	doneWanted atomic.Int64 // responses that carried a Done
	done       atomic.Int64 // Done calls

	mu         sync.Mutex
	conns      []*recConn
	violations []string
}

func newRecorder() *recorder {
	return &recorder{blocked: make(chan *recConn, 64), release: make(chan struct{})}
}

func (h *recorder) violate(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.violations = append(h.violations, fmt.Sprintf(format, args...))
}

// snapshot returns the connections seen so far.
func (h *recorder) snapshot() []*recConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*recConn(nil), h.conns...)
}

func (h *recorder) Connect(ctx context.Context, s transport.Session) (transport.Conn, error) {
	h.connects.Add(1)
	if h.connectErr != nil {
		return nil, h.connectErr
	}
	c := &recConn{h: h, session: s}
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	return c, nil
}

// recConn records what the transport did to one connection.
type recConn struct {
	h       *recorder
	session transport.Session

	handling     atomic.Bool
	handled      atomic.Int64
	disconnected atomic.Int32
	ctxCancelled atomic.Bool // a codeBlock Handle returned because of ctx
}

func (c *recConn) Disconnected() {
	if c.handling.Load() {
		c.h.violate("Disconnected during Handle")
	}
	c.disconnected.Add(1)
}

func (c *recConn) Handle(ctx context.Context, req transport.Request) transport.Response {
	if !c.handling.CompareAndSwap(false, true) {
		c.h.violate("Handle called concurrently on one connection")
	}
	defer c.handling.Store(false)
	if c.disconnected.Load() != 0 {
		c.h.violate("Handle after Disconnected")
	}
	c.handled.Add(1)
	switch req.Code {
	case wire.CodePing:
		return c.h.withDone(transport.Response{})
	case codeEcho:
		return c.h.withDone(transport.Response{Payload: [][]byte{bytes.Clone(req.Payload)}})
	case codeChunks:
		p := bytes.Clone(req.Payload)
		a, b := len(p)/3, 2*len(p)/3
		return c.h.withDone(transport.Response{Payload: [][]byte{p[:a], {}, p[a:b], nil, p[b:]}})
	case codeStatus:
		return c.h.withDone(transport.Response{Status: u32(req.Payload), Payload: [][]byte{[]byte("must not be sent")}})
	case codeClose:
		return c.h.withDone(transport.Response{Status: u32(req.Payload), Close: true})
	case codeBlock:
		return c.block(ctx)
	case codeBig:
		return c.h.withDone(transport.Response{Payload: pattern(int(u32(req.Payload)))})
	case codePanic:
		panic("transporttest: panic requested by the client")
	default:
		return transport.Response{Status: wire.ErrInvalidCommand.Code}
	}
}

func (c *recConn) block(ctx context.Context) transport.Response {
	c.h.blocked <- c
	select {
	case <-c.h.release:
	case <-ctx.Done():
		c.ctxCancelled.Store(true)
	}
	return c.h.withDone(transport.Response{Payload: [][]byte{[]byte("released")}})
}

// withDone attaches a Done that counts, and flags a second call.
func (h *recorder) withDone(r transport.Response) transport.Response {
	h.doneWanted.Add(1)
	var once atomic.Bool
	r.Done = func() {
		if !once.CompareAndSwap(false, true) {
			h.violate("Done called twice")
			return
		}
		h.done.Add(1)
	}
	return r
}

func u32(p []byte) uint32 {
	if len(p) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

func le32(v uint32) []byte {
	return binary.LittleEndian.AppendUint32(nil, v)
}

// patternByte is byte i of every codeBig response.
func patternByte(i int) byte { return byte(i*7 + i>>16) }

// pattern returns n pattern bytes as chunks of bigChunkBytes.
func pattern(n int) [][]byte {
	var chunks [][]byte
	for off := 0; off < n; off += bigChunkBytes {
		chunk := make([]byte, min(bigChunkBytes, n-off))
		for i := range chunk {
			chunk[i] = patternByte(off + i)
		}
		chunks = append(chunks, chunk)
	}
	return chunks
}

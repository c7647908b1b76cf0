package transporttest

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/runnel-io/runnel/sdk/wire"
)

// streamConn presents a QUIC connection as the byte stream the conformance
// suite speaks: written request frames go out one per stream (cut by a
// Splitter), and reads return the response streams'
// bytes in request order. When the server closes the connection with code
// 8 before answering, reads return one status-8 frame first: that is how
// this transport delivers the contract's unsolicited shutdown frame.
type streamConn struct {
	qc      *quic.Conn
	split   *Splitter
	pending chan *quic.Stream

	mu       sync.Mutex
	deadline time.Time

	cur       *quic.Stream
	delivered bool   // some bytes of cur's response were returned
	synth     []byte // synthesized frame bytes still to return
	synthDone bool
}

var _ net.Conn = (*streamConn)(nil)

// DialQUIC dials the QUIC transport as the conformance suite expects: one
// stream per request frame (see streamConn).
func DialQUIC(tlsCfg *tls.Config) Dial {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		raddr, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return nil, err
		}
		// Bound to loopback, not the wildcard, so LocalAddr is the address
		// the server sees.
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: raddr.IP})
		if err != nil {
			return nil, err
		}
		qc, err := quic.Dial(ctx, udp, raddr, tlsCfg, &quic.Config{
			HandshakeIdleTimeout: 2 * time.Second, // a closed server fails the dial quickly
			MaxIdleTimeout:       30 * time.Second,
		})
		if err != nil {
			udp.Close()
			return nil, err
		}
		context.AfterFunc(qc.Context(), func() { udp.Close() })
		return newStreamConn(qc), nil
	}
}

func newStreamConn(qc *quic.Conn) *streamConn {
	c := &streamConn{qc: qc, pending: make(chan *quic.Stream, 4096)}
	c.split = NewSplitter(func() (io.WriteCloser, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		st, err := qc.OpenStreamSync(ctx)
		if err != nil {
			return nil, err
		}
		c.pending <- st
		return st, nil
	})
	return c
}

func (c *streamConn) Write(p []byte) (int, error) { return c.split.Write(p) }

// disconnected reports whether err is the connection closed with code 8.
func disconnected(err error) bool {
	var appErr *quic.ApplicationError
	return errors.As(err, &appErr) && appErr.ErrorCode == quic.ApplicationErrorCode(wire.ErrDisconnected.Code)
}

func (c *streamConn) synthesize() {
	c.synthDone = true
	c.synth = make([]byte, wire.ResponseHeaderSize)
	wire.EncodeResponseHeader(c.synth, wire.ErrDisconnected.Code, 0)
}

func (c *streamConn) Read(p []byte) (int, error) {
	for {
		if len(c.synth) > 0 {
			n := copy(p, c.synth)
			c.synth = c.synth[n:]
			return n, nil
		}
		if c.cur == nil {
			if err := c.next(); err != nil {
				return 0, err
			}
			continue
		}
		c.mu.Lock()
		c.cur.SetReadDeadline(c.deadline)
		c.mu.Unlock()
		n, err := c.cur.Read(p)
		if n > 0 {
			c.delivered = true
			if err == io.EOF {
				c.cur = nil
			}
			return n, nil
		}
		switch {
		case err == io.EOF:
			c.cur, c.delivered = nil, false
		case disconnected(err) && !c.delivered && !c.synthDone:
			c.cur = nil
			c.synthesize()
		default:
			return 0, err
		}
	}
}

// next waits for the next response stream, the connection's end or the
// read deadline.
func (c *streamConn) next() error {
	c.mu.Lock()
	deadline := c.deadline
	c.mu.Unlock()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case st := <-c.pending:
		c.cur, c.delivered = st, false
		return nil
	case <-c.qc.Context().Done():
		select {
		case st := <-c.pending:
			c.cur, c.delivered = st, false
			return nil
		default:
		}
		if !c.synthDone && disconnected(context.Cause(c.qc.Context())) {
			c.synthesize()
			return nil
		}
		return io.EOF
	case <-timeout:
		return os.ErrDeadlineExceeded
	}
}

func (c *streamConn) Close() error {
	return c.qc.CloseWithError(0, "")
}

func (c *streamConn) LocalAddr() net.Addr  { return c.qc.LocalAddr() }
func (c *streamConn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }

func (c *streamConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *streamConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

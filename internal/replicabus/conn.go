package replicabus

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/zeebo/xxh3"
)

var errReplaced = errors.New("replicabus: replaced by a newer connection from the same replica")

// conn is one authenticated connection to a peer: a writer draining the
// peer's queue and a reader feeding the bus inbox.
type conn struct {
	b  *Bus
	p  *peer
	nc net.Conn

	once   sync.Once
	reason error
	done   chan struct{} // closed by shut
	exited chan struct{} // closed when run returns
}

func newConn(b *Bus, p *peer, nc net.Conn) *conn {
	return &conn{b: b, p: p, nc: nc, done: make(chan struct{}), exited: make(chan struct{})}
}

// shut closes the connection once, recording and logging the first reason.
func (c *conn) shut(reason error) {
	c.once.Do(func() {
		c.reason = reason
		_ = c.nc.Close()
		close(c.done)
		level := slog.LevelInfo
		if errors.Is(reason, ErrBadFrame) {
			c.p.counters.badFrames.Add(1)
			level = slog.LevelWarn
		}
		c.b.log.Log(context.Background(), level, "replicabus: connection closed",
			"peer", c.p.id, "remote", c.nc.RemoteAddr().String(), "reason", reason)
	})
}

// run serves the connection until it fails or ctx ends (bus closed).
func (c *conn) run(ctx context.Context) {
	defer close(c.exited)
	defer c.p.detach(c)
	stop := context.AfterFunc(ctx, func() { c.shut(ErrClosed) })
	defer stop()
	c.b.log.Info("replicabus: connected", "peer", c.p.id, "remote", c.nc.RemoteAddr().String())
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		c.shut(c.readLoop())
	}()
	c.shut(c.writeLoop())
	<-readerDone
}

func (c *conn) readLoop() error {
	cfg := &c.b.cfg
	rules := frameRules{cluster: cfg.Cluster, sender: uint16(c.p.id), receiver: uint16(cfg.Replica),
		bodyBytesMax: cfg.FrameBodyBytesMax}
	br := bufio.NewReaderSize(c.nc, readBufferBytes)
	var hdr [frameHeaderBytes]byte
	h := xxh3.New128()
	// Moving the deadline costs a timer update; doing it at most every
	// quarter of IdleTimeout keeps the effective timeout in
	// [¾·IdleTimeout, IdleTimeout], still above 2·PingInterval·¾.
	var deadlineSet time.Time
	refresh := cfg.IdleTimeout / 4
	for {
		if now := time.Now(); now.Sub(deadlineSet) >= refresh {
			if err := c.nc.SetReadDeadline(now.Add(cfg.IdleTimeout)); err != nil {
				return err
			}
			deadlineSet = now
		}
		kind, body, err := readFrame(br, &hdr, h, rules)
		if err != nil {
			return c.readError(err)
		}
		if kind == frameKindPing {
			continue
		}
		c.p.counters.framesReceived.Add(1)
		c.p.counters.bytesReceived.Add(uint64(frameHeaderBytes + len(body)))
		select {
		case c.b.inbox <- Message{From: c.p.id, Body: body}:
		case <-c.done:
			return ErrClosed
		}
	}
}

func (c *conn) readError(err error) error {
	select {
	case <-c.done:
		return ErrClosed // we closed it; the read error is a consequence
	default:
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ErrIdle
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return io.EOF
	}
	return err
}

// writeLoop drains the peer queue in batches, one writev each, and pings
// when idle.
func (c *conn) writeLoop() error {
	cfg := &c.b.cfg
	from, to := uint16(cfg.Replica), uint16(c.p.id)
	h := xxh3.New128()
	hdrs := make([][frameHeaderBytes]byte, writeBatchFramesMax)
	batch := make([][]byte, 0, writeBatchFramesMax)
	bufs := make(net.Buffers, 0, 2*writeBatchFramesMax)
	ping := time.NewTimer(cfg.PingInterval)
	defer ping.Stop()
	for {
		batch = c.p.q.take(batch[:0], writeBatchFramesMax, writeBatchBytesMax)
		if len(batch) == 0 {
			select {
			case <-c.p.q.ready:
			case <-ping.C:
				putFrameHeader(&hdrs[0], h, frameKindPing, cfg.Cluster, from, to, nil)
				if err := c.write(net.Buffers{hdrs[0][:]}); err != nil {
					return err
				}
				ping.Reset(cfg.PingInterval)
			case <-c.done:
				return ErrClosed
			}
			continue
		}
		bufs = bufs[:0]
		size := 0
		for i, body := range batch {
			putFrameHeader(&hdrs[i], h, frameKindMessage, cfg.Cluster, from, to, body)
			bufs = append(bufs, hdrs[i][:], body)
			size += frameHeaderBytes + len(body)
		}
		if err := c.write(bufs); err != nil {
			c.p.counters.lostFrames.Add(uint64(len(batch)))
			return err
		}
		clear(batch) // drop references to written bodies
		c.p.counters.framesSent.Add(uint64(len(batch)))
		c.p.counters.bytesSent.Add(uint64(size))
		ping.Reset(cfg.PingInterval)
	}
}

func (c *conn) write(bufs net.Buffers) error {
	if err := c.nc.SetWriteDeadline(time.Now().Add(c.b.cfg.WriteTimeout)); err != nil {
		return err
	}
	if _, err := bufs.WriteTo(c.nc); err != nil {
		select {
		case <-c.done:
			return ErrClosed
		default:
			return err
		}
	}
	return nil
}

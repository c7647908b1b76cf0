package vsrnode

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/runnel-io/runnel/core/vsr"
)

// session is one VSR client session. A Submit owns it while borrowed.
type session struct {
	client  uint64 // 0: not registered yet
	number  uint64 // the register's op; 0: not registered
	request uint64 // latest request number sent (never reset: see submit)
}

// call is one request handed to the loop. done receives its reply.
type call struct {
	msg       *vsr.Message
	done      chan *vsr.Message // capacity 1: the loop never blocks on it
	abandoned atomic.Bool       // Submit gave up: the loop forgets the call
	sentTick  uint64            // loop-owned: when the call was last stepped
}

// evictionsMax bounds how often one Submit registers again after
// ReplyEvicted: a live session is evicted only when the client table
// overflows, so a second eviction in a row means something is wrong.
const evictionsMax = 3

// Submit has the replica execute (op, body) and returns the reply. It
// blocks while every session is busy. After Config.RequestTimeout it
// returns ErrTimeout, and when ctx ends ctx's error: the request may then
// have been executed or not. ErrClosed: the loop stopped.
func (n *Node) Submit(ctx context.Context, op vsr.Operation, body []byte) (Reply, error) {
	if op < vsr.OperationUserMin {
		return Reply{}, fmt.Errorf("vsrnode: operation %d is reserved by the protocol", op)
	}
	if len(body) > n.cfg.bodySizeBytesMax() {
		return Reply{}, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, len(body), n.cfg.bodySizeBytesMax())
	}
	ctx, cancel := context.WithTimeoutCause(ctx, n.cfg.RequestTimeout, ErrTimeout)
	defer cancel()
	s, err := n.borrow(ctx)
	if err != nil {
		return Reply{}, n.callErr(ctx, err)
	}
	rep, err := n.submit(ctx, s, op, body)
	if err != nil {
		// The session may still have a request in flight: a later reply
		// to it must not reach another request. Replace it.
		n.pool <- &session{}
		return Reply{}, n.callErr(ctx, err)
	}
	n.pool <- s
	return rep, nil
}

func (n *Node) borrow(ctx context.Context) (*session, error) {
	select {
	case s := <-n.pool:
		return s, nil
	case <-n.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// callErr turns the end of Submit's context into ErrTimeout when the
// node's own deadline caused it.
func (n *Node) callErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) && context.Cause(ctx) == ErrTimeout {
		n.stats.timeouts.Add(1)
		return ErrTimeout
	}
	return err
}

func (n *Node) submit(ctx context.Context, s *session, op vsr.Operation, body []byte) (Reply, error) {
	for evictions := 0; ; evictions++ {
		if s.number == 0 {
			if err := n.register(ctx, s); err != nil {
				return Reply{}, err
			}
		}
		s.request++
		rep, err := n.roundTrip(ctx, &vsr.Message{Command: vsr.CmdRequest, Client: s.client,
			Session: s.number, Request: s.request, Operation: op, Body: body})
		if err != nil {
			return Reply{}, err
		}
		if rep.Status != vsr.ReplyEvicted {
			return Reply{Op: rep.Op, Body: rep.Body}, nil
		}
		// Evicted: the request was not executed. Register again, resend.
		// Request numbers keep increasing: should the register find the
		// client still in the table, it answers with the old session,
		// whose last request a restarted count would repeat.
		n.stats.evictions.Add(1)
		if evictions == evictionsMax {
			return Reply{}, fmt.Errorf("vsrnode: session evicted %d times in a row", evictions+1)
		}
		s.number = 0
	}
}

// register opens a VSR session: the reply's body is the session number.
func (n *Node) register(ctx context.Context, s *session) error {
	if s.client == 0 {
		id, err := n.clientID()
		if err != nil {
			return err
		}
		s.client = id
	}
	rep, err := n.roundTrip(ctx, &vsr.Message{Command: vsr.CmdRequest, Client: s.client,
		Operation: vsr.OperationRegister})
	if err != nil {
		return err
	}
	if len(rep.Body) != 8 || rep.Status != vsr.ReplyOK {
		return fmt.Errorf("vsrnode: register answered with status %d and %d bytes", rep.Status, len(rep.Body))
	}
	s.number = binary.LittleEndian.Uint64(rep.Body)
	return nil
}

// clientID draws a client id: this replica's index in the top byte (the
// primary's host routes a reply by it, docs §2.6), 56 random bits below.
// Random, not counted: ids of earlier incarnations stay in the client
// table and must not be reused.
func (n *Node) clientID() (uint64, error) {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("vsrnode: client id: %w", err)
		}
		if id := uint64(n.cfg.Replica)<<56 | binary.LittleEndian.Uint64(b[:])>>8; id != 0 {
			return id, nil
		}
	}
}

// roundTrip hands m to the loop and waits for its reply.
func (n *Node) roundTrip(ctx context.Context, m *vsr.Message) (*vsr.Message, error) {
	c := &call{msg: m, done: make(chan *vsr.Message, 1)}
	select {
	case n.calls <- c:
	case <-n.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-c.done:
		return rep, nil
	case <-n.closed:
		select {
		case rep := <-c.done: // the loop's last round answered it
			return rep, nil
		default:
			return nil, ErrClosed
		}
	case <-ctx.Done():
		c.abandoned.Store(true)
		return nil, ctx.Err()
	}
}

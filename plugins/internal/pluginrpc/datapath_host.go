package pluginrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// dataWindowMax bounds the requests one call has in flight: the host
// copies the next slot while the plugin works on the previous ones.
const dataWindowMax = 8

// dataConn is the host's end of the data socket: it sends requests and
// hands each completion to the call waiting for it.
type dataConn struct {
	conn *net.UnixConn
	wmu  sync.Mutex // one packet at a time

	mu      sync.Mutex
	pending map[uint64]chan dataRep
	nextID  uint64
	err     error // set once the socket failed; every later call gets it
}

func newDataConn(conn *net.UnixConn) *dataConn {
	d := &dataConn{conn: conn, pending: make(map[uint64]chan dataRep)}
	go d.read()
	return d
}

// read delivers completions until the socket fails (the plugin died, or
// Close), then fails every waiting call with ErrUnavailable.
func (d *dataConn) read() {
	buf := make([]byte, dataRepBytesMax)
	for {
		n, err := d.conn.Read(buf)
		if err == nil && n == 0 {
			err = errors.New("peer closed")
		}
		var rep dataRep
		if err == nil {
			rep, err = decodeRep(buf[:n])
		}
		if err != nil {
			d.fail(fmt.Errorf("%w: data path: %v", ErrUnavailable, err))
			return
		}
		d.mu.Lock()
		ch := d.pending[rep.id]
		delete(d.pending, rep.id)
		d.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
}

func (d *dataConn) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
	for id, ch := range d.pending {
		ch <- dataRep{id: id, status: statusError, err: err}
		delete(d.pending, id)
	}
}

// send registers and writes one request; the completion arrives on the
// returned channel.
func (d *dataConn) send(req dataReq) (uint64, chan dataRep, error) {
	ch := make(chan dataRep, 1)
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		return 0, nil, d.err
	}
	d.nextID++
	req.id = d.nextID
	d.pending[req.id] = ch
	d.mu.Unlock()
	var b [dataReqBytes]byte
	d.wmu.Lock()
	_, err := d.conn.Write(req.encode(b[:0]))
	d.wmu.Unlock()
	if err != nil {
		d.forget(req.id)
		return 0, nil, fmt.Errorf("%w: data path: %v", ErrUnavailable, err)
	}
	return req.id, ch, nil
}

// roundTrip sends a request that uses no slot and waits for it.
func (d *dataConn) roundTrip(ctx context.Context, req dataReq) error {
	id, ch, err := d.send(req)
	if err != nil {
		return err
	}
	select {
	case rep := <-ch:
		return rep.err
	case <-ctx.Done():
		d.forget(id)
		return ctx.Err()
	}
}

func (d *dataConn) forget(id uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.pending, id)
}

// inflight is one sent request of a pipeline.
type inflight struct {
	id   uint64
	ch   chan dataRep
	slot int
	req  dataReq
	dst  []byte // reads: where the bytes go
}

// pipeline runs one Append or ReadAt as a window of slot-sized requests
// and completes them in order with done. A slot goes back to the region
// after done, unless its outcome is unknown (then the plugin may still
// touch it, and it stays out).
type pipeline struct {
	ctx    context.Context
	region *Region
	data   *dataConn
	q      []inflight
	done   func(in inflight, rep dataRep)
}

// slot acquires a free slot, completing this call's own oldest requests
// while it waits (so calls holding slots never wait on each other).
func (p *pipeline) slot() (int, error) {
	for {
		if len(p.q) >= dataWindowMax {
			p.completeOldest()
			continue
		}
		if i, ok := p.region.tryAcquire(); ok {
			return i, nil
		}
		var oldest chan dataRep
		if len(p.q) > 0 {
			oldest = p.q[0].ch
		}
		select {
		case <-p.region.avail:
		case rep := <-oldest:
			p.complete(rep)
		case <-p.ctx.Done():
			return 0, p.ctx.Err()
		}
	}
}

func (p *pipeline) send(slot int, req dataReq, dst []byte) error {
	req.offset = int64(slot * p.region.slotBytes)
	id, ch, err := p.data.send(req)
	if err != nil {
		p.region.release(slot) // never sent: the plugin cannot touch it
		return err
	}
	p.q = append(p.q, inflight{id: id, ch: ch, slot: slot, req: req, dst: dst})
	return nil
}

func (p *pipeline) completeOldest() {
	select {
	case rep := <-p.q[0].ch:
		p.complete(rep)
	case <-p.ctx.Done():
		p.abandon(p.ctx.Err())
	}
}

func (p *pipeline) complete(rep dataRep) {
	in := p.q[0]
	p.q = p.q[1:]
	p.done(in, rep)
	if rep.status == statusError && (errors.Is(rep.err, ErrUnavailable) || errors.Is(rep.err, context.Canceled) || errors.Is(rep.err, context.DeadlineExceeded)) {
		return // quarantined
	}
	p.region.release(in.slot)
}

// abandon gives up on every request in flight: their slots stay out.
func (p *pipeline) abandon(err error) {
	for _, in := range p.q {
		p.data.forget(in.id)
		p.done(in, dataRep{id: in.id, status: statusError, err: err})
	}
	p.q = nil
}

// drain completes everything in flight.
func (p *pipeline) drain() {
	for len(p.q) > 0 {
		p.completeOldest()
	}
}

//go:build linux && iouring

package iouringstore

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/pawelgaczynski/giouring"

	"github.com/runnel-io/runnel/plugins/storage"
)

// ring is one io_uring shared by every file of a store.
//
// Submitters prepare SQEs and submit under mu. There is no reaper
// goroutine: a submitter waiting for its completions becomes the leader
// (holds cq), waits in io_uring_enter on its own thread and hands every
// completion it reaps to its waiter; when its own are in, it lets go and
// wakes the others so one of them leads. An append therefore costs the
// kernel's wake-up of the waiting thread and nothing more, and an fsync in
// flight (group commit) never holds up the next append's submission.
type ring struct {
	r *giouring.Ring

	// slots bounds the operations in flight to the ring's size, so the
	// completion queue (twice as large) cannot overflow; acquire makes
	// taking several slots atomic so two batches cannot deadlock.
	slots   chan struct{}
	acquire sync.Mutex

	mu       sync.Mutex // submission side: SQEs, nextID, stopping
	nextID   uint64
	stopping bool

	cq sync.Mutex // held by the leader: the one goroutine reaping completions

	pmu     sync.Mutex // pending, failed, freed
	pending map[uint64]*op
	failed  error         // set when the ring broke; every later op fails with it
	freed   chan struct{} // closed, and replaced, each time a leader lets go of cq
}

// op is one submitted operation: its result is set before done closes.
type op struct {
	res  int32
	err  error
	done chan struct{}
}

// prep fills one SQE (its user data and link flag are set by the ring).
type prep func(sqe *giouring.SubmissionQueueEntry)

// newRing sets up an io_uring of depth entries. Failure (old kernel,
// seccomp, kernel.io_uring_disabled) is ErrUnavailable.
func newRing(entries uint32) (*ring, error) {
	r, err := giouring.CreateRing(entries)
	if err != nil {
		return nil, fmt.Errorf("io_uring setup: %w (%w); use backend \"file\"", err, storage.ErrUnavailable)
	}
	rg := &ring{
		r:       r,
		slots:   make(chan struct{}, entries),
		pending: make(map[uint64]*op),
		freed:   make(chan struct{}),
	}
	for range entries {
		rg.slots <- struct{}{}
	}
	return rg, nil
}

// run submits preps as one batch (in order, linked if link) and waits for
// every completion. It returns one result per prep: bytes for reads and
// writes, 0 for fsync, or -errno.
func (rg *ring) run(preps []prep, link bool) ([]int32, error) {
	if len(preps) > cap(rg.slots) {
		return nil, fmt.Errorf("batch of %d operations over the ring's %d", len(preps), cap(rg.slots))
	}
	rg.acquire.Lock()
	for range preps {
		<-rg.slots
	}
	rg.acquire.Unlock()
	defer func() {
		for range preps {
			rg.slots <- struct{}{}
		}
	}()
	ops, err := rg.submit(preps, link)
	if err != nil {
		return nil, err
	}
	res := make([]int32, len(ops))
	var errs []error
	for i, o := range ops {
		rg.await(o)
		res[i] = o.res
		errs = append(errs, o.err)
	}
	return res, errors.Join(errs...)
}

func (rg *ring) submit(preps []prep, link bool) ([]*op, error) {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.stopping {
		return nil, storage.ErrClosed
	}
	ops := make([]*op, len(preps))
	rg.pmu.Lock()
	if rg.failed != nil {
		rg.pmu.Unlock()
		return nil, rg.failed
	}
	for i, p := range preps {
		sqe := rg.r.GetSQE()
		if sqe == nil { // cannot happen: slots bound what is queued
			rg.pmu.Unlock()
			return nil, errors.New("io_uring submission queue full")
		}
		// giouring's prep helpers leave rw_flags and addr3 as the slot's
		// last user set them (an fsync's DATASYNC would read as RWF_HIPRI).
		*sqe = giouring.SubmissionQueueEntry{}
		p(sqe)
		if link && i+1 < len(preps) {
			sqe.Flags |= giouring.SqeIOLink
		}
		rg.nextID++
		sqe.SetData64(rg.nextID)
		ops[i] = &op{done: make(chan struct{})}
		rg.pending[rg.nextID] = ops[i]
	}
	rg.pmu.Unlock()
	if err := rg.flush(); err != nil {
		// SQEs the kernel did not take still point at caller buffers: the
		// ring is failed for good so that no later enter submits them.
		err = fmt.Errorf("io_uring submit: %w", err)
		rg.fail(err)
		return nil, err
	}
	return ops, nil
}

// flush submits every queued SQE, retrying interrupted or partial enters.
func (rg *ring) flush() error {
	for rg.r.SQReady() > 0 {
		_, err := rg.r.Submit()
		if err != nil && !errors.Is(err, syscall.EINTR) && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EBUSY) {
			return err
		}
	}
	return nil
}

// await returns once o completed, leading the reaping while nobody else
// does.
func (rg *ring) await(o *op) {
	for {
		// Read freed before trying cq: whoever holds cq now closes this
		// channel (or a later leader closes it) when it lets go.
		rg.pmu.Lock()
		freed := rg.freed
		rg.pmu.Unlock()
		select {
		case <-o.done:
			return
		default:
		}
		if rg.cq.TryLock() {
			rg.lead(o)
			// Close the channel current now (not the one read above, which
			// an earlier leader may have closed already).
			rg.pmu.Lock()
			current := rg.freed
			rg.freed = make(chan struct{})
			rg.pmu.Unlock()
			rg.cq.Unlock()
			close(current)
			return
		}
		select {
		case <-o.done:
			return
		case <-freed:
		}
	}
}

// lead reaps completions, delivering each, until o's is in.
func (rg *ring) lead(o *op) {
	for {
		select {
		case <-o.done:
			return
		default:
		}
		cqe, err := rg.r.WaitCQE()
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) || (err == nil && cqe == nil) {
			continue
		}
		if err != nil {
			rg.fail(fmt.Errorf("io_uring wait: %w", err))
			return
		}
		id, res := cqe.UserData, cqe.Res
		rg.r.CQESeen(cqe)
		rg.pmu.Lock()
		if p, ok := rg.pending[id]; ok {
			delete(rg.pending, id)
			p.res = res
			close(p.done)
		}
		rg.pmu.Unlock()
	}
}

// fail ends every pending op with err and makes later submissions fail.
func (rg *ring) fail(err error) {
	rg.pmu.Lock()
	defer rg.pmu.Unlock()
	if rg.failed == nil {
		rg.failed = err
	}
	for id, o := range rg.pending {
		delete(rg.pending, id)
		o.err = err
		close(o.done)
	}
}

// close frees the ring. The store closes every file first, and a file's
// Close waits for its operations, so nothing is in flight. Idempotent.
func (rg *ring) close() error {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if rg.stopping {
		return nil
	}
	rg.stopping = true
	rg.pmu.Lock()
	inFlight := len(rg.pending)
	rg.pmu.Unlock()
	if inFlight > 0 {
		// Freeing the ring under operations would let the kernel write to
		// freed memory: leak it instead, and say so.
		return fmt.Errorf("io_uring close: %d operations still in flight", inFlight)
	}
	rg.r.QueueExit()
	return nil
}

package producer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Producer sends messages to one topic. It is safe for concurrent use. It
// does not own the client: close the client after the producer.
type Producer struct {
	c               *client.Client
	cfg             Config
	partitionsCount uint32
	buf             *buffer

	// ctx ends the senders' retries when Close gives up waiting.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	work    *sync.Cond // signalled when queue grows or the producer closes
	acc     accumulator
	queue   []*batch            // sealed, waiting for a sender
	pending map[*batch]struct{} // sealed, not yet acknowledged or failed
	closed  bool
	scratch []*batch

	senders sync.WaitGroup
}

// New checks cfg, reads the topic's partition count (for KeyHash and
// ToPartition) and starts the sender goroutines.
func New(ctx context.Context, c *client.Client, cfg Config) (*Producer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	topic, err := c.GetTopic(ctx, cfg.Stream, cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	p := &Producer{
		c:               c,
		cfg:             cfg,
		partitionsCount: topic.PartitionsCount,
		buf:             newBuffer(cfg.BufferMessagesMax, cfg.BufferBytesMax),
		acc:             newAccumulator(cfg.BatchMessagesMax, cfg.BatchBytesMax, true),
		pending:         map[*batch]struct{}{},
	}
	p.work = sync.NewCond(&p.mu)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for range cfg.InFlightBatchesMax {
		p.senders.Add(1)
		go p.sender()
	}
	return p, nil
}

// PartitionsCount is the topic's partition count seen by New.
func (p *Producer) PartitionsCount() uint32 { return p.partitionsCount }

// Send accepts m for background sending. It blocks, times out or fails
// when the buffer is full, as Config.Backpressure says; ctx bounds only
// that wait. The payload and headers must not change until m is
// acknowledged (after Flush).
func (p *Producer) Send(ctx context.Context, m Message) error {
	if p.isClosed() {
		return ErrClosed
	}
	wm, route, err := p.prepare(ctx, &m, uint64(time.Now().UnixMicro()))
	if err != nil {
		return err
	}
	size := wm.Size()
	if err := p.buf.acquire(ctx, size, p.cfg.Backpressure, p.cfg.BackpressureTimeout); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.buf.release(1, size)
		return ErrClosed
	}
	var opened *batch
	p.scratch, opened = p.acc.add(route, wm, m, size, p.scratch[:0])
	if opened != nil && !slices.Contains(p.scratch, opened) {
		opened.timer = time.AfterFunc(p.cfg.Linger, func() { p.lingerExpired(opened) })
	}
	for _, b := range p.scratch {
		p.dispatch(b)
	}
	return nil
}

func (p *Producer) prepare(ctx context.Context, m *Message, nowMicros uint64) (wire.Message, Route, error) {
	wm := m.wire(nowMicros)
	if p.cfg.Headers != nil {
		if extra := p.cfg.Headers(ctx); len(extra) > 0 {
			// A fresh slice: the caller's headers are never appended to.
			wm.Headers = append(append(make([]wire.HeaderEntry, 0, len(m.Headers)+len(extra)), m.Headers...), extra...)
		}
	}
	if err := wm.Validate(); err != nil {
		return wire.Message{}, Route{}, fmt.Errorf("producer: %w", err)
	}
	route, err := p.cfg.Partitioner.Route(m, p.partitionsCount)
	if err != nil {
		return wire.Message{}, Route{}, err
	}
	return wm, route, nil
}

// lingerExpired sends b if no size limit sent it already.
func (p *Producer) lingerExpired(b *batch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.acc.seal(b) {
		p.dispatch(b)
	}
}

// dispatch queues a sealed batch. The caller holds mu.
func (p *Producer) dispatch(b *batch) {
	if b.timer != nil {
		b.timer.Stop()
	}
	p.pending[b] = struct{}{}
	p.queue = append(p.queue, b)
	p.work.Signal()
}

func (p *Producer) sender() {
	defer p.senders.Done()
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.work.Wait()
		}
		if len(p.queue) == 0 {
			p.mu.Unlock()
			return
		}
		b := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.mu.Unlock()
		p.deliver(b)
	}
}

func (p *Producer) deliver(b *batch) {
	b.err = p.sendWithRetry(p.ctx, b.route, b.msgs)
	if b.err != nil && p.cfg.OnError != nil {
		p.cfg.OnError(&BatchError{Route: b.route, Messages: b.orig, Err: b.err})
	}
	p.mu.Lock()
	delete(p.pending, b)
	p.mu.Unlock()
	p.buf.release(len(b.msgs), b.bytes)
	close(b.done)
}

// SendSync sends msgs and waits for the server's acknowledgement, batching
// them by route and limits, with the same retries as background batches. It
// bypasses the buffer, so its messages may overtake earlier Sends.
func (p *Producer) SendSync(ctx context.Context, msgs ...Message) error {
	if p.isClosed() {
		return ErrClosed
	}
	acc := newAccumulator(p.cfg.BatchMessagesMax, p.cfg.BatchBytesMax, false)
	var sealed []*batch
	now := uint64(time.Now().UnixMicro()) // one call, one send time
	for i := range msgs {
		wm, route, err := p.prepare(ctx, &msgs[i], now)
		if err != nil {
			return err
		}
		sealed, _ = acc.add(route, wm, msgs[i], wm.Size(), sealed)
	}
	for _, b := range acc.drain(sealed) {
		if err := p.sendWithRetry(ctx, b.route, b.msgs); err != nil {
			return err
		}
	}
	return nil
}

func (p *Producer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// sendWithRetry sends one batch, resending after connection errors; the
// client reconnects and logs in again on the next call.
func (p *Producer) sendWithRetry(ctx context.Context, r Route, msgs []wire.Message) error {
	backoff := p.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.cfg.SendTimeout)
		err := p.c.SendMessages(actx, p.cfg.Stream, p.cfg.Topic, r.partitioning(), msgs)
		cancel()
		if err == nil {
			return nil
		}
		if !client.Retryable(err) || attempt >= p.cfg.RetriesMax || ctx.Err() != nil {
			return fmt.Errorf("producer: send %d messages after %d attempts: %w", len(msgs), attempt+1, err)
		}
		if werr := sleep(ctx, backoff); werr != nil {
			return fmt.Errorf("producer: send %d messages: %w (last error: %v)", len(msgs), werr, err)
		}
		backoff = min(2*backoff, p.cfg.RetryBackoffMax)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush sends every open batch now and waits until every message accepted
// before the call is acknowledged or failed. It returns the failures
// (BatchErrors) of the batches it waited for.
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	waiting := p.sealAllLocked()
	p.mu.Unlock()
	return p.wait(ctx, waiting)
}

// sealAllLocked dispatches open batches and lists every pending batch.
func (p *Producer) sealAllLocked() []*batch {
	for _, b := range p.acc.drain(nil) {
		p.dispatch(b)
	}
	waiting := make([]*batch, 0, len(p.pending))
	for b := range p.pending {
		waiting = append(waiting, b)
	}
	return waiting
}

func (p *Producer) wait(ctx context.Context, batches []*batch) error {
	var errs []error
	for _, b := range batches {
		select {
		case <-b.done:
			if b.err != nil {
				errs = append(errs, &BatchError{Route: b.route, Messages: b.orig, Err: b.err})
			}
		case <-ctx.Done():
			return fmt.Errorf("producer: flush: %w", ctx.Err())
		}
	}
	return errors.Join(errs...)
}

// Close stops accepting messages, sends everything accepted and waits for
// it. If ctx ends first, Close stops retrying, waits for the sends in
// progress to end and reports the unsent batches to OnError; it returns
// ctx's error. Close does not close the client.
func (p *Producer) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	waiting := p.sealAllLocked()
	p.work.Broadcast()
	p.mu.Unlock()

	err := p.wait(ctx, waiting)
	if ctx.Err() != nil {
		p.cancel() // fail the remaining batches fast
	}
	p.senders.Wait()
	p.cancel()
	return err
}

// Buffered is the number of accepted messages and their bytes not yet
// acknowledged.
func (p *Producer) Buffered() (messages, bytes int) { return p.buf.used() }

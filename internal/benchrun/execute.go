package benchrun

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// actorCloseTimeout bounds closing one actor (flush, leave group).
const actorCloseTimeout = 10 * time.Second

// actor is one measured connection with its sender and/or poller.
type actor struct {
	plan  actorPlan
	c     *client.Client
	s     sender
	p     poller
	gen   *batchGen
	stats *actorStats
}

// openActors connects every actor and builds its sender and poller. Group
// members join here, before the clock starts, so no rebalance is timed.
func (r *runner) openActors(ctx context.Context) ([]*actor, error) {
	var actors []*actor
	for _, p := range r.actors {
		a, err := r.openActor(ctx, p)
		if err != nil {
			return actors, err
		}
		actors = append(actors, a)
	}
	return actors, nil
}

func (r *runner) openActor(ctx context.Context, p actorPlan) (*actor, error) {
	c, err := connect(ctx, r.cfg)
	if err != nil {
		return nil, err
	}
	a := &actor{plan: p, c: c}
	if p.role != roleConsumer {
		a.gen = newBatchGen(r.cfg.Seed+uint64(p.id), r.cfg.MessageSizeMinBytes, r.cfg.MessageSizeMaxBytes,
			r.cfg.MessagesPerBatch)
		if r.cfg.HighLevel {
			if a.s, err = newHighSender(ctx, c, p.t, r.cfg.MessagesPerBatch); err != nil {
				return a, err
			}
		} else {
			a.s = &lowSender{c: c, t: p.t, p: p.t.partitioning()}
		}
	}
	if p.role == roleProducer {
		return a, nil
	}
	consumerID := uint32(p.id)
	if r.cfg.HighLevel {
		a.p, err = newHighPoller(ctx, c, p.t, consumerID, r.cfg.MessagesPerBatch)
		return a, err
	}
	lp := newLowPoller(c, p.t, consumerID, r.cfg.MessagesPerBatch)
	if p.t.partition < 0 {
		if err := c.JoinConsumerGroup(ctx, p.t.stream, p.t.topic, p.t.group); err != nil {
			return a, fmt.Errorf("benchrun: join group: %w", err)
		}
	}
	a.p = lp
	return a, nil
}

func closeActors(ctx context.Context, actors []*actor) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actorCloseTimeout)
	defer cancel()
	for _, a := range actors {
		if a.s != nil {
			_ = a.s.close(ctx)
		}
		if a.p != nil {
			_ = a.p.close(ctx)
		}
		_ = a.c.Close()
	}
}

// execute warms every actor up, starts them together and waits for all;
// the first failure cancels the others.
func (r *runner) execute(ctx context.Context, actors []*actor, progress Progress) (time.Time, time.Time, error) {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	warm, err := r.warmupTarget(ctx)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	var ready, finished sync.WaitGroup
	startCh := make(chan struct{})
	var start time.Time
	var done atomic.Uint64
	errs := make([]error, len(actors))
	for i, a := range actors {
		ready.Add(1)
		finished.Go(func() {
			readyOnce := sync.OnceFunc(ready.Done)
			defer readyOnce()
			if err := r.warmup(runCtx, a, warm); err != nil {
				errs[i] = err
				cancel(err)
				return
			}
			readyOnce()
			<-startCh
			a.stats = newActorStats(a.plan.role, a.plan.id, start, r.cfg.BucketWidth)
			a.stats.stream, a.stats.partition = a.plan.t.streamName, a.plan.t.partition
			if errs[i] = r.runActor(runCtx, a, &done); errs[i] != nil {
				cancel(errs[i])
			}
		})
	}
	ready.Wait()
	if warm != nil {
		_ = r.admin.DeleteTopic(ctx, warm.stream, warm.topic) // warm-up data is not part of the run
	}
	start = time.Now()
	close(startCh)
	stopProgress := r.reportProgress(&done, progress)
	finished.Wait()
	end := time.Now()
	stopProgress()
	// The first failure is the cause; the others are mostly its echo
	// (cancelled requests).
	if err := context.Cause(runCtx); err != nil {
		return start, end, err
	}
	return start, end, errors.Join(errs...)
}

func (r *runner) runActor(ctx context.Context, a *actor, done *atomic.Uint64) error {
	pace := &pacer{}
	if r.cfg.RateLimitBytesPerSecond > 0 {
		pace.bytesPerSecond = float64(r.cfg.RateLimitBytesPerSecond) / float64(r.cfg.producingActors())
	}
	switch a.plan.role {
	case roleProducer:
		return produce(ctx, a.stats, a.s, a.gen, a.plan.batches, pace, done)
	case roleConsumer:
		return consume(ctx, a.stats, a.p, a.plan.quota, r.cfg.Scenario.concurrent(), done)
	default:
		return produceConsume(ctx, a.stats, a.s, a.p, a.gen, a.plan.batches, pace, done)
	}
}

// totalBytes is the payload the run is expected to move (sent plus
// received), for the progress bar.
func (r *runner) totalBytes() uint64 {
	avg := uint64(r.cfg.MessageSizeMinBytes+r.cfg.MessageSizeMaxBytes) / 2
	var sent uint64
	if r.cfg.Scenario.hasProducers() {
		sent = uint64(r.cfg.MessageBatches) * uint64(r.cfg.MessagesPerBatch) * uint64(r.cfg.producingActors())
	}
	received := r.receivedExpected()
	if r.cfg.Scenario == EndToEndProducingConsumer {
		received = 0 // counted once per round trip
	}
	return (sent + received) * avg
}

func (r *runner) reportProgress(done *atomic.Uint64, progress Progress) (stop func()) {
	if progress == nil {
		return func() {}
	}
	total := r.totalBytes()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				progress(done.Load(), total)
			case <-quit:
				return
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
		progress(done.Load(), max(done.Load(), total))
	}
}

// warmupTarget creates a one-partition topic for the warm-up, holding one
// batch for consumers to read, or returns nil when there is no warm-up.
func (r *runner) warmupTarget(ctx context.Context) (*target, error) {
	if r.cfg.Warmup <= 0 {
		return nil, nil
	}
	s := r.streams[0]
	tp, err := r.admin.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: s.id, PartitionsCount: 1, Name: warmupTopic})
	if err != nil {
		return nil, fmt.Errorf("benchrun: create warm-up topic: %w", err)
	}
	t := &target{streamName: s.name, stream: s.id, topic: wire.NumericID(tp.ID), partition: 0}
	g := newBatchGen(r.cfg.Seed, r.cfg.MessageSizeMinBytes, r.cfg.MessageSizeMaxBytes, r.cfg.MessagesPerBatch)
	msgs, _ := g.next(time.Now())
	if err := r.admin.SendMessages(ctx, t.stream, t.topic, t.partitioning(), msgs); err != nil {
		return nil, fmt.Errorf("benchrun: seed warm-up topic: %w", err)
	}
	return t, nil
}

// warmup exercises the actor's connection against the warm-up topic for
// the configured time: producers send, consumers read the seeded batch.
func (r *runner) warmup(ctx context.Context, a *actor, t *target) error {
	if t == nil {
		return nil
	}
	deadline := time.Now().Add(r.cfg.Warmup)
	g := newBatchGen(r.cfg.Seed, r.cfg.MessageSizeMinBytes, r.cfg.MessageSizeMaxBytes, r.cfg.MessagesPerBatch)
	poll := wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(uint32(a.plan.id))),
		StreamID: t.stream, TopicID: t.topic, PartitionID: wire.Partition(0), Strategy: wire.PollOffset(0),
		Count: uint32(r.cfg.MessagesPerBatch)}
	for time.Now().Before(deadline) {
		if a.plan.role != roleConsumer {
			msgs, _ := g.next(time.Now())
			if err := a.c.SendMessages(ctx, t.stream, t.topic, t.partitioning(), msgs); err != nil {
				return fmt.Errorf("benchrun: warm-up send: %w", err)
			}
		}
		if a.plan.role != roleProducer {
			if _, err := a.c.PollMessages(ctx, poll); err != nil {
				return fmt.Errorf("benchrun: warm-up poll: %w", err)
			}
		}
	}
	return nil
}

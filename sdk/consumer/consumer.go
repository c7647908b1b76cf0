package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Consumer reads one topic. Its methods are safe for concurrent use but
// serialise; one goroutine usually ranges over Messages. It does not own
// the client: close the client after the consumer.
type Consumer struct {
	c               *client.Client
	cfg             Config
	who             wire.Consumer
	partitionsCount uint32

	mu      sync.Mutex
	rr      uint32            // next partition of a single consumer reading all
	cursor  map[uint32]uint64 // next offset to read per partition
	pending []Message         // fetched, not yet delivered
	track   *tracker
	closed  bool
}

// New checks cfg and the topic; a group consumer also creates its group
// when missing (unless NoCreateGroup) and joins it.
func New(ctx context.Context, c *client.Client, cfg Config) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	topic, err := c.GetTopic(ctx, cfg.Stream, cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("consumer: %w", err)
	}
	k := &Consumer{
		c: c, cfg: cfg, partitionsCount: topic.PartitionsCount,
		who:    wire.SingleConsumer(wire.NamedID(cfg.Name)),
		cursor: map[uint32]uint64{},
		track:  newTracker(cfg.AutoCommit, time.Now()),
	}
	if cfg.Group {
		k.who = wire.GroupConsumer(wire.NamedID(cfg.Name))
		if err := k.ensureGroup(ctx); err != nil {
			return nil, err
		}
		if err := k.join(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *Consumer) ensureGroup(ctx context.Context) error {
	_, err := k.c.GetConsumerGroup(ctx, k.cfg.Stream, k.cfg.Topic, k.who.ID)
	if isGroupMissing(err) && !k.cfg.NoCreateGroup {
		_, err = k.c.CreateConsumerGroup(ctx, k.cfg.Stream, k.cfg.Topic, k.cfg.Name)
		if errors.Is(err, wire.ErrConsumerGroupNameExists) || errors.Is(err, wire.ErrConsumerGroupIDExists) {
			err = nil // another member created it first
		}
	}
	if err != nil {
		return fmt.Errorf("consumer: group %q: %w", k.cfg.Name, err)
	}
	return nil
}

func isGroupMissing(err error) bool {
	return errors.Is(err, wire.ErrConsumerGroupIDNotFound) || errors.Is(err, wire.ErrConsumerGroupNameNotFound)
}

func (k *Consumer) join(ctx context.Context) error {
	if err := k.c.JoinConsumerGroup(ctx, k.cfg.Stream, k.cfg.Topic, k.who.ID); err != nil {
		return fmt.Errorf("consumer: join group %q: %w", k.cfg.Name, err)
	}
	return nil
}

// serverCommits: the server stores the offset as part of each poll.
func (k *Consumer) serverCommits() bool { return k.cfg.AutoCommit.Mode == CommitAfterPoll }

// Poll fetches the next messages (none when there are none yet) and counts
// them delivered. It makes at most one poll per partition it may read.
func (k *Consumer) Poll(ctx context.Context) ([]Message, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("consumer: poll: %w", err)
	}
	msgs := k.pending
	k.pending = nil
	if len(msgs) == 0 {
		var err error
		if msgs, err = k.fetch(ctx); err != nil {
			return nil, err
		}
	}
	for _, m := range msgs {
		k.track.deliver(m.Partition, m.Offset)
	}
	ev := eventPoll
	if len(msgs) == 0 {
		ev = eventIdle
	}
	return msgs, k.autoCommit(ctx, ev)
}

// fetch polls until a partition returns messages or each partition this
// consumer may read was tried once. The caller holds mu.
func (k *Consumer) fetch(ctx context.Context) ([]Message, error) {
	tries := uint32(1)
	if !k.cfg.Partition.Set {
		tries = max(k.partitionsCount, 1)
	}
	for range tries {
		msgs, err := k.fetchOnce(ctx)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
	}
	return nil, nil
}

func (k *Consumer) fetchOnce(ctx context.Context) ([]Message, error) {
	q := wire.PollMessagesRequest{Consumer: k.who, StreamID: k.cfg.Stream, TopicID: k.cfg.Topic,
		Strategy: k.cfg.Strategy, Count: k.cfg.BatchMessagesMax, AutoCommit: k.serverCommits()}
	if !k.cfg.Group {
		p := k.nextPartition()
		q.PartitionID = wire.Partition(p)
		if next, ok := k.cursor[p]; ok {
			q.Strategy = wire.PollOffset(next)
		}
	}
	res, err := k.pollRetry(ctx, q)
	if err != nil {
		return nil, err
	}
	msgs := k.accept(res)
	if k.cfg.Group && !k.serverCommits() && len(msgs) == 0 && len(res.Messages) > 0 {
		// The stored offset lags what this member delivered but has not
		// committed yet: read on from its own cursor on that partition.
		q.PartitionID = wire.Partition(res.PartitionID)
		q.Strategy = wire.PollOffset(k.cursor[res.PartitionID])
		if res, err = k.pollRetry(ctx, q); err != nil {
			return nil, err
		}
		msgs = k.accept(res)
	}
	return msgs, nil
}

func (k *Consumer) nextPartition() uint32 {
	if k.cfg.Partition.Set {
		return k.cfg.Partition.ID
	}
	p := k.rr % max(k.partitionsCount, 1)
	k.rr = p + 1
	return p
}

// accept converts a poll answer, drops what this consumer already fetched
// (a group member reading after a lagging stored offset) and moves the
// cursor.
func (k *Consumer) accept(res wire.PolledMessages) []Message {
	p := res.PartitionID
	next, hasCursor := k.cursor[p]
	filter := k.cfg.Group && !k.serverCommits() && hasCursor
	msgs := make([]Message, 0, len(res.Messages))
	for _, pm := range res.Messages {
		if filter && pm.Header.Offset < next {
			continue
		}
		msgs = append(msgs, fromPolled(p, pm))
	}
	if n := len(msgs); n > 0 {
		last := msgs[n-1].Offset
		if !(k.cfg.Group && k.serverCommits()) {
			k.cursor[p] = last + 1
		}
		if k.serverCommits() {
			k.track.markCommitted(p, last)
		}
	}
	return msgs
}

// requestContext detaches a request from cancellation (see the package
// comment) and bounds it with RequestTimeout.
func (k *Consumer) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), k.cfg.RequestTimeout)
}

func (k *Consumer) pollRetry(ctx context.Context, q wire.PollMessagesRequest) (wire.PolledMessages, error) {
	var res wire.PolledMessages
	err := k.retry(ctx, "poll", func(rctx context.Context) error {
		var err error
		res, err = k.c.PollMessages(rctx, q)
		return err
	})
	return res, err
}

// retry runs do until it succeeds, joining the group again when the
// membership was lost with a connection, and retrying connection errors
// with backoff while ctx lasts.
func (k *Consumer) retry(ctx context.Context, what string, do func(context.Context) error) error {
	backoff := k.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		rctx, cancel := k.requestContext(ctx)
		err := do(rctx)
		if err == nil {
			cancel()
			return nil
		}
		if k.cfg.Group && errors.Is(err, wire.ErrConsumerGroupMemberNotFound) && attempt < k.cfg.RetriesMax {
			err = k.join(rctx)
		}
		cancel()
		if err == nil {
			continue
		}
		if !client.Retryable(err) || attempt >= k.cfg.RetriesMax || ctx.Err() != nil {
			return fmt.Errorf("consumer: %s: %w", what, err)
		}
		if werr := sleep(ctx, backoff); werr != nil {
			return fmt.Errorf("consumer: %s: %w (last error: %v)", what, werr, err)
		}
		backoff = min(2*backoff, RetryBackoffMax)
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

// autoCommit commits what was delivered when the mode says so at ev. The
// caller holds mu.
func (k *Consumer) autoCommit(ctx context.Context, ev event) error {
	if !k.track.due(ev, time.Now()) {
		return nil
	}
	rctx, cancel := k.requestContext(ctx)
	defer cancel()
	return k.store(rctx, k.track.owed())
}

// Commit stores offsets: with no messages, everything delivered so far;
// otherwise each given partition's highest given offset.
func (k *Consumer) Commit(ctx context.Context, msgs ...Message) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return ErrClosed
	}
	if len(msgs) == 0 {
		return k.store(ctx, k.track.owed())
	}
	high := map[uint32]uint64{}
	for _, m := range msgs {
		if off, ok := high[m.Partition]; !ok || m.Offset > off {
			high[m.Partition] = m.Offset
		}
	}
	offs := make([]partitionOffset, 0, len(high))
	for p, off := range high {
		offs = append(offs, partitionOffset{p, off})
	}
	return k.store(ctx, offs)
}

func (k *Consumer) store(ctx context.Context, offs []partitionOffset) error {
	for _, po := range offs {
		err := k.retry(ctx, "commit", func(rctx context.Context) error {
			return k.c.StoreConsumerOffset(rctx, k.who, k.cfg.Stream, k.cfg.Topic, wire.Partition(po.Partition), po.Offset)
		})
		if err != nil {
			return err
		}
		k.track.markCommitted(po.Partition, po.Offset)
	}
	k.track.commitDone(time.Now())
	return nil
}

// Close commits what auto-commit owes (not under CommitDisabled) and
// leaves the group. Messages fetched but not delivered are dropped. Close
// does not close the client.
func (k *Consumer) Close(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	var errs []error
	if k.track.owesOnClose() {
		errs = append(errs, k.store(ctx, k.track.owed()))
	}
	if k.cfg.Group {
		err := k.c.LeaveConsumerGroup(ctx, k.cfg.Stream, k.cfg.Topic, k.who.ID)
		if err != nil && !errors.Is(err, wire.ErrConsumerGroupMemberNotFound) {
			errs = append(errs, fmt.Errorf("consumer: leave group %q: %w", k.cfg.Name, err))
		}
	}
	return errors.Join(errs...)
}

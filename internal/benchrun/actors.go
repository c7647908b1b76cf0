package benchrun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Empty polls back off from emptyPollBackoffMin doubling to
// emptyPollBackoffMax, so an idle consumer does not take a core from the
// producers it waits for (this machine has two).
const (
	emptyPollBackoffMin = 50 * time.Microsecond
	emptyPollBackoffMax = 2 * time.Millisecond
)

// target is the place an actor writes to or reads from.
type target struct {
	streamName    string
	stream, topic wire.Identifier
	partition     int // -1: balanced (producer) or chosen by the server (group)
	group         wire.Identifier
	groupName     string
}

func (t target) partitioning() wire.Partitioning {
	if t.partition < 0 {
		return wire.Balanced()
	}
	return wire.ToPartition(uint32(t.partition))
}

// sender sends one batch and returns when the server acknowledged it.
type sender interface {
	send(ctx context.Context, msgs []wire.Message) error
	close(ctx context.Context) error
}

// poller fetches the next messages, appending their origin timestamps to
// origins; an empty answer is not an error.
type poller interface {
	poll(ctx context.Context, origins []uint64) ([]uint64, uint64, error)
	close(ctx context.Context) error
}

type lowSender struct {
	c *client.Client
	t target
	p wire.Partitioning
}

func (s *lowSender) send(ctx context.Context, msgs []wire.Message) error {
	return s.c.SendMessages(ctx, s.t.stream, s.t.topic, s.p, msgs)
}

func (s *lowSender) close(context.Context) error { return nil }

type highSender struct {
	p    *producer.Producer
	msgs []producer.Message
}

func newHighSender(ctx context.Context, c *client.Client, t target, perBatch int) (*highSender, error) {
	part := producer.Balanced()
	if t.partition >= 0 {
		part = producer.ToPartition(uint32(t.partition))
	}
	p, err := producer.New(ctx, c, producer.Config{Stream: t.stream, Topic: t.topic, Partitioner: part,
		BatchMessagesMax: perBatch, BatchBytesMax: producer.BatchBytesLimit,
		BufferMessagesMax: max(perBatch, producer.BufferMessagesMaxDefault), BufferBytesMax: batchBytesMax,
		RetriesMax: -1})
	if err != nil {
		return nil, fmt.Errorf("benchrun: producer: %w", err)
	}
	return &highSender{p: p}, nil
}

func (s *highSender) send(ctx context.Context, msgs []wire.Message) error {
	s.msgs = s.msgs[:0]
	for _, m := range msgs {
		s.msgs = append(s.msgs, producer.Message{Payload: m.Payload})
	}
	return s.p.SendSync(ctx, s.msgs...)
}

func (s *highSender) close(ctx context.Context) error { return s.p.Close(ctx) }

// lowPoller polls one partition from its own cursor (pinned) or as a
// group member with server-side commits (group).
type lowPoller struct {
	c      *client.Client
	q      wire.PollMessagesRequest
	pinned bool
	next   uint64
}

func newLowPoller(c *client.Client, t target, consumerID uint32, perBatch int) *lowPoller {
	q := wire.PollMessagesRequest{StreamID: t.stream, TopicID: t.topic, Count: uint32(perBatch)}
	if t.partition >= 0 {
		q.Consumer = wire.SingleConsumer(wire.NumericID(consumerID))
		q.PartitionID = wire.Partition(uint32(t.partition))
		return &lowPoller{c: c, q: q, pinned: true}
	}
	q.Consumer = wire.GroupConsumer(t.group)
	q.Strategy = wire.PollNext()
	q.AutoCommit = true
	return &lowPoller{c: c, q: q}
}

func (p *lowPoller) poll(ctx context.Context, origins []uint64) ([]uint64, uint64, error) {
	if p.pinned {
		p.q.Strategy = wire.PollOffset(p.next)
	}
	res, err := p.c.PollMessages(ctx, p.q)
	if err != nil {
		return origins, 0, err
	}
	var bytes uint64
	for _, m := range res.Messages {
		origins = append(origins, m.Header.OriginTimestamp)
		bytes += uint64(len(m.Payload))
	}
	if n := len(res.Messages); n > 0 && p.pinned {
		p.next = res.Messages[n-1].Header.Offset + 1
	}
	return origins, bytes, nil
}

func (p *lowPoller) close(ctx context.Context) error {
	if p.pinned {
		return nil
	}
	return p.c.LeaveConsumerGroup(ctx, p.q.StreamID, p.q.TopicID, p.q.Consumer.ID)
}

type highPoller struct{ k *consumer.Consumer }

func newHighPoller(ctx context.Context, c *client.Client, t target, consumerID uint32, perBatch int) (*highPoller, error) {
	cfg := consumer.Config{Stream: t.stream, Topic: t.topic, BatchMessagesMax: uint32(perBatch), RetriesMax: -1}
	if t.partition >= 0 {
		cfg.Name = fmt.Sprintf("bench-consumer-%d", consumerID)
		cfg.Partition = wire.Partition(uint32(t.partition))
		cfg.Strategy = wire.PollFirst()
	} else {
		cfg.Name, cfg.Group, cfg.NoCreateGroup = t.groupName, true, true
	}
	k, err := consumer.New(ctx, c, cfg)
	if err != nil {
		return nil, fmt.Errorf("benchrun: consumer: %w", err)
	}
	return &highPoller{k: k}, nil
}

func (p *highPoller) poll(ctx context.Context, origins []uint64) ([]uint64, uint64, error) {
	msgs, err := p.k.Poll(ctx)
	var bytes uint64
	for _, m := range msgs {
		origins = append(origins, m.OriginTimestampMicros)
		bytes += uint64(len(m.Payload))
	}
	return origins, bytes, err
}

func (p *highPoller) close(ctx context.Context) error { return p.k.Close(ctx) }

// batchGen builds batches of messages whose payloads are slices of one
// random buffer, sized uniformly in [minBytes, maxBytes].
type batchGen struct {
	rnd                *rand.Rand
	payload            []byte
	minBytes, maxBytes int
	msgs               []wire.Message
}

func newBatchGen(seed uint64, minBytes, maxBytes, perBatch int) *batchGen {
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	payload := make([]byte, maxBytes)
	for i := range payload {
		payload[i] = byte(rnd.Uint32())
	}
	return &batchGen{rnd: rnd, payload: payload, minBytes: minBytes, maxBytes: maxBytes,
		msgs: make([]wire.Message, perBatch)}
}

// next returns a batch (valid until the next call) and its payload bytes,
// stamped with the origin time now.
func (g *batchGen) next(now time.Time) ([]wire.Message, uint64) {
	var bytes uint64
	origin := uint64(now.UnixMicro())
	for i := range g.msgs {
		size := g.minBytes
		if g.maxBytes > g.minBytes {
			size += g.rnd.IntN(g.maxBytes - g.minBytes + 1)
		}
		g.msgs[i] = wire.Message{OriginTimestampMicros: origin, Payload: g.payload[:size]}
		bytes += uint64(size)
	}
	return g.msgs, bytes
}

// pacer holds a producer to bytesPerSecond on average since start.
type pacer struct {
	bytesPerSecond float64
	start          time.Time
	sent           uint64
}

func (p *pacer) wait(ctx context.Context) error {
	if p.bytesPerSecond <= 0 {
		return nil
	}
	due := p.start.Add(time.Duration(float64(p.sent) / p.bytesPerSecond * float64(time.Second)))
	return sleepUntil(ctx, due)
}

func sleepUntil(ctx context.Context, due time.Time) error {
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// produce sends batches and records send latency (request to ack).
func produce(ctx context.Context, a *actorStats, s sender, g *batchGen, batches int, pace *pacer, done *atomic.Uint64) error {
	a.start = time.Now()
	pace.start = a.start
	for range batches {
		if err := pace.wait(ctx); err != nil {
			return err
		}
		t0 := time.Now()
		msgs, bytes := g.next(t0)
		if err := s.send(ctx, msgs); err != nil {
			return fmt.Errorf("benchrun: %s %d: send: %w", a.role, a.id, err)
		}
		t1 := time.Now()
		recordMicros(a.send, t1.Sub(t0))
		a.account(t1, uint64(len(msgs)), bytes)
		pace.sent += bytes
		done.Add(bytes)
	}
	return nil
}

// quota says when a consumer is done: a pinned consumer counts its own
// messages, group members share one counter per group.
type quota struct {
	expected uint64
	shared   *atomic.Uint64 // nil: count the actor's own messages
}

func (q quota) reached(own uint64) bool {
	if q.shared != nil {
		return q.shared.Load() >= q.expected
	}
	return own >= q.expected
}

// consume polls until the quota is reached, recording poll latency
// (request to response, non-empty polls only) and, when producers run at
// the same time, end-to-end latency per message.
func consume(ctx context.Context, a *actorStats, p poller, q quota, endToEnd bool, done *atomic.Uint64) error {
	a.start = time.Now()
	backoff := emptyPollBackoffMin
	var origins []uint64
	for !q.reached(a.messages) {
		t0 := time.Now()
		var bytes uint64
		var err error
		origins, bytes, err = p.poll(ctx, origins[:0])
		if err != nil {
			return fmt.Errorf("benchrun: %s %d: poll: %w", a.role, a.id, err)
		}
		t1 := time.Now()
		if len(origins) == 0 {
			a.emptyPolls++
			if err := sleepUntil(ctx, t1.Add(backoff)); err != nil {
				return err
			}
			backoff = min(2*backoff, emptyPollBackoffMax)
			continue
		}
		backoff = emptyPollBackoffMin
		recordMicros(a.poll, t1.Sub(t0))
		if endToEnd {
			recordOrigins(a, t1, origins)
		}
		a.account(t1, uint64(len(origins)), bytes)
		if q.shared != nil {
			q.shared.Add(uint64(len(origins)))
		}
		done.Add(bytes)
	}
	if q.shared == nil && a.messages != q.expected {
		return fmt.Errorf("benchrun: %s %d: received %d messages, want %d", a.role, a.id, a.messages, q.expected)
	}
	return nil
}

func recordOrigins(a *actorStats, now time.Time, origins []uint64) {
	nowMicros := now.UnixMicro()
	for _, o := range origins {
		recordMicros(a.endToEnd, time.Duration(nowMicros-int64(o))*time.Microsecond)
	}
}

// produceConsume sends a batch, then polls until the batch came back, for
// each batch: the end-to-end producing consumer.
func produceConsume(ctx context.Context, a *actorStats, s sender, p poller, g *batchGen, batches int, pace *pacer, done *atomic.Uint64) error {
	a.start = time.Now()
	pace.start = a.start
	var origins []uint64
	for range batches {
		if err := pace.wait(ctx); err != nil {
			return err
		}
		t0 := time.Now()
		msgs, bytes := g.next(t0)
		if err := s.send(ctx, msgs); err != nil {
			return fmt.Errorf("benchrun: %s %d: send: %w", a.role, a.id, err)
		}
		recordMicros(a.send, time.Since(t0))
		got := 0
		for got < len(msgs) {
			t1 := time.Now()
			var err error
			origins, _, err = p.poll(ctx, origins[:0])
			if err != nil {
				return fmt.Errorf("benchrun: %s %d: poll: %w", a.role, a.id, err)
			}
			t2 := time.Now()
			if len(origins) == 0 {
				a.emptyPolls++
				if err := sleepUntil(ctx, t2.Add(emptyPollBackoffMin)); err != nil {
					return err
				}
				continue
			}
			recordMicros(a.poll, t2.Sub(t1))
			recordOrigins(a, t2, origins)
			got += len(origins)
		}
		if got != len(msgs) {
			return fmt.Errorf("benchrun: %s %d: polled %d messages back, sent %d", a.role, a.id, got, len(msgs))
		}
		a.account(time.Now(), uint64(len(msgs)), bytes)
		pace.sent += bytes
		done.Add(bytes)
	}
	return nil
}

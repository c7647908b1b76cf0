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

// Progress receives the payload bytes moved so far and the total the run
// expects. Run calls it from its own goroutine every progressInterval
// and once more at the end.
type Progress func(doneBytes, totalBytes uint64)

const (
	progressInterval = 100 * time.Millisecond
	// cleanupTimeout bounds deleting the run's streams after it ended.
	cleanupTimeout = 30 * time.Second
	topicName      = "bench"
	warmupTopic    = "warmup"
)

// Run plans cfg's scenario, creates its streams, runs it and returns the
// report. It deletes the streams it created unless cfg.Keep is set.
func Run(ctx context.Context, cfg Config, progress Progress) (*Report, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkShape(cfg); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	admin, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	r := &runner{cfg: cfg, admin: admin, runID: fmt.Sprintf("bench-%x", time.Now().UnixNano())}
	defer r.cleanup(ctx)
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	r.plan()
	if err := r.prefill(ctx); err != nil {
		return nil, err
	}
	actors, err := r.openActors(ctx)
	defer closeActors(ctx, actors)
	if err != nil {
		return nil, err
	}
	start, end, err := r.execute(ctx, actors, progress)
	if err != nil {
		return nil, err
	}
	if err := r.verify(actors); err != nil {
		return nil, err
	}
	return buildReport(cfg, r, actors, start, end), nil
}

// checkShape rejects layouts in which some data would never be read.
func checkShape(cfg Config) error {
	if cfg.Scenario.group() && cfg.Consumers < cfg.Streams {
		return fmt.Errorf("benchrun: %s needs at least one consumer per stream: %d consumers, %d streams",
			cfg.Scenario, cfg.Consumers, cfg.Streams)
	}
	if cfg.Scenario == EndToEndProducingConsumer && cfg.Streams*cfg.Partitions < cfg.Producers {
		return fmt.Errorf("benchrun: %s gives each actor its own partition: want streams × partitions >= %d",
			cfg.Scenario, cfg.Producers)
	}
	return nil
}

func connect(ctx context.Context, cfg Config) (*client.Client, error) {
	// No reconnects: a broken connection is a failed benchmark, not a pause.
	c, err := client.Dial(ctx, cfg.Address, client.WithReconnect(0, 0))
	if err != nil {
		return nil, fmt.Errorf("benchrun: %w", err)
	}
	if _, err := c.LoginUser(ctx, cfg.Username, cfg.Password); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("benchrun: login as %s: %w", cfg.Username, err)
	}
	return c, nil
}

type streamInfo struct {
	name      string
	id, topic wire.Identifier
	group     wire.Identifier
	groupName string
}

// actorPlan is one actor's role, place and amount of work.
type actorPlan struct {
	role    string
	id      int
	t       target
	batches int
	quota   quota
}

const (
	roleProducer          = "producer"
	roleConsumer          = "consumer"
	roleProducingConsumer = "producing-consumer"
)

type runner struct {
	cfg     Config
	admin   *client.Client
	runID   string
	streams []streamInfo
	// writers are the unmeasured pre-fill producers of consumer-only
	// scenarios; actors are the measured ones.
	writers, actors []actorPlan
	groupCounters   []*atomic.Uint64
}

func (r *runner) setup(ctx context.Context) error {
	for i := range r.cfg.Streams {
		name := fmt.Sprintf("%s-%d", r.runID, i)
		s, err := r.admin.CreateStream(ctx, name)
		if err != nil {
			return fmt.Errorf("benchrun: create stream %s: %w", name, err)
		}
		info := streamInfo{name: name, id: wire.NumericID(s.ID)}
		r.streams = append(r.streams, info) // appended first so cleanup finds it
		t, err := r.admin.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: info.id,
			PartitionsCount: uint32(r.cfg.Partitions), Name: topicName})
		if err != nil {
			return fmt.Errorf("benchrun: create topic in %s: %w", name, err)
		}
		info.topic = wire.NumericID(t.ID)
		if r.cfg.Scenario.group() {
			info.groupName = r.runID + "-group"
			g, err := r.admin.CreateConsumerGroup(ctx, info.id, info.topic, info.groupName)
			if err != nil {
				return fmt.Errorf("benchrun: create consumer group in %s: %w", name, err)
			}
			info.group = wire.NumericID(g.ID)
		}
		r.streams[i] = info
	}
	return nil
}

func (r *runner) cleanup(ctx context.Context) {
	if r.cfg.Keep {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for _, s := range r.streams {
		_ = r.admin.DeleteStream(ctx, s.id) // best effort: the report matters more
	}
}

// pinnedTarget is actor i's own partition: streams first, then partitions.
func (r *runner) pinnedTarget(i int) target {
	s := r.streams[i%len(r.streams)]
	return target{streamName: s.name, stream: s.id, topic: s.topic,
		partition: (i / len(r.streams)) % r.cfg.Partitions}
}

// streamTarget is actor i's stream, partitions balanced or left to the group.
func (r *runner) streamTarget(i int) target {
	s := r.streams[i%len(r.streams)]
	return target{streamName: s.name, stream: s.id, topic: s.topic, partition: -1, group: s.group,
		groupName: s.groupName}
}

func (r *runner) plan() {
	c := r.cfg
	for range c.Streams {
		r.groupCounters = append(r.groupCounters, &atomic.Uint64{})
	}
	var producers []actorPlan
	for i := range c.producingActors() {
		p := actorPlan{role: roleProducer, id: i + 1, batches: c.MessageBatches, t: r.pinnedTarget(i)}
		if !c.Scenario.pinned() {
			p.t = r.streamTarget(i)
		}
		if c.Scenario == EndToEndProducingConsumer {
			p.role = roleProducingConsumer
		}
		producers = append(producers, p)
	}
	if c.Scenario.hasProducers() {
		r.actors = producers
	} else {
		r.writers = producers
	}
	if !c.Scenario.hasConsumers() {
		return
	}
	perWriter := uint64(c.MessageBatches) * uint64(c.MessagesPerBatch)
	for i := range c.Consumers {
		k := actorPlan{role: roleConsumer, id: i + 1}
		if c.Scenario.group() {
			k.t = r.streamTarget(i)
			stream := i % len(r.streams)
			k.quota = quota{expected: perWriter * uint64(countWriters(producers, func(p actorPlan) bool {
				return p.t.streamName == k.t.streamName
			})), shared: r.groupCounters[stream]}
		} else {
			k.t = r.pinnedTarget(i)
			k.quota = quota{expected: perWriter * uint64(countWriters(producers, func(p actorPlan) bool {
				return p.t.streamName == k.t.streamName && p.t.partition == k.t.partition
			}))}
		}
		r.actors = append(r.actors, k)
	}
}

func countWriters(ps []actorPlan, match func(actorPlan) bool) int {
	n := 0
	for _, p := range ps {
		if match(p) {
			n++
		}
	}
	return n
}

// prefill writes the data consumer-only scenarios read, unmeasured, with
// all writers at once.
func (r *runner) prefill(ctx context.Context) error {
	errs := make([]error, len(r.writers))
	var wg sync.WaitGroup
	for i, w := range r.writers {
		wg.Go(func() {
			c, err := connect(ctx, r.cfg)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			a := newActorStats(roleProducer, w.id, time.Now(), r.cfg.BucketWidth)
			g := newBatchGen(r.cfg.Seed+uint64(w.id), r.cfg.MessageSizeMinBytes, r.cfg.MessageSizeMaxBytes,
				r.cfg.MessagesPerBatch)
			var done atomic.Uint64
			errs[i] = produce(ctx, a, &lowSender{c: c, t: w.t, p: w.t.partitioning()}, g, w.batches, &pacer{}, &done)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("benchrun: pre-fill: %w", err)
	}
	return nil
}

// verify checks the counts the actors could not check alone.
func (r *runner) verify(actors []*actor) error {
	perActor := uint64(r.cfg.MessageBatches) * uint64(r.cfg.MessagesPerBatch)
	for _, a := range actors {
		if a.plan.role != roleConsumer && a.stats.messages != perActor {
			return fmt.Errorf("benchrun: %s %d sent %d messages, want %d", a.plan.role, a.plan.id, a.stats.messages, perActor)
		}
	}
	if !r.cfg.Scenario.group() {
		return nil
	}
	got := make(map[string]uint64)
	want := make(map[string]uint64)
	for _, a := range actors {
		if a.plan.role == roleConsumer {
			got[a.plan.t.streamName] += a.stats.messages
			want[a.plan.t.streamName] = a.plan.quota.expected
		}
	}
	for s, w := range want {
		if got[s] != w {
			return fmt.Errorf("benchrun: consumer group on %s received %d messages, want %d", s, got[s], w)
		}
	}
	return nil
}

package server

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// partitionTraffic counts one partition's traffic for the metrics. Atomic
// adds are all the request path pays; the meter reads them at collection.
type partitionTraffic struct {
	appendedMessages, appendedBytes atomic.Uint64
	readMessages, readBytes         atomic.Uint64
}

func (t *partitionTraffic) appended(messages uint32, bytes int) {
	t.appendedMessages.Add(uint64(messages))
	t.appendedBytes.Add(uint64(bytes))
}

func (t *partitionTraffic) read(messages uint32, bytes int) {
	t.readMessages.Add(uint64(messages))
	t.readBytes.Add(uint64(bytes))
}

// fsyncMeter records fsync latency; a nil *fsyncMeter records nothing.
type fsyncMeter struct {
	seconds metric.Float64Histogram
}

func (m *fsyncMeter) record(ctx context.Context, d time.Duration) {
	if m != nil {
		m.seconds.Record(ctx, d.Seconds())
	}
}

// pluginCallMeter records the latency of calls into plugins (archiver
// uploads); a nil *pluginCallMeter records nothing.
type pluginCallMeter struct {
	seconds metric.Float64Histogram
}

func (m *pluginCallMeter) record(ctx context.Context, instance, op string, d time.Duration, err error) {
	if m != nil {
		m.seconds.Record(ctx, d.Seconds(), metric.WithAttributes(attribute.String("kind", "archiver"),
			attribute.String("instance", instance), attribute.String("op", op), attribute.Bool("error", err != nil)))
	}
}

// fsyncBucketsSeconds spans page-cache-fast syncs to a stalled disk.
var fsyncBucketsSeconds = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// SetMeter registers the server's instruments on m; call it before Run.
// Everything except fsync latency is observed at collection time from
// counters the server keeps anyway, so an unscraped meter costs nothing.
func (s *Server) SetMeter(m metric.Meter) error {
	fsync, err := m.Float64Histogram("runnel.partition.fsync.duration", metric.WithUnit("s"),
		metric.WithDescription("Latency of partition fsyncs (log and index)."),
		metric.WithExplicitBucketBoundaries(fsyncBucketsSeconds...))
	if err != nil {
		return fmt.Errorf("server: metrics: %w", err)
	}
	s.fsyncs = &fsyncMeter{seconds: fsync}
	calls, err := m.Float64Histogram("runnel.plugin.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Latency of calls into plugins (archiver uploads), errors included."),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
	if err != nil {
		return fmt.Errorf("server: metrics: %w", err)
	}
	s.archiverCalls = &pluginCallMeter{seconds: calls}
	if err := s.registerObservers(m); err != nil {
		return fmt.Errorf("server: metrics: %w", err)
	}
	return nil
}

// SetPrometheus serves page at path on every transport that speaks HTTP
// (through transport.HTTPRoutes); call it before Run.
func (s *Server) SetPrometheus(path string, page http.Handler) {
	s.httpRoutes = map[string]http.Handler{path: page}
}

// HTTPRoutes implements transport.HTTPRoutes.
func (s *Server) HTTPRoutes() map[string]http.Handler { return s.httpRoutes }

// observers are the asynchronous instruments.
type observers struct {
	appendedMessages, appendedBytes metric.Int64ObservableCounter
	readMessages, readBytes         metric.Int64ObservableCounter
	segments, messages, lag         metric.Int64ObservableGauge
	tierMessages, tierFirst         metric.Int64ObservableGauge
	connections                     metric.Int64ObservableUpDownCounter

	replicaOps                          metric.Int64ObservableGauge // view, commit, checkpoint by "what"
	journalWrites, journalFsyncs        metric.Int64ObservableCounter
	replicaTimeouts, replicaCheckpoints metric.Int64ObservableCounter
}

func (s *Server) registerObservers(m metric.Meter) error {
	var o observers
	var err error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		var c metric.Int64ObservableCounter
		if err == nil {
			c, err = m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
		return c
	}
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		var g metric.Int64ObservableGauge
		if err == nil {
			g, err = m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
		return g
	}
	o.appendedMessages = counter("runnel.partition.appended.messages", "{message}", "Messages appended to the partition.")
	o.appendedBytes = counter("runnel.partition.appended.bytes", "By", "Message bytes appended to the partition.")
	o.readMessages = counter("runnel.partition.read.messages", "{message}", "Messages returned by polls of the partition.")
	o.readBytes = counter("runnel.partition.read.bytes", "By", "Message bytes returned by polls of the partition.")
	o.segments = gauge("runnel.partition.segments", "{segment}", "Segments of the partition per storage tier.")
	o.messages = gauge("runnel.partition.messages", "{message}", "Messages kept in the partition.")
	o.tierMessages = gauge("runnel.partition.tier.messages", "{message}",
		"Messages of the partition held by each tier (memory, local, archive); tiers overlap.")
	o.tierFirst = gauge("runnel.partition.tier.first_offset", "{offset}",
		"Oldest offset each tier holds of the partition; absent when the tier holds none.")
	o.lag = gauge("runnel.consumer_group.lag", "{message}",
		"Messages in the partition after the group's committed offset.")
	o.replicaOps = gauge("runnel.replica.position", "{op}",
		"The replica's view, executed op (commit) and durable checkpoint op (cluster.mode vsr).")
	o.journalWrites = counter("runnel.replica.journal.writes", "{write}", "Journal writes (each one or more operations).")
	o.journalFsyncs = counter("runnel.replica.journal.fsyncs", "{fsync}", "Journal fdatasync calls.")
	o.replicaTimeouts = counter("runnel.replica.timeouts", "{request}", "Operations whose outcome was unknown when the request gave up.")
	o.replicaCheckpoints = counter("runnel.replica.checkpoints", "{checkpoint}", "Checkpoints written.")
	if err != nil {
		return err
	}
	o.connections, err = m.Int64ObservableUpDownCounter("runnel.connections", metric.WithUnit("{connection}"),
		metric.WithDescription("Open client connections per transport."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, obs metric.Observer) error {
		s.observe(obs, &o)
		return nil
	}, o.appendedMessages, o.appendedBytes, o.readMessages, o.readBytes, o.segments, o.messages, o.lag, o.connections, o.tierMessages, o.tierFirst,
		o.replicaOps, o.journalWrites, o.journalFsyncs, o.replicaTimeouts, o.replicaCheckpoints)
	return err
}

// partitionView is what a collection needs of one partition, copied out
// of the metadata so no partition lock is taken under the metadata lock.
type partitionView struct {
	key    storage.PartitionKey
	attrs  attribute.Set
	groups []groupOffset
}

type groupOffset struct {
	attrs     attribute.Set // the partition's plus the group's
	committed uint64
	stored    bool
}

func (s *Server) observe(obs metric.Observer, o *observers) {
	for transport, n := range s.clients.countByTransport() {
		obs.ObserveInt64(o.connections, int64(n), metric.WithAttributes(attribute.String("transport", transport)))
	}
	s.observeReplica(obs, o)
	if s.parts == nil || s.meta == nil {
		return
	}
	for _, v := range s.partitionViews() {
		pl := s.parts.get(v.key)
		if pl == nil {
			continue
		}
		attrs := metric.WithAttributeSet(v.attrs)
		obs.ObserveInt64(o.appendedMessages, int64(pl.traffic.appendedMessages.Load()), attrs)
		obs.ObserveInt64(o.appendedBytes, int64(pl.traffic.appendedBytes.Load()), attrs)
		obs.ObserveInt64(o.readMessages, int64(pl.traffic.readMessages.Load()), attrs)
		obs.ObserveInt64(o.readBytes, int64(pl.traffic.readBytes.Load()), attrs)
		// st counts the archived history too (what consumers can read);
		// the local segment count is the log's own.
		st := s.statsOf(pl)
		obs.ObserveInt64(o.messages, int64(st.MessagesCount), attrs)
		local := attribute.NewSet(append(v.attrs.ToSlice(), attribute.String("tier", "local"))...)
		obs.ObserveInt64(o.segments, int64(pl.stats().SegmentsCount), metric.WithAttributeSet(local))
		s.observeTiers(obs, o, v)
		for _, g := range v.groups {
			obs.ObserveInt64(o.lag, int64(groupLag(st.FirstOffset, st.NextOffset, g)), metric.WithAttributeSet(g.attrs))
		}
	}
}

// observeReplica reports the VSR replica's position and journal work.
func (s *Server) observeReplica(obs metric.Observer, o *observers) {
	node := s.observedNode.Load()
	if node == nil {
		return
	}
	st, stats := node.State(), node.Stats()
	for what, op := range map[string]uint64{"view": st.View, "commit": st.CommitMin, "checkpoint": st.CheckpointOp} {
		obs.ObserveInt64(o.replicaOps, int64(op), metric.WithAttributes(attribute.String("what", what)))
	}
	obs.ObserveInt64(o.journalWrites, int64(stats.Persists))
	obs.ObserveInt64(o.journalFsyncs, int64(stats.Fsyncs))
	obs.ObserveInt64(o.replicaTimeouts, int64(stats.Timeouts))
	obs.ObserveInt64(o.replicaCheckpoints, int64(stats.Checkpoints))
}

// observeTiers reports which offsets of a partition each tier holds.
func (s *Server) observeTiers(obs metric.Observer, o *observers, v partitionView) {
	view, err := s.PartitionTiers(v.key)
	if err != nil {
		return
	}
	tier := func(name string, messages uint64, first uint64, holds bool) {
		attrs := metric.WithAttributeSet(attribute.NewSet(append(v.attrs.ToSlice(), attribute.String("tier", name))...))
		obs.ObserveInt64(o.tierMessages, int64(messages), attrs)
		if holds {
			obs.ObserveInt64(o.tierFirst, int64(first), attrs)
		}
	}
	tier("memory", view.L1.Next-view.L1.First, view.L1.First, view.L1.Next > view.L1.First)
	tier("local", view.L2.Next-view.L2.First, view.L2.First, view.L2.Next > view.L2.First)
	if s.tiers.catalog == nil {
		return
	}
	var archived uint64
	for _, r := range view.L3 {
		archived += r.Next - r.First
	}
	var first uint64
	if len(view.L3) > 0 {
		first = view.L3[0].First
	}
	tier("archive", archived, first, len(view.L3) > 0)
	archive := attribute.NewSet(append(v.attrs.ToSlice(), attribute.String("tier", "archive"))...)
	obs.ObserveInt64(o.segments, int64(s.tiers.catalog.SegmentsCount(v.key)), metric.WithAttributeSet(archive))
}

// groupLag counts the messages a group has not consumed: those after its
// committed offset (the last message it processed), or all kept messages
// when it has committed nothing.
func groupLag(first, next uint64, g groupOffset) uint64 {
	if !g.stored {
		return next - first
	}
	if g.committed+1 >= next {
		return 0
	}
	return next - max(g.committed+1, first)
}

func (s *Server) partitionViews() []partitionView {
	var out []partitionView
	s.meta.View(func(st *metadata.State) {
		for stream := range st.Streams() {
			for topic := range stream.Topics() {
				for p := uint32(0); p < topic.PartitionsCount(); p++ {
					base := []attribute.KeyValue{
						attribute.String("stream", stream.Name), attribute.String("topic", topic.Name),
						attribute.Int64("partition", int64(p)),
					}
					v := partitionView{key: storage.PartitionKey{Stream: stream.ID, Topic: topic.ID, Partition: p}, attrs: attribute.NewSet(base...)}
					for g := range topic.Groups() {
						committed, ok := s.storedOffsetIn(st, stream.ID, topic.ID, metadata.OffsetKey{PartitionID: p, Kind: metadata.ConsumerGroup, ConsumerID: g.ID})
						attrs := attribute.NewSet(append(base, attribute.String("group", g.Name))...)
						v.groups = append(v.groups, groupOffset{attrs: attrs, committed: committed, stored: ok})
					}
					out = append(out, v)
				}
			}
		}
	})
	return out
}

// countByTransport counts open sessions per transport name.
func (cs *clients) countByTransport() map[string]int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := map[string]int{}
	for _, c := range cs.byID {
		out[wire.TransportName(c.transport)]++
	}
	return out
}

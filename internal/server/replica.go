package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/metastore"
	"github.com/runnel-io/runnel/internal/vsrnode"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// errOutcomeUnknown marks a request whose operation may or may not have
// committed (no reply in time): the connection is closed, as a lost reply
// would leave it, and the client reconnects and decides.
var errOutcomeUnknown = errors.New("server: operation outcome unknown")

// errMoveToPrimary marks a request only the primary serves, made on
// another replica: the connection is closed, and the client that logs in
// again is sent to the primary by the cluster metadata.
var errMoveToPrimary = errors.New("server: served by the primary only")

// requirePrimary refuses what only the primary serves on a replica that is
// not (currently) the primary. Consumer-group membership is one: it lives
// in the memory of the node the members are connected to, so every member
// of a group must be on the same node.
func (s *Server) requirePrimary(what string) error {
	if s.node == nil || len(s.cfg.Cluster.Replicas) <= 1 {
		return nil
	}
	st := s.node.State()
	if st.Status == vsr.StatusNormal && st.Primary == st.Replica {
		return nil
	}
	return fmt.Errorf("%w: %w", errMoveToPrimary,
		wire.ErrFeatureUnavailable.Detail("%s is served by the primary (replica %d); reconnect to be sent there", what, st.Primary))
}

// replicaMachine is the state machine the VSR replica drives (cluster.mode
// vsr): every committed op is applied here, in op order, on the replica's
// loop goroutine, also while the journal is replayed at start. Partition
// offsets and message timestamps are assigned here, from the op's
// timestamp, never by the handler that received the request.
type replicaMachine struct{ s *Server }

var _ vsr.StateMachine = replicaMachine{}

// Apply implements vsr.StateMachine. A committed op that cannot be applied
// for a reason other than its own content (a failing disk) stops the
// process: carrying on would let this replica's state diverge from its
// journal.
func (m replicaMachine) Apply(op, timestampMicros uint64, operation vsr.Operation, body []byte) []byte {
	s := m.s
	switch operation {
	case vsr.OperationMetadata:
		mop, err := metadata.DecodeOp(body)
		if err != nil {
			return metadata.AppendResult(nil, metadata.Result{}, wire.ErrInvalidCommand.Detail("op %d: %v", op, err))
		}
		res, err := s.applyMetadata(s.applyCtx, mop)
		if err != nil && !isWireError(err) {
			s.failApply(op, err)
		}
		return metadata.AppendResult(nil, res, err)
	case vsr.OperationAppend:
		return s.applyAppend(op, timestampMicros, body)
	case vsr.OperationDeleteSegments:
		return s.applyDeleteSegments(op, body)
	case vsr.OperationRestoreMetadata:
		return s.applyRestoreMetadata(op, body)
	}
	return metadata.AppendResult(nil, metadata.Result{}, wire.ErrInvalidCommand.Detail("op %d: operation %d", op, operation))
}

// failApply stops the process: see Apply.
func (s *Server) failApply(op uint64, err error) {
	s.log.Error("cannot apply a committed operation; stopping", "op", op, "error", err)
	panic(fmt.Sprintf("server: apply op %d: %v", op, err))
}

// applyAppend appends a committed batch at the partition's next offset.
func (s *Server) applyAppend(op, timestampMicros uint64, body []byte) []byte {
	a, err := vsr.DecodeAppend(body)
	if err != nil {
		return vsr.EncodeAppendResult(vsr.AppendResult{Code: vsr.CodeMalformed})
	}
	pl := s.parts.get(storage.PartitionKey{Stream: a.Stream, Topic: a.Topic, Partition: a.Partition})
	if pl == nil {
		return vsr.EncodeAppendResult(vsr.AppendResult{Code: vsr.CodeUnknownPartition})
	}
	if err := partition.CheckBatch(a.Frames, a.Count); err != nil {
		return vsr.EncodeAppendResult(vsr.AppendResult{Code: vsr.CodeMalformed})
	}
	// The log stamps offsets and timestamps into the frames it writes; the
	// prepare's body is shared with the journal and must stay as it is.
	frames := slices.Clone(a.Frames)
	res, err := s.appendTraced(s.applyCtx, pl, frames, a.Count, timestampMicros)
	if err != nil {
		s.failApply(op, err)
	}
	return vsr.EncodeAppendResult(vsr.AppendResult{FirstOffset: res.FirstOffset, Count: a.Count})
}

// Checkpoint layout: version u8, the metadata snapshot file (u64 length,
// bytes), then every open partition (u32 count; per entry stream, topic,
// partition u32, next offset u64 and the checksum of the message before
// it u64, 0 when there is none), sorted by key.
const (
	checkpointVersion    = 2
	checkpointEntryBytes = 28
)

// partitionMark is what a checkpoint records of one partition: where its
// log ends, and the last message's checksum, which tells a log of another
// incarnation of the partition apart.
type partitionMark struct {
	next, lastChecksum uint64
}

// Snapshot implements vsr.StateMachine: the small state a checkpoint
// holds. Partition contents are not in it; the partition logs are fsynced
// before the checkpoint is written (beforeCheckpoint), so "next offset N"
// means "the log holds offsets below N durably".
func (m replicaMachine) Snapshot() []byte {
	s := m.s
	_, file := s.meta.Snapshot()
	b := append([]byte{checkpointVersion}, binary.LittleEndian.AppendUint64(nil, uint64(len(file)))...)
	b = append(b, file...)
	type entry struct {
		key  storage.PartitionKey
		mark partitionMark
	}
	var entries []entry
	s.parts.each(func(pl *partitionLog) {
		st := pl.stats()
		e := entry{key: pl.key, mark: partitionMark{next: st.NextOffset}}
		if st.MessagesCount > 0 {
			sum, err := pl.checksumAt(s.applyCtx, st.NextOffset-1)
			if err != nil {
				s.failApply(0, fmt.Errorf("checkpoint: %w", err))
			}
			e.mark.lastChecksum = sum
		}
		entries = append(entries, e)
	})
	slices.SortFunc(entries, func(a, b entry) int { return compareKeys(a.key, b.key) })
	le := binary.LittleEndian
	b = le.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = le.AppendUint32(le.AppendUint32(le.AppendUint32(b, e.key.Stream), e.key.Topic), e.key.Partition)
		b = le.AppendUint64(le.AppendUint64(b, e.mark.next), e.mark.lastChecksum)
	}
	return b
}

func compareKeys(a, b storage.PartitionKey) int {
	if a.Stream != b.Stream {
		return cmpU32(a.Stream, b.Stream)
	}
	if a.Topic != b.Topic {
		return cmpU32(a.Topic, b.Topic)
	}
	return cmpU32(a.Partition, b.Partition)
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Restore implements vsr.StateMachine: metadata from the checkpoint, and
// every partition log made to end where the checkpoint says.
//
// At start (this replica's own checkpoint) a log is cut back to it:
// whatever it holds past it (ops applied after the checkpoint, a torn
// tail, a later incarnation of a re-created partition) is replaced when the
// journal replays those ops. While running (a peer's checkpoint: state
// transfer) the ops before it are not replayed, so a log that is short is
// filled from a peer, and one that is not a prefix of the peers' (the
// partition was deleted and created again meanwhile) is fetched anew.
func (m replicaMachine) Restore(snapshot []byte) error {
	s := m.s
	file, marks, err := decodeCheckpoint(snapshot)
	if err != nil {
		return err
	}
	if err := s.meta.Restore(file); err != nil {
		return fmt.Errorf("server: checkpoint metadata: %w", err)
	}
	running := s.replicaLoop != nil
	var keys []storage.PartitionKey
	s.meta.View(func(st *metadata.State) { keys = allPartitionKeys(st) })
	if err := s.dropPartitionsBut(keys, running); err != nil {
		return err
	}
	for _, key := range keys {
		mark, ok := marks[key]
		if !ok {
			return fmt.Errorf("server: checkpoint: partition %s in metadata has no offset", key)
		}
		pl, err := s.parts.open(s.applyCtx, key, false)
		if err != nil {
			return fmt.Errorf("server: restore checkpoint: %w", err)
		}
		if running {
			if pl, err = s.syncPartition(pl, mark); err != nil {
				return err
			}
		} else if pl, err = s.resumeShortLog(pl, mark); err != nil {
			return err
		}
		if err := pl.with(func(l *partition.Log) error { return l.TruncateTo(s.applyCtx, mark.next) }); err != nil {
			return fmt.Errorf("server: restore checkpoint: partition %s to offset %d: %w", key, mark.next, err)
		}
	}
	return nil
}

// resumeShortLog starts, at the checkpoint's offset, a log that ends
// before it at start. Its files were removed, or a purge or re-create after
// the checkpoint emptied it: the replay repeats those, and new messages
// must never take offsets the checkpoint covers.
func (s *Server) resumeShortLog(pl *partitionLog, mark partitionMark) (*partitionLog, error) {
	if pl.stats().NextOffset >= mark.next {
		return pl, nil
	}
	s.log.Info("partition log ends before the checkpoint; it resumes at the checkpoint's offset",
		"partition", pl.key.String(), "log_next_offset", pl.stats().NextOffset, "checkpoint_next_offset", mark.next)
	if err := s.restartLogAt(s.applyCtx, pl.key, mark.next); err != nil {
		return nil, err
	}
	return s.parts.get(pl.key), nil
}

// dropPartitionsBut closes every open log (at start), or, while running,
// removes those of partitions the new metadata does not have.
func (s *Server) dropPartitionsBut(keys []storage.PartitionKey, running bool) error {
	if !running {
		s.parts.closeAll()
		return nil
	}
	keep := make(map[storage.PartitionKey]bool, len(keys))
	for _, k := range keys {
		keep[k] = true
	}
	var gone []storage.PartitionKey
	s.parts.each(func(pl *partitionLog) {
		if !keep[pl.key] {
			gone = append(gone, pl.key)
		}
	})
	return s.removePartitions(s.applyCtx, gone)
}

// syncPartition makes a log hold at least the messages a peer's
// checkpoint covers, with the same last message (state transfer).
func (s *Server) syncPartition(pl *partitionLog, mark partitionMark) (*partitionLog, error) {
	ctx := s.applyCtx
	st := pl.stats()
	if st.NextOffset >= mark.next {
		if mark.next == 0 || mark.next <= st.FirstOffset {
			return pl, nil // nothing of it left here: TruncateTo starts the log at mark.next
		}
		sum, err := pl.checksumAt(ctx, mark.next-1)
		if err == nil && sum == mark.lastChecksum {
			return pl, nil
		}
		s.log.Info("partition sync: local log is another incarnation; fetching it anew", "partition", pl.key.String())
		if err := s.restartLogAt(ctx, pl.key, 0); err != nil {
			return nil, err
		}
		pl = s.parts.get(pl.key)
	}
	err := s.partSync.fill(ctx, pl, mark.next)
	if errors.Is(err, errOtherIncarnation) {
		s.log.Info("partition sync: local log is another incarnation; fetching it anew", "partition", pl.key.String())
		if err = s.restartLogAt(ctx, pl.key, 0); err == nil {
			pl = s.parts.get(pl.key)
			err = s.partSync.fill(ctx, pl, mark.next)
		}
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("partition synced from a peer", "partition", pl.key.String(), "next_offset", mark.next)
	return s.parts.get(pl.key), nil
}

func decodeCheckpoint(b []byte) (file []byte, marks map[storage.PartitionKey]partitionMark, err error) {
	bad := func(what string) error { return fmt.Errorf("server: checkpoint: %s", what) }
	if len(b) < 9 || b[0] != checkpointVersion {
		return nil, nil, bad("unknown version or too short")
	}
	le := binary.LittleEndian
	n := le.Uint64(b[1:])
	b = b[9:]
	if n > uint64(len(b)) {
		return nil, nil, bad("metadata longer than the checkpoint")
	}
	file, b = b[:n], b[n:]
	if len(b) < 4 {
		return nil, nil, bad("no partition table")
	}
	count := le.Uint32(b)
	b = b[4:]
	if uint64(count)*checkpointEntryBytes != uint64(len(b)) {
		return nil, nil, bad("partition table size")
	}
	marks = make(map[storage.PartitionKey]partitionMark, count)
	for i := range int(count) {
		e := b[i*checkpointEntryBytes:]
		key := storage.PartitionKey{Stream: le.Uint32(e), Topic: le.Uint32(e[4:]), Partition: le.Uint32(e[8:])}
		marks[key] = partitionMark{next: le.Uint64(e[12:]), lastChecksum: le.Uint64(e[20:])}
	}
	return file, marks, nil
}

// allPartitionKeys lists every partition the metadata knows.
func allPartitionKeys(st *metadata.State) []storage.PartitionKey {
	var keys []storage.PartitionKey
	for stream := range st.Streams() {
		for topic := range stream.Topics() {
			for p := range topic.PartitionsCount() {
				keys = append(keys, storage.PartitionKey{Stream: stream.ID, Topic: topic.ID, Partition: p})
			}
		}
	}
	return keys
}

// replicaDirName is the replica's directory under system.path.
const replicaDirName = "vsr"

// openReplica starts the VSR node of a cluster of one: it formats the
// journal on first start, restores the last checkpoint and replays the
// journal (applying ops through replicaMachine), before any client is
// served.
func (s *Server) openReplica(ctx context.Context) error {
	cfg := replicaConfig(s.cfg, s.log.With("component", "vsr"))
	s.partSync = newPartSync(s)
	node, err := vsrnode.Open(ctx, cfg, replicaMachine{s}, vsrnode.Hooks{BeforeCheckpoint: s.beforeCheckpoint,
		OnHostFrame: s.partSync.onFrame})
	if err != nil {
		if errors.Is(err, vsrnode.ErrNotFormatted) {
			return fmt.Errorf("server: replica: %w; run `runnel-server format` with this configuration once when creating the cluster, or `runnel-server recover` on a node whose data was lost", err)
		}
		return fmt.Errorf("server: replica: %w", err)
	}
	s.node = node
	s.observedNode.Store(node)
	s.offsets = newOffsetCommitter()
	return nil
}

// replicaConfig is the node configuration cfg describes.
func replicaConfig(cfg *config.Config, logger *slog.Logger) vsrnode.Config {
	c := cfg.Cluster
	nc := vsrnode.Config{
		Dir:                 filepath.Join(cfg.System.Path, replicaDirName),
		Cluster:             c.ID,
		Replica:             c.Replica,
		ReplicaCount:        c.ReplicaCount(),
		JournalSlots:        c.JournalSlots,
		PrepareSizeBytesMax: int(c.PrepareSizeMax),
		RequestTimeout:      c.RequestTimeout,
		SessionsMax:         c.Sessions,
		// A pipeline of 32 lets one journal write carry up to 32 ops.
		PipelineMax: 32,
		// Two checkpoint slots of this size sit in the journal file.
		CheckpointSizeBytesMax: 16 << 20,
		Logger:                 logger,
	}
	if len(c.Replicas) > 1 {
		for _, r := range c.Replicas {
			nc.BusRoster = append(nc.BusRoster, r.BusAddress)
		}
		nc.BusKey = []byte(c.Key)
		nc.RequireFormatted = true
		nc.DataStar = c.DataReplication == "star"
	}
	return nc
}

// FormatReplica creates the journal of this node's replica, as a cluster
// of several replicas needs once per node before its first start (a
// cluster of one formats itself). With recovering, the node's data was
// lost: the replica rejoins without voting until it has caught up from
// its peers (runnel-server recover).
func FormatReplica(ctx context.Context, cfg *config.Config, logger *slog.Logger, recovering bool) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Cluster.Mode != config.ClusterVSR {
		return fmt.Errorf("server: format: cluster.mode is %q; only %q has a journal to format", cfg.Cluster.Mode, config.ClusterVSR)
	}
	if err := refuseModeNoneData(filepath.Join(cfg.System.Path, "metadata")); err != nil {
		return err
	}
	format := vsrnode.Format
	if recovering {
		format = vsrnode.FormatRecovering
	}
	if err := format(ctx, replicaConfig(cfg, logger)); err != nil {
		return fmt.Errorf("server: format: %w", err)
	}
	return nil
}

// beforeCheckpoint makes every partition log durable up to what the
// checkpoint about to be written records.
func (s *Server) beforeCheckpoint(ctx context.Context, op uint64) error {
	if err := s.parts.syncDirty(ctx); err != nil {
		return fmt.Errorf("server: checkpoint at op %d: %w", op, err)
	}
	return nil
}

// submitReplicated orders one operation through the replica and returns
// its reply body.
// In a traced request it runs inside a "runnel.replica.commit" span: the
// journal write and the apply happen on the replica's loop, so this wait
// is what the request sees of them.
func (s *Server) submitReplicated(ctx context.Context, operation vsr.Operation, body []byte) ([]byte, error) {
	var span trace.Span
	if s.tracer != nil {
		var ok bool
		if ctx, span, ok = startChild(ctx, "runnel.replica.commit"); ok {
			defer span.End()
		}
	}
	rep, err := s.node.Submit(ctx, operation, body)
	if err != nil {
		if !errors.Is(err, vsrnode.ErrBodyTooLarge) { // refused before it was sent: the outcome is known
			err = fmt.Errorf("%w: %w", errOutcomeUnknown, err)
		}
		if span != nil {
			endWithError(span, err)
		}
		return nil, err
	}
	if span != nil {
		span.SetAttributes(attribute.Int64(attrReplicaOp, int64(rep.Op)))
	}
	return rep.Body, nil
}

// startReplica opens the replica and runs its loop until stopReplica,
// returning once the replica serves: every op the journal held is
// applied.
func (s *Server) startReplica(ctx context.Context) error {
	s.applyCtx = context.WithoutCancel(ctx)
	if err := s.openReplica(ctx); err != nil {
		return err
	}
	loopCtx, stop := context.WithCancel(s.applyCtx)
	s.replicaLoop = &replicaLoop{stop: stop, done: make(chan struct{})}
	go func() {
		s.replicaLoop.err = s.node.Run(loopCtx)
		close(s.replicaLoop.done)
	}()
	select {
	case <-s.replicaLoop.done:
		return fmt.Errorf("server: replica stopped during start: %w", s.replicaLoop.err)
	default:
	}
	if err := s.node.WaitServing(ctx); err != nil {
		return fmt.Errorf("server: replica: %w", err)
	}
	st := s.node.State()
	s.log.Info("replica serving", "cluster", s.cfg.Cluster.ID, "view", st.View, "commit", st.CommitMin,
		"checkpoint", st.CheckpointOp)
	return nil
}

// replicaLoop is the goroutine running the replica: done closes when it
// returns, with err.
type replicaLoop struct {
	stop context.CancelFunc
	done chan struct{}
	err  error
}

// replicaFailed is closed when the replica's loop ended (nil without one).
func (s *Server) replicaFailed() <-chan struct{} {
	if s.replicaLoop == nil {
		return nil
	}
	return s.replicaLoop.done
}

// stopReplica ends the replica's loop, then closes its journal.
func (s *Server) stopReplica() error {
	if s.replicaLoop == nil {
		return nil
	}
	s.replicaLoop.stop()
	<-s.replicaLoop.done
	err := s.replicaLoop.err
	if cerr := s.node.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	s.replicaLoop = nil
	return err
}

// refuseModeNoneData stops a start in VSR mode over metadata written in
// mode none: the journal would start empty beside it.
func refuseModeNoneData(metaDir string) error {
	empty, err := metastore.Empty(metaDir)
	if err != nil {
		return fmt.Errorf("server: metadata: %w", err)
	}
	if !empty {
		return fmt.Errorf("server: %s holds metadata written with cluster.mode = %q, which cluster.mode = %q does not read: start with cluster.mode = %q, or move the data directory away",
			metaDir, config.ClusterNone, config.ClusterVSR, config.ClusterNone)
	}
	return nil
}

// refuseVSRData stops a start in mode none over a VSR journal: the
// metadata and the partitions' offsets live in it, not in metadata/.
func refuseVSRData(path string) error {
	dir := filepath.Join(path, replicaDirName)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("server: %s holds a journal written with cluster.mode = %q, which cluster.mode = %q does not read: start with cluster.mode = %q, or move the data directory away",
			dir, config.ClusterVSR, config.ClusterNone, config.ClusterVSR)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/storage"
)

// partitions owns the open partition logs and their durability policy.
// Every log is opened at start (recovery errors stop the server there, not
// at a consumer's first poll); sealed segments inside a log open lazily.
type partitions struct {
	store storage.Store
	cfg   partition.Config
	fsync config.FsyncPolicy
	dedup config.Dedup
	// recent is L1: every append is copied into it (nil when off).
	recent *tiered.Recent
	// fsyncs records fsync latency (nil without metrics).
	fsyncs *fsyncMeter

	mu   sync.RWMutex
	logs map[storage.PartitionKey]*partitionLog
}

func newPartitions(store storage.Store, cfg partition.Config, fsync config.FsyncPolicy, dedup config.Dedup) *partitions {
	return &partitions{store: store, cfg: cfg, fsync: fsync, dedup: dedup, logs: make(map[storage.PartitionKey]*partitionLog)}
}

// partitionLog serialises access to one partition.Log and runs group commit:
// each appender writes under mu, then waits until some sync covers its
// sequence number. While one goroutine is in fsync, later appenders queue on
// syncMu and are all covered by the next single fsync.
type partitionLog struct {
	key   storage.PartitionKey
	fsync config.FsyncPolicy

	mu        sync.Mutex
	log       *partition.Log
	appendSeq uint64       // appends accepted; guarded by mu
	dirty     bool         // appended since the last sync; guarded by mu
	dedup     *dedupWindow // nil when deduplication is off; guarded by mu
	recent    *tiered.Recent
	traffic   partitionTraffic
	fsyncs    *fsyncMeter // nil without metrics

	syncMu    sync.Mutex
	syncedSeq uint64 // appends known durable; guarded by syncMu
}

// open opens (creating if needed) the log of key. With fresh set, any files
// left under key by a deleted partition of the same id are removed first, so
// a new partition never inherits old data.
func (ps *partitions) open(ctx context.Context, key storage.PartitionKey, fresh bool) (*partitionLog, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if pl, ok := ps.logs[key]; ok {
		if !fresh {
			return pl, nil
		}
		delete(ps.logs, key)
		pl.close()
	}
	if fresh {
		if err := ps.store.RemovePartition(ctx, key); err != nil {
			return nil, fmt.Errorf("partition %s: clear old files: %w", key, err)
		}
	}
	log, err := partition.Open(ctx, ps.store, key, ps.cfg)
	if err != nil {
		return nil, fmt.Errorf("partition %s: %w", key, err)
	}
	pl := &partitionLog{key: key, fsync: ps.fsync, log: log, recent: ps.recent, fsyncs: ps.fsyncs}
	if ps.dedup.Enabled {
		pl.dedup = newDedupWindow(ps.dedup.MaxEntries, ps.dedup.Expiry)
	}
	ps.logs[key] = pl
	return pl, nil
}

// get returns the open log of key, or nil.
func (ps *partitions) get(key storage.PartitionKey) *partitionLog {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.logs[key]
}

// remove closes the log of key and deletes its files.
func (ps *partitions) remove(ctx context.Context, key storage.PartitionKey) error {
	ps.mu.Lock()
	pl := ps.logs[key]
	delete(ps.logs, key)
	ps.mu.Unlock()
	if pl != nil {
		pl.close()
	}
	if err := ps.store.RemovePartition(ctx, key); err != nil {
		return fmt.Errorf("partition %s: remove: %w", key, err)
	}
	return nil
}

// each calls fn for every open log.
func (ps *partitions) each(fn func(*partitionLog)) {
	ps.mu.RLock()
	list := make([]*partitionLog, 0, len(ps.logs))
	for _, pl := range ps.logs {
		list = append(list, pl)
	}
	ps.mu.RUnlock()
	for _, pl := range list {
		fn(pl)
	}
}

// syncDirty fsyncs every log with unsynced appends: the "interval" policy's
// tick, and the last step of shutdown.
func (ps *partitions) syncDirty(ctx context.Context) error {
	var first error
	ps.each(func(pl *partitionLog) {
		if err := pl.sync(ctx); err != nil && first == nil {
			first = err
		}
	})
	return first
}

// runIntervalSync flushes dirty logs every interval until ctx ends.
func (ps *partitions) runIntervalSync(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := ps.syncDirty(ctx); err != nil {
				onError(err)
			}
		}
	}
}

func (ps *partitions) closeAll() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for key, pl := range ps.logs {
		pl.close()
		delete(ps.logs, key)
	}
}

// append writes a batch and returns once it is as durable as the policy
// demands: on disk for "always", handed to the OS otherwise.
func (pl *partitionLog) append(ctx context.Context, frames []byte, count uint32, timestampMicros uint64) (partition.AppendResult, error) {
	pl.mu.Lock()
	if pl.log == nil {
		pl.mu.Unlock()
		return partition.AppendResult{}, fmt.Errorf("partition %s: %w", pl.key, storage.ErrClosed)
	}
	if pl.dedup != nil {
		if frames, count = pl.dedup.filter(frames, count, time.Now()); count == 0 {
			pl.mu.Unlock()
			return partition.AppendResult{}, nil // every message was a duplicate
		}
	}
	res, err := pl.log.Append(ctx, frames, count, timestampMicros)
	if err != nil {
		pl.mu.Unlock()
		return res, fmt.Errorf("partition %s: append: %w", pl.key, err)
	}
	pl.recent.Put(pl.key, res.FirstOffset, count, frames)
	pl.appendSeq++
	seq := pl.appendSeq
	pl.dirty = true
	pl.mu.Unlock()

	if pl.fsync != config.FsyncAlways {
		return res, nil
	}
	return res, pl.syncUpToTraced(ctx, seq)
}

// syncUpTo returns once append number seq is durable, doing the fsync
// itself only if no other goroutine's fsync already covered it.
func (pl *partitionLog) syncUpTo(ctx context.Context, seq uint64) error {
	pl.syncMu.Lock()
	defer pl.syncMu.Unlock()
	if pl.syncedSeq >= seq {
		return nil
	}
	pl.mu.Lock()
	if pl.log == nil {
		pl.mu.Unlock()
		return fmt.Errorf("partition %s: %w", pl.key, storage.ErrClosed)
	}
	covered := pl.appendSeq
	point, err := pl.log.PrepareSync(ctx)
	pl.dirty = false
	pl.mu.Unlock()
	if err != nil {
		return fmt.Errorf("partition %s: %w", pl.key, err)
	}
	// The fsync runs without mu: appends go on meanwhile and queue on
	// syncMu, and the next fsync covers all of them at once.
	markFsync(ctx)
	started := time.Now()
	err = point.Sync(ctx)
	pl.fsyncs.record(ctx, time.Since(started))
	if err != nil {
		pl.mu.Lock()
		if pl.log != nil {
			err = pl.log.SyncFailed(err)
		}
		pl.mu.Unlock()
		return fmt.Errorf("partition %s: %w", pl.key, err)
	}
	pl.syncedSeq = covered
	return nil
}

// sync makes every append so far durable.
func (pl *partitionLog) sync(ctx context.Context) error {
	pl.mu.Lock()
	dirty, seq := pl.dirty, pl.appendSeq
	pl.mu.Unlock()
	if !dirty {
		return nil
	}
	return pl.syncUpTo(ctx, seq)
}

// with runs fn with exclusive access to the log (reads, stats, retention).
func (pl *partitionLog) with(fn func(*partition.Log) error) error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.log == nil {
		return fmt.Errorf("partition %s: %w", pl.key, storage.ErrClosed)
	}
	return fn(pl.log)
}

func (pl *partitionLog) close() {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.log != nil {
		_ = pl.log.Sync(context.Background())
		_ = pl.log.Close()
		pl.log = nil
	}
}

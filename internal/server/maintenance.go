package server

import (
	"context"
	"time"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
)

// runMaintenance applies retention and drops expired tokens every
// retention.check_interval until ctx ends.
func (s *Server) runMaintenance(ctx context.Context) {
	t := time.NewTicker(s.cfg.System.Retention.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.applyRetention(ctx)
			if _, err := s.submit(ctx, metadata.DeleteExpiredPATs{NowMicros: nowMicros()}); err != nil && ctx.Err() == nil {
				s.log.Error("drop expired tokens", "error", err)
			}
		}
	}
}

type retentionRule struct {
	key                    storage.PartitionKey
	maxAgeMicros, maxBytes uint64
}

// applyRetention removes sealed segments older than a topic's message
// expiry, and oldest segments while a topic is over its size limit (split
// evenly over its partitions).
func (s *Server) applyRetention(ctx context.Context) {
	var rules []retentionRule
	s.meta.View(func(st *metadata.State) {
		for stream := range st.Streams() {
			for t := range stream.Topics() {
				age, size := t.MessageExpiryMicros, t.SizeBytesMax
				if age == metadata.ExpiryNever || age == metadata.ServerDefault {
					age = 0
				}
				if size == metadata.SizeUnlimited || size == metadata.ServerDefault || t.PartitionsCount() == 0 {
					size = 0
				} else {
					size /= uint64(t.PartitionsCount())
				}
				if age == 0 && size == 0 {
					continue
				}
				for p := range t.PartitionsCount() {
					rules = append(rules, retentionRule{storage.PartitionKey{Stream: stream.ID, Topic: t.ID, Partition: p}, age, size})
				}
			}
		}
	})
	s.topology.RLock()
	defer s.topology.RUnlock()
	now := nowMicros()
	for _, r := range rules {
		pl := s.parts.get(r.key)
		if pl == nil {
			continue
		}
		err := pl.with(func(l *partition.Log) error {
			// With archivers, a segment goes only once every one holds it.
			removed, err := l.ApplyRetentionWhere(ctx, now, r.maxAgeMicros, r.maxBytes, s.removableFn(l))
			if removed > 0 {
				s.log.Info("retention removed segments", "partition", r.key.String(), "segments", removed)
			}
			return err
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("retention", "partition", r.key.String(), "error", err)
		}
	}
}

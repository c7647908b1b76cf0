package server

import (
	"context"
	"fmt"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// restoreMetadataReplicated gives an empty cluster of one the newest
// metadata snapshot its archivers hold (system.archive.restore_metadata),
// as one replicated operation, so the journal, and every checkpoint after
// it, carry the restored metadata like any other change. It runs once
// the replica serves, before the root user is created.
func (s *Server) restoreMetadataReplicated(ctx context.Context) error {
	if len(s.archivers) == 0 || !s.cfg.System.Archive.RestoreMetadata || !s.meta.Empty() {
		return nil
	}
	if len(s.cfg.Cluster.Replicas) > 1 {
		// Replicas would each resume partitions from their own catalog.
		s.log.Warn("system.archive.restore_metadata does nothing in a cluster of several replicas yet")
		return nil
	}
	return s.installArchivedMetadata(ctx, func(file []byte) error {
		reply, err := s.submitReplicated(ctx, vsr.OperationRestoreMetadata, file)
		if err != nil {
			return err
		}
		_, err = metadata.DecodeResult(reply)
		return err
	})
}

// applyRestoreMetadata installs a metadata snapshot on empty metadata and
// opens its partitions, each resuming after its newest archived offset
// (restorePartitions). A snapshot that does not decode, or metadata that
// is not empty, refuses the op the same way on every replica.
func (s *Server) applyRestoreMetadata(op uint64, file []byte) []byte {
	if !s.meta.Empty() {
		return metadata.AppendResult(nil, metadata.Result{}, wire.ErrInvalidCommand.Detail("metadata is not empty: nothing restored"))
	}
	if err := s.meta.Restore(file); err != nil {
		return metadata.AppendResult(nil, metadata.Result{}, wire.ErrInvalidFormat.Detail("metadata snapshot: %v", err))
	}
	s.topology.Lock()
	defer s.topology.Unlock()
	if err := s.restorePartitions(s.applyCtx, s.tiers.listed); err != nil {
		s.failApply(op, err)
	}
	var keys []storage.PartitionKey
	s.meta.View(func(st *metadata.State) { keys = allPartitionKeys(st) })
	for _, key := range keys {
		if _, err := s.parts.open(s.applyCtx, key, false); err != nil {
			s.failApply(op, fmt.Errorf("open restored partition: %w", err))
		}
	}
	s.log.Info("metadata restored from the archive", "partitions", len(keys))
	return metadata.AppendResult(nil, metadata.Result{}, nil)
}

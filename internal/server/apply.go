package server

import (
	"context"
	"fmt"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// applyMetadata applies op to the metadata and makes the partition files
// follow: logs opened for created partitions, removed for deleted ones,
// emptied by purges. It is the one place ops take effect, whether a
// handler calls it directly (cluster.mode none) or the replica applies a
// committed op (vsr). Ops that change the set of partitions hold the
// topology lock throughout, so no request sees metadata and files disagree.
func (s *Server) applyMetadata(ctx context.Context, op metadata.Op) (metadata.Result, error) {
	var res metadata.Result
	var err error
	switch op := op.(type) {
	case metadata.CreateTopic, metadata.CreatePartitions, metadata.DeletePartitions:
		s.topology.Lock()
		defer s.topology.Unlock()
		if res, err = s.meta.Submit(ctx, op); err != nil {
			return res, err
		}
		err = s.resizePartitions(ctx, op, res)
	case metadata.DeleteStream:
		err = s.changePartitions(ctx, op, s.removePartitions, &res)
	case metadata.DeleteTopic:
		err = s.changePartitions(ctx, op, s.removePartitions, &res)
	case metadata.PurgeStream:
		err = s.changePartitions(ctx, op, s.purgePartitions, &res)
	case metadata.PurgeTopic:
		err = s.changePartitions(ctx, op, s.purgePartitions, &res)
	default:
		res, err = s.meta.Submit(ctx, op)
	}
	if err != nil {
		return res, err
	}
	s.groupsMu.Lock()
	s.members.Observe(op, res)
	s.groupsMu.Unlock()
	return res, nil
}

// resizePartitions opens or removes the logs of the partitions a
// CreateTopic, CreatePartitions or DeletePartitions added or took away.
// The caller holds topology.
func (s *Server) resizePartitions(ctx context.Context, op metadata.Op, res metadata.Result) error {
	streamID, topicID := res.StreamID, res.TopicID
	switch op := op.(type) {
	case metadata.CreateTopic:
		return s.openNewPartitions(ctx, streamID, topicID, 0, res.PartitionsCount)
	case metadata.CreatePartitions:
		return s.openNewPartitions(ctx, streamID, topicID, res.PartitionsCount-op.Count, res.PartitionsCount)
	case metadata.DeletePartitions:
		var keys []storage.PartitionKey
		for p := res.PartitionsCount; p < res.PartitionsCount+op.Count; p++ {
			keys = append(keys, storage.PartitionKey{Stream: streamID, Topic: topicID, Partition: p})
		}
		return s.removePartitions(ctx, keys)
	}
	return nil
}

// changePartitions applies a stream or topic delete or purge under the
// topology lock, then fileOp to the partitions it covered before.
func (s *Server) changePartitions(ctx context.Context, op metadata.Op,
	fileOp func(context.Context, []storage.PartitionKey) error, res *metadata.Result) error {
	s.topology.Lock()
	defer s.topology.Unlock()
	keys, err := s.partitionsOf(op)
	if err != nil {
		return err
	}
	if *res, err = s.meta.Submit(ctx, op); err != nil {
		return err
	}
	return fileOp(ctx, keys)
}

// partitionsOf lists the partitions a stream or topic op covers, resolving
// its identifiers the way metadata.Apply will.
func (s *Server) partitionsOf(op metadata.Op) ([]storage.PartitionKey, error) {
	var streamID wire.Identifier
	var topicID *wire.Identifier
	switch op := op.(type) {
	case metadata.DeleteStream:
		streamID = op.Stream
	case metadata.PurgeStream:
		streamID = op.Stream
	case metadata.DeleteTopic:
		streamID, topicID = op.Stream, &op.Topic
	case metadata.PurgeTopic:
		streamID, topicID = op.Stream, &op.Topic
	default:
		return nil, fmt.Errorf("server: %s covers no partitions", metadata.OpName(op))
	}
	var sid, tid uint32
	var err error
	s.meta.View(func(st *metadata.State) { sid, tid, err = resolveIDs(st, streamID, topicID) })
	if err != nil {
		return nil, err
	}
	if topicID == nil {
		return s.partitionKeys(sid, nil), nil
	}
	return s.partitionKeys(sid, &tid), nil
}

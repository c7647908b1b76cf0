package server

import (
	"context"
	"fmt"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// partitionStats reads one partition's size from its open log.
func (s *Server) partitionStats(streamID, topicID, partitionID uint32) partition.Stats {
	if pl := s.parts.get(storage.PartitionKey{Stream: streamID, Topic: topicID, Partition: partitionID}); pl != nil {
		return s.statsOf(pl) // with archived history
	}
	return partition.Stats{}
}

func (s *Server) topicHeader(t *metadata.Topic) wire.TopicHeader {
	h := wire.TopicHeader{ID: t.ID, CreatedAtMicros: t.CreatedAtMicros, PartitionsCount: t.PartitionsCount(),
		MessageExpiry: t.MessageExpiryMicros, CompressionAlgorithm: t.Compression, MaxTopicSize: t.SizeBytesMax,
		ReplicationFactor: t.ReplicationFactor, Name: t.Name}
	for p := range t.PartitionsCount() {
		ps := s.partitionStats(t.StreamID, t.ID, p)
		h.SizeBytes += ps.SizeBytes
		h.MessagesCount += ps.MessagesCount
	}
	return h
}

func (s *Server) topicDetails(t *metadata.Topic) wire.TopicDetails {
	d := wire.TopicDetails{TopicHeader: s.topicHeader(t)}
	for _, p := range t.Partitions {
		ps := s.partitionStats(t.StreamID, t.ID, p.ID)
		d.Partitions = append(d.Partitions, wire.PartitionInfo{ID: p.ID, CreatedAtMicros: p.CreatedAtMicros,
			SegmentsCount: uint32(ps.SegmentsCount), CurrentOffset: currentOffset(ps), SizeBytes: ps.SizeBytes,
			MessagesCount: ps.MessagesCount})
	}
	return d
}

// currentOffset is the wire's "current offset": the last offset, 0 when empty.
func currentOffset(ps partition.Stats) uint64 {
	if ps.NextOffset == 0 {
		return 0
	}
	return ps.NextOffset - 1
}

func (s *Server) streamHeader(st *metadata.Stream) wire.StreamHeader {
	h := wire.StreamHeader{ID: st.ID, CreatedAtMicros: st.CreatedAtMicros, TopicsCount: uint32(st.TopicsCount()), Name: st.Name}
	for t := range st.Topics() {
		th := s.topicHeader(t)
		h.SizeBytes += th.SizeBytes
		h.MessagesCount += th.MessagesCount
	}
	return h
}

func (c *session) getStream(userID uint32, q wire.GetStreamRequest) ([]byte, error) {
	var out []byte
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		stream, rerr := st.ResolveStream(q.StreamID)
		if rerr != nil {
			return // not found is an empty answer (§8.10)
		}
		if err = authorizeIn(st, userID, metadata.ActionReadStream, stream.ID, 0); err != nil {
			return
		}
		d := wire.StreamDetails{StreamHeader: c.srv.streamHeader(stream)}
		for t := range stream.Topics() {
			d.Topics = append(d.Topics, c.srv.topicHeader(t))
		}
		out = d.AppendTo(c.scratch[:0])
	})
	return out, err
}

func (c *session) getStreams(userID uint32) ([]byte, error) {
	out := c.scratch[:0]
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		if err = authorizeIn(st, userID, metadata.ActionListStreams, 0, 0); err != nil {
			return
		}
		for stream := range st.Streams() {
			out = c.srv.streamHeader(stream).AppendTo(out)
		}
	})
	return out, err
}

func (c *session) createStream(ctx context.Context, userID uint32, q wire.CreateStreamRequest) ([]byte, error) {
	if err := c.authorize(userID, metadata.ActionCreateStream, 0, 0); err != nil {
		return nil, err
	}
	res, err := c.srv.submit(ctx, metadata.CreateStream{Name: q.Name, CreatedAtMicros: nowMicros()})
	if err != nil {
		return nil, err
	}
	var out []byte
	c.srv.meta.View(func(st *metadata.State) {
		if stream := st.Stream(res.StreamID); stream != nil {
			out = c.srv.streamHeader(stream).AppendTo(c.scratch[:0])
		}
	})
	return out, nil
}

// resolveForAction resolves a stream (and optionally a topic) and checks
// the action on them, in one view.
func (c *session) resolveForAction(userID uint32, action metadata.Action, streamID wire.Identifier, topicID *wire.Identifier) (sid, tid uint32, err error) {
	c.srv.meta.View(func(st *metadata.State) {
		if sid, tid, err = resolveIDs(st, streamID, topicID); err == nil {
			err = authorizeIn(st, userID, action, sid, tid)
		}
	})
	return sid, tid, err
}

// resolveIDs resolves a stream and, if topicID is set, one of its topics
// to their numeric ids.
func resolveIDs(st *metadata.State, streamID wire.Identifier, topicID *wire.Identifier) (sid, tid uint32, err error) {
	stream, err := st.ResolveStream(streamID)
	if err != nil {
		return 0, 0, err
	}
	if topicID != nil {
		topic, err := stream.ResolveTopic(*topicID)
		if err != nil {
			return 0, 0, err
		}
		tid = topic.ID
	}
	return stream.ID, tid, nil
}

func (c *session) updateStream(ctx context.Context, userID uint32, q wire.UpdateStreamRequest) ([]byte, error) {
	sid, _, err := c.resolveForAction(userID, metadata.ActionManageStream, q.StreamID, nil)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.UpdateStream{Stream: wire.NumericID(sid), Name: q.Name})
	return nil, err
}

// partitionKeys lists every partition key of a stream (or of one topic).
func (s *Server) partitionKeys(streamID uint32, topicID *uint32) []storage.PartitionKey {
	var keys []storage.PartitionKey
	s.meta.View(func(st *metadata.State) {
		stream := st.Stream(streamID)
		if stream == nil {
			return
		}
		for t := range stream.Topics() {
			if topicID != nil && t.ID != *topicID {
				continue
			}
			for p := range t.PartitionsCount() {
				keys = append(keys, storage.PartitionKey{Stream: streamID, Topic: t.ID, Partition: p})
			}
		}
	})
	return keys
}

func (c *session) deleteStream(ctx context.Context, userID uint32, q wire.DeleteStreamRequest) ([]byte, error) {
	sid, _, err := c.resolveForAction(userID, metadata.ActionManageStream, q.StreamID, nil)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.DeleteStream{Stream: wire.NumericID(sid)})
	return nil, err
}

func (s *Server) removePartitions(ctx context.Context, keys []storage.PartitionKey) error {
	for _, key := range keys {
		if err := s.parts.remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) purgePartitions(ctx context.Context, keys []storage.PartitionKey) error {
	for _, key := range keys {
		pl := s.parts.get(key)
		if pl == nil {
			continue
		}
		if err := pl.with(func(l *partition.Log) error { return l.Purge(ctx) }); err != nil {
			return fmt.Errorf("server: purge %s: %w", key, err)
		}
	}
	return nil
}

func (c *session) purgeStream(ctx context.Context, userID uint32, q wire.PurgeStreamRequest) ([]byte, error) {
	sid, _, err := c.resolveForAction(userID, metadata.ActionManageStream, q.StreamID, nil)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.PurgeStream{Stream: wire.NumericID(sid)})
	return nil, err
}

func (c *session) getTopic(userID uint32, q wire.GetTopicRequest) ([]byte, error) {
	var out []byte
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		t, rerr := st.ResolveTopic(q.StreamID, q.TopicID)
		if rerr != nil {
			return // empty answer
		}
		if err = authorizeIn(st, userID, metadata.ActionReadTopic, t.StreamID, t.ID); err != nil {
			return
		}
		out = c.srv.topicDetails(t).AppendTo(c.scratch[:0])
	})
	return out, err
}

func (c *session) getTopics(userID uint32, q wire.GetTopicsRequest) ([]byte, error) {
	out := c.scratch[:0]
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		stream, rerr := st.ResolveStream(q.StreamID)
		if rerr != nil {
			return
		}
		if err = authorizeIn(st, userID, metadata.ActionReadTopics, stream.ID, 0); err != nil {
			return
		}
		for t := range stream.Topics() {
			out = c.srv.topicHeader(t).AppendTo(out)
		}
	})
	return out, err
}

func (c *session) createTopic(ctx context.Context, userID uint32, q wire.CreateTopicRequest) ([]byte, error) {
	sid, _, err := c.resolveForAction(userID, metadata.ActionCreateTopic, q.StreamID, nil)
	if err != nil {
		return nil, err
	}
	s := c.srv
	res, err := s.submit(ctx, metadata.CreateTopic{Stream: wire.NumericID(sid), Name: q.Name, PartitionsCount: q.PartitionsCount,
		Compression: q.CompressionAlgorithm, MessageExpiryMicros: q.MessageExpiry, SizeBytesMax: q.MaxTopicSize,
		ReplicationFactor: q.ReplicationFactor, CreatedAtMicros: nowMicros()})
	if err != nil {
		return nil, err
	}
	var out []byte
	s.meta.View(func(st *metadata.State) {
		if stream := st.Stream(sid); stream != nil {
			if t := stream.Topic(res.TopicID); t != nil {
				out = s.topicDetails(t).AppendTo(c.scratch[:0])
			}
		}
	})
	return out, nil
}

// openNewPartitions opens logs for partitions [from, to) of a topic, first
// removing files a deleted partition with the same ids may have left.
func (s *Server) openNewPartitions(ctx context.Context, streamID, topicID, from, to uint32) error {
	for p := from; p < to; p++ {
		if _, err := s.parts.open(ctx, storage.PartitionKey{Stream: streamID, Topic: topicID, Partition: p}, true); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	return nil
}

func (c *session) updateTopic(ctx context.Context, userID uint32, q wire.UpdateTopicRequest) ([]byte, error) {
	sid, tid, err := c.resolveForAction(userID, metadata.ActionManageTopic, q.StreamID, &q.TopicID)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.UpdateTopic{Stream: wire.NumericID(sid), Topic: wire.NumericID(tid), Name: q.Name,
		Compression: q.CompressionAlgorithm, MessageExpiryMicros: q.MessageExpiry, SizeBytesMax: q.MaxTopicSize,
		ReplicationFactor: q.ReplicationFactor})
	return nil, err
}

func (c *session) deleteTopic(ctx context.Context, userID uint32, q wire.DeleteTopicRequest) ([]byte, error) {
	sid, tid, err := c.resolveForAction(userID, metadata.ActionManageTopic, q.StreamID, &q.TopicID)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.DeleteTopic{Stream: wire.NumericID(sid), Topic: wire.NumericID(tid)})
	return nil, err
}

func (c *session) purgeTopic(ctx context.Context, userID uint32, q wire.PurgeTopicRequest) ([]byte, error) {
	sid, tid, err := c.resolveForAction(userID, metadata.ActionManageTopic, q.StreamID, &q.TopicID)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.PurgeTopic{Stream: wire.NumericID(sid), Topic: wire.NumericID(tid)})
	return nil, err
}

func (c *session) createPartitions(ctx context.Context, userID uint32, q wire.CreatePartitionsRequest) ([]byte, error) {
	sid, tid, err := c.resolveForAction(userID, metadata.ActionManageTopic, q.StreamID, &q.TopicID)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.CreatePartitions{Stream: wire.NumericID(sid), Topic: wire.NumericID(tid),
		Count: q.PartitionsCount, CreatedAtMicros: nowMicros()})
	return nil, err
}

func (c *session) deletePartitions(ctx context.Context, userID uint32, q wire.DeletePartitionsRequest) ([]byte, error) {
	sid, tid, err := c.resolveForAction(userID, metadata.ActionManageTopic, q.StreamID, &q.TopicID)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.DeletePartitions{Stream: wire.NumericID(sid), Topic: wire.NumericID(tid), Count: q.PartitionsCount})
	return nil, err
}

func (c *session) deleteSegments(ctx context.Context, userID uint32, q wire.DeleteSegmentsRequest) ([]byte, error) {
	sid, tid, err := c.resolveForAction(userID, metadata.ActionManageTopic, q.StreamID, &q.TopicID)
	if err != nil {
		return nil, err
	}
	s := c.srv
	key := storage.PartitionKey{Stream: sid, Topic: tid, Partition: q.PartitionID}
	if s.node == nil {
		s.topology.RLock()
		defer s.topology.RUnlock()
		pl := s.parts.get(key)
		if pl == nil {
			return nil, wire.ErrPartitionNotFound.Detail("partition %d", q.PartitionID)
		}
		return nil, pl.with(func(l *partition.Log) error {
			_, err := l.DeleteOldestSegments(ctx, int(q.SegmentsCount))
			return err
		})
	}
	return nil, s.deleteSegmentsReplicated(ctx, key, q.SegmentsCount)
}

package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// target is a resolved stream and topic with the partition count seen.
type target struct {
	streamID, topicID uint32
	partitionsCount   uint32
}

func (c *session) resolveTarget(st *metadata.State, userID uint32, action metadata.Action, stream, topic wire.Identifier) (target, *metadata.Topic, error) {
	t, err := st.ResolveTopic(stream, topic)
	if err != nil {
		return target{}, nil, err
	}
	if err := authorizeIn(st, userID, action, t.StreamID, t.ID); err != nil {
		return target{}, nil, err
	}
	return target{streamID: t.StreamID, topicID: t.ID, partitionsCount: t.PartitionsCount()}, t, nil
}

// viewTarget is resolveTarget in its own metadata view.
func (c *session) viewTarget(userID uint32, action metadata.Action, stream, topic wire.Identifier) (target, error) {
	var t target
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		t, _, err = c.resolveTarget(st, userID, action, stream, topic)
	})
	return t, err
}

func (t target) key(partitionID uint32) storage.PartitionKey {
	return storage.PartitionKey{Stream: t.streamID, Topic: t.topicID, Partition: partitionID}
}

// partitionLog returns the open log of a partition that metadata says
// exists. The caller holds topology (read).
func (s *Server) partitionLog(t target, partitionID uint32) (*partitionLog, error) {
	if partitionID >= t.partitionsCount {
		return nil, wire.ErrPartitionNotFound.Detail("partition %d of %d", partitionID, t.partitionsCount)
	}
	pl := s.parts.get(t.key(partitionID))
	if pl == nil {
		// Metadata and logs change together under topology; a miss is a bug.
		panic("server: partition " + t.key(partitionID).String() + " in metadata has no open log")
	}
	return pl, nil
}

func (s *Server) balancedCounter(t target) *atomic.Uint32 {
	s.balancedMu.Lock()
	defer s.balancedMu.Unlock()
	k := topicKey{t.streamID, t.topicID}
	ctr := s.balanced[k]
	if ctr == nil {
		ctr = &atomic.Uint32{}
		s.balanced[k] = ctr
	}
	return ctr
}

func (s *Server) choosePartition(t target, p wire.Partitioning) (uint32, error) {
	switch p.Kind {
	case wire.PartitioningPartitionID:
		return binary.LittleEndian.Uint32(p.Value), nil
	case wire.PartitioningMessagesKey:
		if t.partitionsCount == 0 {
			return 0, wire.ErrNoPartitions
		}
		return wire.XXH32(p.Value, 0) % t.partitionsCount, nil
	default: // balanced
		if t.partitionsCount == 0 {
			return 0, wire.ErrNoPartitions
		}
		return (s.balancedCounter(t).Add(1) - 1) % t.partitionsCount, nil
	}
}

func (c *session) sendMessages(ctx context.Context, userID uint32, q wire.SendMessagesRequest) ([]byte, error) {
	s := c.srv
	if s.node != nil {
		return nil, c.sendReplicated(ctx, userID, q)
	}
	s.topology.RLock()
	defer s.topology.RUnlock()
	pl, err := c.sendTarget(ctx, userID, q)
	if err != nil {
		return nil, err
	}
	if _, err := s.appendTraced(ctx, pl, q.Messages, q.Count, nowMicros()); err != nil {
		return nil, err
	}
	s.writtenBytes.Add(uint64(len(q.Messages)))
	pl.traffic.appended(q.Count, len(q.Messages))
	return nil, nil
}

// sendTarget checks the send, picks its partition and gives the messages
// without an id one. The caller holds topology (read).
func (c *session) sendTarget(ctx context.Context, userID uint32, q wire.SendMessagesRequest) (*partitionLog, error) {
	s := c.srv
	t, err := c.viewTarget(userID, metadata.ActionSend, q.StreamID, q.TopicID)
	if err != nil {
		return nil, err
	}
	pid, err := s.choosePartition(t, q.Partitioning)
	if err != nil {
		return nil, err
	}
	pl, err := s.partitionLog(t, pid)
	if err != nil {
		return nil, err
	}
	s.annotatePartition(ctx, t, pid)
	return pl, assignMissingIDs(q)
}

// sendReplicated orders the batch through the replica: offsets and
// timestamps are given when it is applied. The topology lock is released
// before submitting, because applying a topic delete on the replica's loop
// takes it. A batch larger than one prepare goes as several, in order,
// each waiting for the one before.
func (c *session) sendReplicated(ctx context.Context, userID uint32, q wire.SendMessagesRequest) error {
	s := c.srv
	s.topology.RLock()
	pl, err := c.sendTarget(ctx, userID, q)
	s.topology.RUnlock()
	if err != nil {
		return err
	}
	partBytesMax := int(s.cfg.Cluster.PrepareSizeMax) - vsr.HeaderSize - vsr.AppendOpHeaderBytes
	return splitBatch(q, partBytesMax, func(first, count int, frames []byte) error {
		body := vsr.EncodeAppend(vsr.AppendOp{PartitionRef: vsr.PartitionRef{Stream: pl.key.Stream, Topic: pl.key.Topic,
			Partition: pl.key.Partition}, Count: uint32(count), Frames: frames})
		reply, err := s.submitReplicated(ctx, vsr.OperationAppend, body)
		if err != nil {
			return err
		}
		res, err := vsr.DecodeAppendResult(reply)
		if err != nil {
			return fmt.Errorf("server: append reply: %w", err)
		}
		switch res.Code {
		case vsr.CodeOK:
		case vsr.CodeUnknownPartition:
			return wire.ErrPartitionNotFound.Detail("partition %d was deleted", pl.key.Partition)
		default:
			return wire.ErrInvalidMessagesCount.Detail("messages %d..%d refused (code %d)", first, first+count-1, res.Code)
		}
		s.writtenBytes.Add(uint64(len(frames)))
		pl.traffic.appended(uint32(count), len(frames))
		return nil
	})
}

// splitBatch calls fn for consecutive runs of q's messages of at most
// partBytesMax bytes each (one run when the batch fits), stopping at the
// first error. A single message larger than partBytesMax is refused.
func splitBatch(q wire.SendMessagesRequest, partBytesMax int, fn func(first, count int, frames []byte) error) error {
	if len(q.Messages) <= partBytesMax {
		return fn(0, int(q.Count), q.Messages)
	}
	start, first := 0, 0
	end := 0
	for i := range int(q.Count) {
		size := len(q.Frame(i))
		if size > partBytesMax {
			return wire.ErrTooBigMessagePayload.Detail("message %d is %d bytes; one operation holds at most %d", i, size, partBytesMax)
		}
		if end+size-start > partBytesMax {
			if err := fn(first, i-first, q.Messages[start:end]); err != nil {
				return err
			}
			start, first = end, i
		}
		end += size
	}
	return fn(first, int(q.Count)-first, q.Messages[start:end])
}

// assignMissingIDs gives every message sent with id 0 a random UUID v4, as
// Iggy does: one random read for the whole batch.
func assignMissingIDs(q wire.SendMessagesRequest) error {
	missing := 0
	for i := range int(q.Count) {
		if wire.MessageIDIsZero(q.Frame(i)) {
			missing++
		}
	}
	if missing == 0 {
		return nil
	}
	random := make([]byte, 16*missing)
	if _, err := rand.Read(random); err != nil {
		return err
	}
	for i := range int(q.Count) {
		frame := q.Frame(i)
		if !wire.MessageIDIsZero(frame) {
			continue
		}
		id := random[:16]
		random = random[16:]
		// Iggy stores Uuid::as_u128 little-endian: UUID byte k is u128 byte
		// 15-k, so version (byte 6) and variant (byte 8) land at 9 and 7.
		id[9] = id[9]&0x0f | 0x40
		id[7] = id[7]&0x3f | 0x80
		wire.SetMessageID(frame, binary.LittleEndian.Uint64(id[0:]), binary.LittleEndian.Uint64(id[8:]))
	}
	return nil
}

// consumerTarget is where a consumer's offset lives.
type consumerTarget struct {
	target
	partitionID uint32
	kind        metadata.ConsumerKind
	consumerID  uint32
	group       metadata.GroupKey
	// owned is false for a group member asking for a partition it does not
	// own (or owning none): polls answer empty.
	owned bool
}

// resolveConsumer resolves a consumer with an optional partition (§3.8).
// next selects the partition of a group member with round-robin (polls);
// otherwise the member's current partition is used (offset commands).
func (c *session) resolveConsumer(userID uint32, consumer wire.Consumer, stream, topic wire.Identifier, pid wire.OptionalPartitionID, next bool) (consumerTarget, error) {
	var ct consumerTarget
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		var t *metadata.Topic
		ct.target, t, err = c.resolveTarget(st, userID, metadata.ActionPoll, stream, topic)
		if err != nil {
			return
		}
		if consumer.Kind == wire.ConsumerSingle {
			ct.kind, ct.consumerID, ct.owned = metadata.ConsumerSingle, wire.ConsumerKey(consumer.ID), true
			if pid.Set {
				ct.partitionID = pid.ID
			}
			return
		}
		var g *metadata.Group
		if g, err = t.ResolveGroup(consumer.ID); err != nil {
			return
		}
		ct.kind, ct.consumerID = metadata.ConsumerGroup, g.ID
		ct.group = metadata.GroupKey{StreamID: t.StreamID, TopicID: t.ID, GroupID: g.ID}
		err = c.resolveMemberPartition(&ct, pid, next)
	})
	return ct, err
}

func (c *session) resolveMemberPartition(ct *consumerTarget, pid wire.OptionalPartitionID, next bool) error {
	c.srv.groupsMu.Lock()
	defer c.srv.groupsMu.Unlock()
	m := c.srv.members
	if pid.Set {
		owns, err := m.OwnsPartition(ct.group, c.id, pid.ID)
		ct.partitionID, ct.owned = pid.ID, owns
		return err
	}
	var p uint32
	var ok bool
	var err error
	if next {
		p, ok, err = m.NextPartition(ct.group, c.id)
	} else {
		p, ok, err = m.CurrentPartition(ct.group, c.id)
	}
	ct.partitionID, ct.owned = p, ok
	return err
}

// offsetLock returns the stripe of Server.offsetLocks for ct's offset.
func (s *Server) offsetLock(ct consumerTarget) *sync.Mutex {
	h := uint64(ct.streamID)
	for _, v := range []uint32{ct.topicID, ct.partitionID, uint32(ct.kind), ct.consumerID} {
		h = h*0x100000001b3 ^ uint64(v)
	}
	return &s.offsetLocks[h%offsetLockStripes]
}

func (ct consumerTarget) offsetKey() metadata.OffsetKey {
	return metadata.OffsetKey{PartitionID: ct.partitionID, Kind: ct.kind, ConsumerID: ct.consumerID}
}

func (ct consumerTarget) pendingKey() consumerOffsetKey {
	return consumerOffsetKey{stream: ct.streamID, topic: ct.topicID, OffsetKey: ct.offsetKey()}
}

// storedOffset is the consumer's stored offset.
func (c *session) storedOffset(ct consumerTarget) (uint64, bool) {
	var off uint64
	var ok bool
	c.srv.meta.View(func(st *metadata.State) {
		off, ok = c.srv.storedOffsetIn(st, ct.streamID, ct.topicID, ct.offsetKey())
	})
	return off, ok
}

// storedOffsetIn is a consumer's stored offset, or the one a poll with
// auto-commit moved it to and the replica has not applied yet (VSR mode):
// what the next poll continues from.
func (s *Server) storedOffsetIn(st *metadata.State, streamID, topicID uint32, key metadata.OffsetKey) (uint64, bool) {
	if s.offsets != nil {
		if off, ok := s.offsets.get(consumerOffsetKey{stream: streamID, topic: topicID, OffsetKey: key}); ok {
			return off, true
		}
	}
	return st.ConsumerOffset(streamID, topicID, key)
}

func (c *session) pollMessages(ctx context.Context, userID uint32, q wire.PollMessagesRequest) ([]byte, error) {
	s := c.srv
	s.topology.RLock()
	defer s.topology.RUnlock()
	ct, err := c.resolveConsumer(userID, q.Consumer, q.StreamID, q.TopicID, q.PartitionID, true)
	if err != nil {
		return nil, err
	}
	out := wire.AppendPolledHeader(c.scratch[:0], 0, 0, 0)
	if !ct.owned {
		return out, nil
	}
	pl, err := s.partitionLog(ct.target, ct.partitionID)
	if err != nil {
		return nil, err
	}
	s.annotatePartition(ctx, ct.target, ct.partitionID)
	if q.Strategy.Kind == wire.PollingNext && q.AutoCommit {
		mu := s.offsetLock(ct)
		mu.Lock()
		defer mu.Unlock()
	}
	stored, hasStored := uint64(0), false
	if q.Strategy.Kind == wire.PollingNext {
		stored, hasStored = c.storedOffset(ct)
	}
	var count uint32
	var start uint64
	out, count, start, err = s.pollRead(ctx, pl, ct.partitionID, q, stored, hasStored, out)
	if err != nil {
		return nil, err
	}
	wire.PutPolledHeader(out, ct.partitionID, binary.LittleEndian.Uint64(out[4:]), count)
	s.readBytes.Add(uint64(len(out) - wire.PolledHeaderSize))
	pl.traffic.read(count, len(out)-wire.PolledHeaderSize)
	c.scratch = out
	if q.AutoCommit && count > 0 {
		op := metadata.StoreConsumerOffset{Stream: wire.NumericID(ct.streamID), Topic: wire.NumericID(ct.topicID),
			PartitionID: ct.partitionID, Kind: ct.kind, ConsumerID: ct.consumerID, Offset: start + uint64(count) - 1}
		// The poll answer does not wait for the offset's fsync: a crash can
		// redeliver, never skip (at-least-once, as in Iggy).
		if s.offsets != nil {
			s.offsets.put(ct.pendingKey(), op.Offset)
		} else if _, err := s.meta.SubmitNoWait(op); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// startOffset picks the first offset a poll returns; ok is false when the
// strategy points past the end.
func startOffset(ctx context.Context, l *partition.Log, ps partition.Stats, q wire.PollMessagesRequest, stored uint64, hasStored bool) (uint64, bool, error) {
	if ps.MessagesCount == 0 {
		return 0, false, nil
	}
	var start uint64
	switch q.Strategy.Kind {
	case wire.PollingOffset:
		start = q.Strategy.Value
	case wire.PollingTimestamp:
		off, ok, err := l.OffsetAtTimestamp(ctx, q.Strategy.Value)
		if err != nil || !ok {
			return 0, false, err
		}
		start = off
	case wire.PollingFirst:
		start = ps.FirstOffset
	case wire.PollingLast:
		n := min(uint64(q.Count), ps.NextOffset)
		start = ps.NextOffset - n
	case wire.PollingNext:
		start = ps.FirstOffset
		if hasStored {
			start = stored + 1
		}
	}
	start = max(start, ps.FirstOffset)
	return start, start < ps.NextOffset, nil
}

func (c *session) getOffset(userID uint32, q wire.GetConsumerOffsetRequest) ([]byte, error) {
	ct, err := c.resolveConsumer(userID, q.Consumer, q.StreamID, q.TopicID, q.PartitionID, false)
	if err != nil {
		code := wire.StatusCode(err)
		if code == wire.ErrUnauthenticated.Code || code == wire.ErrUnauthorized.Code {
			return nil, err
		}
		return nil, nil // Rust answers lookup failures with "no offset" (§8.15)
	}
	stored, ok := c.storedOffset(ct)
	if !ok || !ct.owned && ct.kind == metadata.ConsumerGroup {
		return nil, nil
	}
	ps := c.srv.partitionStats(ct.streamID, ct.topicID, ct.partitionID)
	return wire.OffsetInfo{PartitionID: ct.partitionID, CurrentOffset: currentOffset(ps), StoredOffset: stored}.AppendTo(c.scratch[:0]), nil
}

func (c *session) storeOffset(ctx context.Context, userID uint32, q wire.StoreConsumerOffsetRequest) ([]byte, error) {
	s := c.srv
	ct, err := c.checkStoreOffset(userID, q)
	if err != nil {
		return nil, err
	}
	if s.offsets != nil {
		s.offsets.drop(ct.pendingKey())
	}
	_, err = s.submit(ctx, metadata.StoreConsumerOffset{Stream: wire.NumericID(ct.streamID), Topic: wire.NumericID(ct.topicID),
		PartitionID: ct.partitionID, Kind: ct.kind, ConsumerID: ct.consumerID, Offset: q.Offset})
	return nil, err
}

// checkStoreOffset resolves the consumer and checks the offset exists,
// under topology (read), which submit must not hold: the replica takes it
// to apply topology changes.
func (c *session) checkStoreOffset(userID uint32, q wire.StoreConsumerOffsetRequest) (consumerTarget, error) {
	s := c.srv
	s.topology.RLock()
	defer s.topology.RUnlock()
	ct, err := c.resolveConsumer(userID, q.Consumer, q.StreamID, q.TopicID, q.PartitionID, false)
	if err != nil {
		return ct, err
	}
	if _, err := s.partitionLog(ct.target, ct.partitionID); err != nil {
		return ct, err
	}
	ps := s.partitionStats(ct.streamID, ct.topicID, ct.partitionID)
	if ps.MessagesCount == 0 || q.Offset >= ps.NextOffset {
		return ct, wire.ErrInvalidOffset.Detail("offset %d is past the last offset of partition %d", q.Offset, ct.partitionID)
	}
	return ct, nil
}

func (c *session) deleteOffset(ctx context.Context, userID uint32, q wire.DeleteConsumerOffsetRequest) ([]byte, error) {
	ct, err := c.resolveConsumer(userID, q.Consumer, q.StreamID, q.TopicID, q.PartitionID, false)
	if err != nil {
		return nil, err
	}
	if c.srv.offsets != nil {
		c.srv.offsets.drop(ct.pendingKey())
	}
	_, err = c.srv.submit(ctx, metadata.DeleteConsumerOffset{Stream: wire.NumericID(ct.streamID), Topic: wire.NumericID(ct.topicID),
		PartitionID: ct.partitionID, Kind: ct.kind, ConsumerID: ct.consumerID})
	return nil, err
}

// flush makes a partition's appended messages durable when fsync is asked;
// without it there is nothing to do, because appends reach the OS before
// they are acknowledged.
func (c *session) flush(ctx context.Context, userID uint32, q wire.FlushUnsavedBufferRequest) ([]byte, error) {
	s := c.srv
	s.topology.RLock()
	defer s.topology.RUnlock()
	t, err := c.viewTarget(userID, metadata.ActionSend, q.StreamID, q.TopicID)
	if err != nil {
		return nil, err
	}
	pl, err := s.partitionLog(t, q.PartitionID)
	if err != nil || !q.Fsync {
		return nil, err
	}
	return nil, pl.sync(ctx)
}

package metadata

import (
	"fmt"
	"unicode/utf8"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Apply validates op against the state and, only if it is valid, applies
// it. A failing Apply changes nothing. Errors are wire status sentinels
// (errors.Is(err, wire.ErrTopicIDNotFound), ...).
func (s *State) Apply(op Op) (Result, error) {
	switch op := op.(type) {
	case CreateStream:
		return s.createStream(op)
	case UpdateStream:
		return s.updateStream(op)
	case DeleteStream:
		return s.deleteStream(op)
	case PurgeStream:
		return s.purgeStream(op)
	case CreateTopic:
		return s.createTopic(op)
	case UpdateTopic:
		return s.updateTopic(op)
	case DeleteTopic:
		return s.deleteTopic(op)
	case PurgeTopic:
		return s.purgeTopic(op)
	case CreatePartitions:
		return s.createPartitions(op)
	case DeletePartitions:
		return s.deletePartitions(op)
	case CreateConsumerGroup:
		return s.createGroup(op)
	case DeleteConsumerGroup:
		return s.deleteGroup(op)
	case StoreConsumerOffset:
		return s.storeOffset(op)
	case DeleteConsumerOffset:
		return s.deleteOffset(op)
	}
	return s.applyUserOp(op)
}

func (s *State) applyUserOp(op Op) (Result, error) {
	switch op := op.(type) {
	case CreateUser:
		return s.createUser(op)
	case UpdateUser:
		return s.updateUser(op)
	case UpdatePermissions:
		return s.updatePermissions(op)
	case ChangePassword:
		return s.changePassword(op)
	case DeleteUser:
		return s.deleteUser(op)
	case CreatePAT:
		return s.createPAT(op)
	case DeletePAT:
		return s.deletePAT(op)
	case DeleteExpiredPATs:
		s.deleteExpiredPATs(op)
		return Result{}, nil
	}
	return Result{}, wire.ErrInvalidCommand.Detail("metadata: unknown op %T", op)
}

// checkName enforces the 1..255 byte rule of every entity name (§2.2).
func checkName(name string, bytesMin, bytesMax int, code *wire.Error, what string) error {
	if len(name) < bytesMin || len(name) > bytesMax || !utf8.ValidString(name) {
		return code.Detail("metadata: %s name must be %d..%d bytes of UTF-8, got %d bytes",
			what, bytesMin, bytesMax, len(name))
	}
	return nil
}

func checkCompression(c uint8) error {
	if c != compressionNone && c != compressionGzip {
		return wire.ErrInvalidCommand.Detail("metadata: compression algorithm %d is not 1 (none) or 2 (gzip)", c)
	}
	return nil
}

func limitReached(what string, n uint32) error {
	return wire.ErrGeneric.Detail("metadata: limit of %d %s reached", n, what)
}

func (s *State) createStream(op CreateStream) (Result, error) {
	if err := checkName(op.Name, 1, nameBytesMax, wire.ErrInvalidStreamName, "stream"); err != nil {
		return Result{}, err
	}
	if _, dup := s.streamNames[op.Name]; dup {
		return Result{}, wire.ErrStreamNameExists.Detail("metadata: stream %q already exists", op.Name)
	}
	if s.streams.len() >= int(s.cfg.StreamsMax) {
		return Result{}, limitReached("streams", s.cfg.StreamsMax)
	}
	st := &Stream{ID: s.streams.nextID(), Name: op.Name, CreatedAtMicros: op.CreatedAtMicros,
		topicNames: map[string]uint32{}}
	s.streams.insert(st)
	s.streamNames[st.Name] = st.ID
	return Result{StreamID: st.ID}, nil
}

func (s *State) updateStream(op UpdateStream) (Result, error) {
	if err := checkName(op.Name, 1, nameBytesMax, wire.ErrInvalidStreamName, "stream"); err != nil {
		return Result{}, err
	}
	st, err := s.ResolveStream(op.Stream)
	if err != nil {
		return Result{}, err
	}
	if other, dup := s.streamNames[op.Name]; dup && other != st.ID {
		return Result{}, wire.ErrStreamNameExists.Detail("metadata: stream %q already exists", op.Name)
	}
	delete(s.streamNames, st.Name)
	st.Name = op.Name
	s.streamNames[st.Name] = st.ID
	return Result{StreamID: st.ID}, nil
}

func (s *State) deleteStream(op DeleteStream) (Result, error) {
	st, err := s.ResolveStream(op.Stream)
	if err != nil {
		return Result{}, err
	}
	delete(s.streamNames, st.Name)
	s.streams.remove(st.ID)
	return Result{StreamID: st.ID}, nil
}

func (s *State) purgeStream(op PurgeStream) (Result, error) {
	st, err := s.ResolveStream(op.Stream)
	if err != nil {
		return Result{}, err
	}
	for t := range st.Topics() {
		clear(t.offsets)
	}
	return Result{StreamID: st.ID}, nil
}

func (s *State) createTopic(op CreateTopic) (Result, error) {
	if err := checkName(op.Name, 1, nameBytesMax, wire.ErrInvalidTopicName, "topic"); err != nil {
		return Result{}, err
	}
	if op.PartitionsCount > s.cfg.PartitionsPerTopicMax {
		return Result{}, wire.ErrTooManyPartitions.Detail("metadata: %d partitions, at most %d",
			op.PartitionsCount, s.cfg.PartitionsPerTopicMax)
	}
	if err := checkCompression(op.Compression); err != nil {
		return Result{}, err
	}
	st, err := s.ResolveStream(op.Stream)
	if err != nil {
		return Result{}, err
	}
	if _, dup := st.topicNames[op.Name]; dup {
		return Result{}, wire.ErrTopicNameExists.Detail("metadata: topic %q already exists in stream %d", op.Name, st.ID)
	}
	if st.topics.len() >= int(s.cfg.TopicsPerStreamMax) {
		return Result{}, limitReached("topics per stream", s.cfg.TopicsPerStreamMax)
	}
	expiry := cmpOr(op.MessageExpiryMicros, s.cfg.TopicMessageExpiryDefaultMicros)
	size := cmpOr(op.SizeBytesMax, s.cfg.TopicSizeBytesMaxDefault)
	if size != SizeUnlimited && size < s.cfg.SegmentSizeBytes {
		return Result{}, wire.ErrInvalidTopicSize.Detail("metadata: max topic size %d is below the segment size %d",
			size, s.cfg.SegmentSizeBytes)
	}
	t := &Topic{
		ID: st.topics.nextID(), StreamID: st.ID, Name: op.Name, CreatedAtMicros: op.CreatedAtMicros,
		MessageExpiryMicros: expiry, Compression: op.Compression, SizeBytesMax: size,
		ReplicationFactor: max(op.ReplicationFactor, 1), groupNames: map[string]uint32{},
	}
	t.appendPartitions(op.PartitionsCount, op.CreatedAtMicros)
	st.topics.insert(t)
	st.topicNames[t.Name] = t.ID
	return Result{StreamID: st.ID, TopicID: t.ID, PartitionsCount: t.PartitionsCount()}, nil
}

// cmpOr returns v, or def when v is ServerDefault.
func cmpOr(v, def uint64) uint64 {
	if v == ServerDefault {
		return def
	}
	return v
}

func (t *Topic) appendPartitions(n uint32, createdAtMicros uint64) {
	for range n {
		t.Partitions = append(t.Partitions, Partition{ID: t.PartitionsCount(), CreatedAtMicros: createdAtMicros})
	}
}

func (s *State) updateTopic(op UpdateTopic) (Result, error) {
	if err := checkName(op.Name, 1, nameBytesMax, wire.ErrInvalidTopicName, "topic"); err != nil {
		return Result{}, err
	}
	if err := checkCompression(op.Compression); err != nil {
		return Result{}, err
	}
	st, err := s.ResolveStream(op.Stream)
	if err != nil {
		return Result{}, err
	}
	t, err := st.ResolveTopic(op.Topic)
	if err != nil {
		return Result{}, err
	}
	if other, dup := st.topicNames[op.Name]; dup && other != t.ID {
		return Result{}, wire.ErrTopicNameExists.Detail("metadata: topic %q already exists in stream %d", op.Name, st.ID)
	}
	delete(st.topicNames, t.Name)
	t.Name = op.Name
	st.topicNames[t.Name] = t.ID
	t.Compression = op.Compression
	t.MessageExpiryMicros = op.MessageExpiryMicros
	t.SizeBytesMax = op.SizeBytesMax
	t.ReplicationFactor = max(op.ReplicationFactor, 1)
	return t.result(), nil
}

func (t *Topic) result() Result {
	return Result{StreamID: t.StreamID, TopicID: t.ID, PartitionsCount: t.PartitionsCount()}
}

func (s *State) deleteTopic(op DeleteTopic) (Result, error) {
	st, err := s.ResolveStream(op.Stream)
	if err != nil {
		return Result{}, err
	}
	t, err := st.ResolveTopic(op.Topic)
	if err != nil {
		return Result{}, err
	}
	delete(st.topicNames, t.Name)
	st.topics.remove(t.ID)
	return Result{StreamID: st.ID, TopicID: t.ID}, nil
}

func (s *State) purgeTopic(op PurgeTopic) (Result, error) {
	t, err := s.ResolveTopic(op.Stream, op.Topic)
	if err != nil {
		return Result{}, err
	}
	clear(t.offsets)
	return t.result(), nil
}

func (s *State) checkPartitionsCount(n uint32) error {
	if n == 0 || n > s.cfg.PartitionsPerTopicMax {
		return wire.ErrTooManyPartitions.Detail("metadata: partitions count %d must be 1..%d",
			n, s.cfg.PartitionsPerTopicMax)
	}
	return nil
}

func (s *State) createPartitions(op CreatePartitions) (Result, error) {
	if err := s.checkPartitionsCount(op.Count); err != nil {
		return Result{}, err
	}
	t, err := s.ResolveTopic(op.Stream, op.Topic)
	if err != nil {
		return Result{}, err
	}
	if uint64(t.PartitionsCount())+uint64(op.Count) > uint64(s.cfg.PartitionsPerTopicMax) {
		return Result{}, wire.ErrTooManyPartitions.Detail("metadata: topic %d/%d would have %d partitions, at most %d",
			t.StreamID, t.ID, uint64(t.PartitionsCount())+uint64(op.Count), s.cfg.PartitionsPerTopicMax)
	}
	t.appendPartitions(op.Count, op.CreatedAtMicros)
	return t.result(), nil
}

func (s *State) deletePartitions(op DeletePartitions) (Result, error) {
	if err := s.checkPartitionsCount(op.Count); err != nil {
		return Result{}, err
	}
	t, err := s.ResolveTopic(op.Stream, op.Topic)
	if err != nil {
		return Result{}, err
	}
	if op.Count > t.PartitionsCount() {
		return Result{}, wire.ErrInvalidPartitionsCount.Detail("metadata: cannot delete %d of %d partitions",
			op.Count, t.PartitionsCount())
	}
	keep := t.PartitionsCount() - op.Count
	t.Partitions = t.Partitions[:keep:keep]
	for k := range t.offsets {
		if k.PartitionID >= keep {
			delete(t.offsets, k)
		}
	}
	return t.result(), nil
}

func (s *State) createGroup(op CreateConsumerGroup) (Result, error) {
	if err := checkName(op.Name, 1, nameBytesMax, wire.ErrInvalidConsumerGroupName, "consumer group"); err != nil {
		return Result{}, err
	}
	t, err := s.ResolveTopic(op.Stream, op.Topic)
	if err != nil {
		return Result{}, err
	}
	if _, dup := t.groupNames[op.Name]; dup {
		return Result{}, wire.ErrConsumerGroupNameExists.Detail("metadata: consumer group %q already exists in topic %d/%d",
			op.Name, t.StreamID, t.ID)
	}
	if t.groups.len() >= int(s.cfg.GroupsPerTopicMax) {
		return Result{}, limitReached("consumer groups per topic", s.cfg.GroupsPerTopicMax)
	}
	g := &Group{ID: t.groups.nextID(), StreamID: t.StreamID, TopicID: t.ID, Name: op.Name}
	t.groups.insert(g)
	t.groupNames[g.Name] = g.ID
	res := t.result()
	res.GroupID = g.ID
	return res, nil
}

func (s *State) deleteGroup(op DeleteConsumerGroup) (Result, error) {
	t, err := s.ResolveTopic(op.Stream, op.Topic)
	if err != nil {
		return Result{}, err
	}
	g, err := t.ResolveGroup(op.Group)
	if err != nil {
		return Result{}, err
	}
	delete(t.groupNames, g.Name)
	t.groups.remove(g.ID)
	for k := range t.offsets {
		if k.Kind == ConsumerGroup && k.ConsumerID == g.ID {
			delete(t.offsets, k)
		}
	}
	res := t.result()
	res.GroupID = g.ID
	return res, nil
}

// offsetTarget resolves and checks what Store/DeleteConsumerOffset name.
func (s *State) offsetTarget(stream, topic wire.Identifier, partitionID uint32, kind ConsumerKind,
	consumerID uint32) (*Topic, Result, error) {
	if kind != ConsumerSingle && kind != ConsumerGroup {
		return nil, Result{}, wire.ErrInvalidCommand.Detail("metadata: consumer kind %d is not 1 or 2", kind)
	}
	t, err := s.ResolveTopic(stream, topic)
	if err != nil {
		return nil, Result{}, err
	}
	if _, err := t.ResolvePartition(partitionID); err != nil {
		return nil, Result{}, err
	}
	res := t.result()
	if kind == ConsumerGroup {
		if t.groups.get(consumerID) == nil {
			return nil, Result{}, wire.ErrConsumerGroupIDNotFound.Detail("metadata: consumer group %d not found in topic %d/%d",
				consumerID, t.StreamID, t.ID)
		}
		res.GroupID = consumerID
	}
	return t, res, nil
}

func (s *State) storeOffset(op StoreConsumerOffset) (Result, error) {
	t, res, err := s.offsetTarget(op.Stream, op.Topic, op.PartitionID, op.Kind, op.ConsumerID)
	if err != nil {
		return Result{}, err
	}
	if t.offsets == nil {
		t.offsets = map[OffsetKey]uint64{}
	}
	t.offsets[OffsetKey{PartitionID: op.PartitionID, Kind: op.Kind, ConsumerID: op.ConsumerID}] = op.Offset
	return res, nil
}

func (s *State) deleteOffset(op DeleteConsumerOffset) (Result, error) {
	t, res, err := s.offsetTarget(op.Stream, op.Topic, op.PartitionID, op.Kind, op.ConsumerID)
	if err != nil {
		return Result{}, err
	}
	key := OffsetKey{PartitionID: op.PartitionID, Kind: op.Kind, ConsumerID: op.ConsumerID}
	if _, ok := t.offsets[key]; !ok {
		return Result{}, wire.ErrConsumerOffsetNotFound.Detail("metadata: no offset stored for %s",
			describeOffsetKey(t, key))
	}
	delete(t.offsets, key)
	return res, nil
}

func describeOffsetKey(t *Topic, k OffsetKey) string {
	who := "consumer"
	if k.Kind == ConsumerGroup {
		who = "group"
	}
	return fmt.Sprintf("%s %d in %d/%d/%d", who, k.ConsumerID, t.StreamID, t.ID, k.PartitionID)
}

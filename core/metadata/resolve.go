package metadata

import "github.com/runnel-io/runnel/sdk/wire"

// ResolveStream finds a stream by numeric id or name; a miss is 1009.
func (s *State) ResolveStream(id wire.Identifier) (*Stream, error) {
	var st *Stream
	switch id.Kind {
	case wire.IdentifierNumeric:
		st = s.streams.get(id.Numeric)
	case wire.IdentifierString:
		if n, ok := s.streamNames[id.Name]; ok {
			st = s.streams.get(n)
		}
	}
	if st == nil {
		return nil, wire.ErrStreamIDNotFound.Detail("metadata: stream %s not found", id)
	}
	return st, nil
}

// ResolveTopic finds a topic inside a stream; misses are 1009 and 2010.
func (s *State) ResolveTopic(stream, topic wire.Identifier) (*Topic, error) {
	st, err := s.ResolveStream(stream)
	if err != nil {
		return nil, err
	}
	return st.ResolveTopic(topic)
}

// ResolveTopic finds a topic of st by numeric id or name; a miss is 2010.
func (st *Stream) ResolveTopic(id wire.Identifier) (*Topic, error) {
	var t *Topic
	switch id.Kind {
	case wire.IdentifierNumeric:
		t = st.topics.get(id.Numeric)
	case wire.IdentifierString:
		if n, ok := st.topicNames[id.Name]; ok {
			t = st.topics.get(n)
		}
	}
	if t == nil {
		return nil, wire.ErrTopicIDNotFound.Detail("metadata: topic %s not found in stream %d", id, st.ID)
	}
	return t, nil
}

// ResolveGroup finds a consumer group; misses are 1009, 2010 and 5000.
func (s *State) ResolveGroup(stream, topic, group wire.Identifier) (*Group, error) {
	t, err := s.ResolveTopic(stream, topic)
	if err != nil {
		return nil, err
	}
	return t.ResolveGroup(group)
}

// ResolveGroup finds a consumer group of t by numeric id or name; a miss is
// 5000.
func (t *Topic) ResolveGroup(id wire.Identifier) (*Group, error) {
	var g *Group
	switch id.Kind {
	case wire.IdentifierNumeric:
		g = t.groups.get(id.Numeric)
	case wire.IdentifierString:
		if n, ok := t.groupNames[id.Name]; ok {
			g = t.groups.get(n)
		}
	}
	if g == nil {
		return nil, wire.ErrConsumerGroupIDNotFound.Detail("metadata: consumer group %s not found in topic %d/%d",
			id, t.StreamID, t.ID)
	}
	return g, nil
}

// ResolvePartition checks that partition id exists in t; a miss is 3007.
func (t *Topic) ResolvePartition(id uint32) (*Partition, error) {
	if id >= t.PartitionsCount() {
		return nil, wire.ErrPartitionNotFound.Detail("metadata: partition %d not found in topic %d/%d",
			id, t.StreamID, t.ID)
	}
	return &t.Partitions[id], nil
}

// ResolveUser finds a user by numeric id or username; a miss is 20.
func (s *State) ResolveUser(id wire.Identifier) (*User, error) {
	var u *User
	switch id.Kind {
	case wire.IdentifierNumeric:
		u = s.users.get(id.Numeric)
	case wire.IdentifierString:
		u = s.UserByName(id.Name)
	}
	if u == nil {
		return nil, wire.ErrResourceNotFound.Detail("metadata: user %s not found", id)
	}
	return u, nil
}

package metadata

import (
	"fmt"
	"slices"
)

// snapshotVersion is the first byte of a snapshot.
const snapshotVersion = 1

// AppendSnapshot appends the whole state in a canonical binary form (slab
// free lists included, so ids handed out after a reload match the ones an
// unbroken run would hand out). The caller adds framing and a checksum.
// The Config is not part of it: LoadSnapshot takes it again.
func (s *State) AppendSnapshot(b []byte) []byte {
	b = append(b, snapshotVersion)
	b = appendSlab(b, &s.users, appendUser)
	return appendSlab(b, &s.streams, appendStream)
}

// LoadSnapshot rebuilds a state from AppendSnapshot bytes, checking the
// invariants Apply keeps (unique names, valid references), and wraps
// ErrCorrupt when they do not hold.
func LoadSnapshot(b []byte, cfg Config) (*State, error) {
	d := &decoder{b: b}
	if v := d.u8(); v != snapshotVersion {
		d.fail("snapshot version %d, want %d", v, snapshotVersion)
	}
	s := NewState(cfg)
	decodeSlab(d, &s.users, 4, d.user)
	decodeSlab(d, &s.streams, 4, d.stream)
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("metadata: load snapshot: %w", err)
	}
	if err := s.index(); err != nil {
		return nil, fmt.Errorf("metadata: load snapshot: %w", err)
	}
	return s, nil
}

// appendSlab writes the slot count, the live entries as (id, body) in id
// order, then the free stack bottom to top.
func appendSlab[T any](b []byte, s *slab[T], body func([]byte, *T) []byte) []byte {
	b = appendU32(b, uint32(len(s.items)))
	b = appendU32(b, uint32(s.count))
	for id, v := range s.items {
		if v != nil {
			b = body(appendU32(b, uint32(id)), v)
		}
	}
	b = appendU32(b, uint32(len(s.free)))
	for _, id := range s.free {
		b = appendU32(b, id)
	}
	return b
}

// decodeSlab reads what appendSlab wrote and checks that every slot is
// either live or free, exactly once.
func decodeSlab[T any](d *decoder, s *slab[T], entryBytesMin int, body func(id uint32) *T) {
	slots := d.count(4)
	n := d.count(4 + entryBytesMin)
	s.items = make([]*T, slots)
	prev := int64(-1)
	for range n {
		id := d.u32()
		if int64(id) <= prev || int(id) >= slots {
			d.fail("slab entry id %d out of order or beyond %d slots", id, slots)
			return
		}
		prev = int64(id)
		s.items[id] = body(id)
		s.count++
	}
	free := d.count(4)
	seen := make([]bool, slots)
	for range free {
		id := d.u32()
		if int(id) >= slots || s.items[id] != nil || seen[id] {
			d.fail("slab free id %d is out of range, live or repeated", id)
			return
		}
		seen[id] = true
		s.free = append(s.free, id)
	}
	if d.err == nil && n+free != slots {
		d.fail("slab has %d slots but %d live and %d free", slots, n, free)
	}
}

func appendUser(b []byte, u *User) []byte {
	b = appendStr(appendStr(b, u.Username), u.PasswordHash)
	b = appendPermissions(append(b, uint8(u.Status)), u.Permissions)
	b = appendU32(appendU64(b, u.CreatedAtMicros), uint32(len(u.pats)))
	for _, p := range u.pats {
		b = appendU64(appendStr(appendStr(b, p.Name), p.TokenHash), p.ExpiryAtMicros)
	}
	return b
}

func (d *decoder) user(id uint32) *User {
	u := &User{ID: id, Username: d.str(), PasswordHash: d.str(), Status: UserStatus(d.u8()),
		Permissions: d.permissions(), CreatedAtMicros: d.u64()}
	n := d.count(16)
	for range n {
		u.pats = append(u.pats, &PAT{Name: d.str(), TokenHash: d.str(), ExpiryAtMicros: d.u64()})
	}
	return u
}

func appendStream(b []byte, st *Stream) []byte {
	b = appendU64(appendStr(b, st.Name), st.CreatedAtMicros)
	return appendSlab(b, &st.topics, appendTopic)
}

func (d *decoder) stream(id uint32) *Stream {
	st := &Stream{ID: id, Name: d.str(), CreatedAtMicros: d.u64()}
	decodeSlab(d, &st.topics, 4, func(tid uint32) *Topic { return d.topic(id, tid) })
	return st
}

func appendTopic(b []byte, t *Topic) []byte {
	b = appendU64(appendStr(b, t.Name), t.CreatedAtMicros)
	b = appendU32(b, t.PartitionsCount())
	for _, p := range t.Partitions {
		b = appendU64(b, p.CreatedAtMicros)
	}
	b = appendU64(append(appendU64(b, t.MessageExpiryMicros), t.Compression), t.SizeBytesMax)
	b = appendSlab(append(b, t.ReplicationFactor), &t.groups, func(b []byte, g *Group) []byte {
		return appendStr(b, g.Name)
	})
	keys := t.sortedOffsetKeys()
	b = appendU32(b, uint32(len(keys)))
	for _, k := range keys {
		b = appendU32(append(appendU32(b, k.PartitionID), uint8(k.Kind)), k.ConsumerID)
		b = appendU64(b, t.offsets[k])
	}
	return b
}

func (d *decoder) topic(streamID, id uint32) *Topic {
	t := &Topic{ID: id, StreamID: streamID, Name: d.str(), CreatedAtMicros: d.u64()}
	n := d.count(8)
	t.Partitions = make([]Partition, 0, n)
	for i := range n {
		t.Partitions = append(t.Partitions, Partition{ID: uint32(i), CreatedAtMicros: d.u64()})
	}
	t.MessageExpiryMicros, t.Compression, t.SizeBytesMax, t.ReplicationFactor = d.u64(), d.u8(), d.u64(), d.u8()
	decodeSlab(d, &t.groups, 4, func(gid uint32) *Group {
		return &Group{ID: gid, StreamID: streamID, TopicID: id, Name: d.str()}
	})
	n = d.count(17)
	if n > 0 {
		t.offsets = make(map[OffsetKey]uint64, n)
	}
	var prev OffsetKey
	for i := range n {
		k := OffsetKey{PartitionID: d.u32(), Kind: ConsumerKind(d.u8()), ConsumerID: d.u32()}
		if i > 0 && !offsetKeyLess(prev, k) {
			d.fail("offsets of topic %d/%d not in key order", streamID, id)
		}
		prev = k
		t.offsets[k] = d.u64()
	}
	return t
}

func offsetKeyLess(a, b OffsetKey) bool {
	return slices.Compare([]uint64{uint64(a.PartitionID), uint64(a.Kind), uint64(a.ConsumerID)},
		[]uint64{uint64(b.PartitionID), uint64(b.Kind), uint64(b.ConsumerID)}) < 0
}

// index rebuilds the name maps of a loaded state and checks the invariants
// Apply maintains, so a snapshot cannot smuggle in a state Apply could
// never reach (duplicate names, offsets of missing partitions or groups).
func (s *State) index() error {
	for u := range s.users.all() {
		if _, dup := s.userNames[u.Username]; dup {
			return fmt.Errorf("%w: duplicate username %q", ErrCorrupt, u.Username)
		}
		s.userNames[u.Username] = u.ID
		for _, p := range u.pats {
			if _, dup := s.patHashes[p.TokenHash]; dup || u.patCount(p.Name) != 1 {
				return fmt.Errorf("%w: duplicate token of user %d", ErrCorrupt, u.ID)
			}
			s.patHashes[p.TokenHash] = patRef{userID: u.ID, name: p.Name}
		}
	}
	for st := range s.streams.all() {
		if _, dup := s.streamNames[st.Name]; dup {
			return fmt.Errorf("%w: duplicate stream name %q", ErrCorrupt, st.Name)
		}
		s.streamNames[st.Name] = st.ID
		if err := st.index(); err != nil {
			return err
		}
	}
	return nil
}

func (u *User) patCount(name string) int {
	n := 0
	for _, p := range u.pats {
		if p.Name == name {
			n++
		}
	}
	return n
}

func (st *Stream) index() error {
	st.topicNames = map[string]uint32{}
	for t := range st.topics.all() {
		if _, dup := st.topicNames[t.Name]; dup {
			return fmt.Errorf("%w: duplicate topic name %q in stream %d", ErrCorrupt, t.Name, st.ID)
		}
		st.topicNames[t.Name] = t.ID
		t.groupNames = map[string]uint32{}
		for g := range t.groups.all() {
			if _, dup := t.groupNames[g.Name]; dup {
				return fmt.Errorf("%w: duplicate group name %q in topic %d/%d", ErrCorrupt, g.Name, st.ID, t.ID)
			}
			t.groupNames[g.Name] = g.ID
		}
		for k := range t.offsets {
			badGroup := k.Kind == ConsumerGroup && t.groups.get(k.ConsumerID) == nil
			if k.PartitionID >= t.PartitionsCount() || badGroup || (k.Kind != ConsumerSingle && k.Kind != ConsumerGroup) {
				return fmt.Errorf("%w: offset of %s refers to nothing", ErrCorrupt, describeOffsetKey(t, k))
			}
		}
	}
	return nil
}

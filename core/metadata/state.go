package metadata

import (
	"cmp"
	"iter"
	"slices"

	"github.com/runnel-io/runnel/sdk/wire"
)

// UserStatus is a user's status (reference §2.12).
type UserStatus uint8

const (
	UserActive   UserStatus = 1
	UserInactive UserStatus = 2
)

// ConsumerKind says whose offset is stored (reference §2.3).
type ConsumerKind uint8

const (
	ConsumerSingle ConsumerKind = 1
	ConsumerGroup  ConsumerKind = 2
)

// State is the whole replicated metadata. Build it with NewState or
// LoadSnapshot; change it only through Apply.
type State struct {
	cfg         Config
	streams     slab[Stream]
	streamNames map[string]uint32
	users       slab[User]
	userNames   map[string]uint32
	patHashes   map[string]patRef
}

type patRef struct {
	userID uint32
	name   string
}

// Stream is one stream. Fields are read-only for callers.
type Stream struct {
	ID              uint32
	Name            string
	CreatedAtMicros uint64
	topics          slab[Topic]
	topicNames      map[string]uint32
}

// Topic is one topic of a stream. Fields are read-only for callers.
type Topic struct {
	ID       uint32
	StreamID uint32
	Name     string
	// CreatedAtMicros is µs since the epoch.
	CreatedAtMicros uint64
	// Partitions holds partition i at index i (ids are dense 0..n-1).
	Partitions []Partition
	// MessageExpiryMicros is message_expiry: ExpiryNever, ServerDefault
	// (only after UpdateTopic with 0) or a duration in µs.
	MessageExpiryMicros uint64
	// Compression is the compression_algorithm code (1 none, 2 gzip).
	Compression uint8
	// SizeBytesMax is max_topic_size: SizeUnlimited, ServerDefault (only
	// after UpdateTopic with 0) or a byte count.
	SizeBytesMax uint64
	// ReplicationFactor is at least 1.
	ReplicationFactor uint8
	groups            slab[Group]
	groupNames        map[string]uint32
	offsets           map[OffsetKey]uint64
}

// Partition is one partition's metadata; its log lives elsewhere.
type Partition struct {
	ID              uint32
	CreatedAtMicros uint64
}

// Group is a consumer group. Its members are connections, tracked by
// Membership.
type Group struct {
	ID       uint32
	StreamID uint32
	TopicID  uint32
	Name     string
}

// User is one user. Permissions nil means none at all.
type User struct {
	ID              uint32
	Username        string
	PasswordHash    string
	Status          UserStatus
	Permissions     *wire.Permissions
	CreatedAtMicros uint64
	pats            []*PAT // in creation order
}

// PAT is a personal access token; only its hash is kept.
type PAT struct {
	Name      string
	TokenHash string
	// ExpiryAtMicros is an absolute time in µs, 0 = never expires.
	ExpiryAtMicros uint64
}

// OffsetKey names one stored consumer offset inside a topic. For
// ConsumerGroup, ConsumerID is the group id; for ConsumerSingle it is the
// client's consumer id (string ids are hashed by the caller, §2.3).
type OffsetKey struct {
	PartitionID uint32
	Kind        ConsumerKind
	ConsumerID  uint32
}

// NewState returns an empty state. cfg must be valid (Config.Validate).
func NewState(cfg Config) *State {
	return &State{
		cfg:         cfg,
		streamNames: map[string]uint32{},
		userNames:   map[string]uint32{},
		patHashes:   map[string]patRef{},
	}
}

// Config returns the settings the state applies ops with.
func (s *State) Config() Config { return s.cfg }

// Streams yields every stream in ascending id order.
func (s *State) Streams() iter.Seq[*Stream] { return s.streams.all() }

// StreamsCount is the number of streams.
func (s *State) StreamsCount() int { return s.streams.len() }

// Stream returns the stream with id, or nil.
func (s *State) Stream(id uint32) *Stream { return s.streams.get(id) }

// Users yields every user in ascending id order.
func (s *State) Users() iter.Seq[*User] { return s.users.all() }

// UsersCount is the number of users. Zero means a fresh state: the server
// creates the root user (which then gets id 0).
func (s *State) UsersCount() int { return s.users.len() }

// User returns the user with id, or nil.
func (s *State) User(id uint32) *User { return s.users.get(id) }

// UserByName returns the user with that exact username, or nil.
func (s *State) UserByName(username string) *User {
	id, ok := s.userNames[username]
	if !ok {
		return nil
	}
	return s.users.get(id)
}

// PATByHash finds the token whose stored hash is tokenHash, for
// LoginWithPersonalAccessToken. Expiry is the caller's check (it knows the
// time).
func (s *State) PATByHash(tokenHash string) (*User, *PAT, bool) {
	ref, ok := s.patHashes[tokenHash]
	if !ok {
		return nil, nil, false
	}
	u := s.users.get(ref.userID)
	return u, u.pat(ref.name), true
}

// ConsumerOffset returns a stored offset, if any.
func (s *State) ConsumerOffset(streamID, topicID uint32, key OffsetKey) (uint64, bool) {
	st := s.streams.get(streamID)
	if st == nil {
		return 0, false
	}
	t := st.topics.get(topicID)
	if t == nil {
		return 0, false
	}
	return t.StoredOffset(key)
}

// Topics yields the stream's topics in ascending id order.
func (st *Stream) Topics() iter.Seq[*Topic] { return st.topics.all() }

// TopicsCount is the number of topics in the stream.
func (st *Stream) TopicsCount() int { return st.topics.len() }

// Topic returns the topic with id, or nil.
func (st *Stream) Topic(id uint32) *Topic { return st.topics.get(id) }

// PartitionsCount is the number of partitions.
func (t *Topic) PartitionsCount() uint32 { return uint32(len(t.Partitions)) }

// Groups yields the topic's consumer groups in ascending id order.
func (t *Topic) Groups() iter.Seq[*Group] { return t.groups.all() }

// GroupsCount is the number of consumer groups of the topic.
func (t *Topic) GroupsCount() int { return t.groups.len() }

// Group returns the consumer group with id, or nil.
func (t *Topic) Group(id uint32) *Group { return t.groups.get(id) }

// StoredOffset returns a stored consumer offset, if any.
func (t *Topic) StoredOffset(key OffsetKey) (uint64, bool) {
	v, ok := t.offsets[key]
	return v, ok
}

// StoredOffsetsCount is the number of stored offsets in the topic.
func (t *Topic) StoredOffsetsCount() int { return len(t.offsets) }

// LowestStoredOffset is the smallest offset stored for the partition by any
// consumer or group (DeleteSegments keeps segments beyond it, §4.8).
func (t *Topic) LowestStoredOffset(partitionID uint32) (uint64, bool) {
	var low uint64
	found := false
	for k, v := range t.offsets {
		if k.PartitionID == partitionID && (!found || v < low) {
			low, found = v, true
		}
	}
	return low, found
}

// sortedOffsetKeys lists the topic's offset keys in a fixed order, so the
// snapshot bytes do not depend on map iteration.
func (t *Topic) sortedOffsetKeys() []OffsetKey {
	keys := make([]OffsetKey, 0, len(t.offsets))
	for k := range t.offsets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b OffsetKey) int {
		return cmp.Or(cmp.Compare(a.PartitionID, b.PartitionID),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ConsumerID, b.ConsumerID))
	})
	return keys
}

// PATs yields the user's tokens in creation order.
func (u *User) PATs() iter.Seq[*PAT] { return slices.Values(u.pats) }

// PATsCount is the number of tokens the user has.
func (u *User) PATsCount() int { return len(u.pats) }

// PAT returns the user's token called name, or nil.
func (u *User) PAT(name string) *PAT { return u.pat(name) }

func (u *User) pat(name string) *PAT {
	for _, p := range u.pats {
		if p.Name == name {
			return p
		}
	}
	return nil
}

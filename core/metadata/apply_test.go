package metadata

import (
	"bytes"
	"errors"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

var (
	sid = wire.NumericID
	nid = wire.NamedID
)

func newTestState(t *testing.T) *State {
	t.Helper()
	cfg := DefaultConfig()
	cfg.SegmentSizeBytes = 1000
	cfg.PATsPerUserMax = 2
	cfg.UsersMax = 4
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewState(cfg)
}

// mustApply applies op and fails the test on error.
func mustApply(t *testing.T, s *State, op Op) Result {
	t.Helper()
	res, err := s.Apply(op)
	if err != nil {
		t.Fatalf("%s: %v", OpName(op), err)
	}
	return res
}

// applyFails applies op, expects want, and checks the state did not change.
func applyFails(t *testing.T, s *State, op Op, want *wire.Error) {
	t.Helper()
	before := s.AppendSnapshot(nil)
	_, err := s.Apply(op)
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", OpName(op), err, want)
	}
	if after := s.AppendSnapshot(nil); !bytes.Equal(before, after) {
		t.Fatalf("%s failed but changed the state", OpName(op))
	}
}

func TestStreamIDsReuseMostRecentlyFreed(t *testing.T) {
	s := newTestState(t)
	for i, name := range []string{"a", "b", "c", "d"} {
		if res := mustApply(t, s, CreateStream{Name: name}); res.StreamID != uint32(i) {
			t.Fatalf("stream %s got id %d, want %d", name, res.StreamID, i)
		}
	}
	mustApply(t, s, DeleteStream{Stream: sid(1)})
	mustApply(t, s, DeleteStream{Stream: nid("c")})
	for _, want := range []uint32{2, 1, 4} {
		res := mustApply(t, s, CreateStream{Name: string(rune('p' + want))})
		if res.StreamID != want {
			t.Fatalf("got id %d, want %d", res.StreamID, want)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	s := newTestState(t)
	mustApply(t, s, CreateStream{Name: "orders", CreatedAtMicros: 7})
	mustApply(t, s, CreateStream{Name: "other"})
	applyFails(t, s, CreateStream{Name: "orders"}, wire.ErrStreamNameExists)
	applyFails(t, s, CreateStream{Name: ""}, wire.ErrInvalidStreamName)
	applyFails(t, s, CreateStream{Name: string(make([]byte, 256))}, wire.ErrInvalidStreamName)
	applyFails(t, s, UpdateStream{Stream: sid(9), Name: "x"}, wire.ErrStreamIDNotFound)
	applyFails(t, s, UpdateStream{Stream: nid("nope"), Name: "x"}, wire.ErrStreamIDNotFound)
	applyFails(t, s, UpdateStream{Stream: sid(0), Name: "other"}, wire.ErrStreamNameExists)
	applyFails(t, s, DeleteStream{Stream: nid("nope")}, wire.ErrStreamIDNotFound)
	applyFails(t, s, PurgeStream{Stream: sid(5)}, wire.ErrStreamIDNotFound)

	mustApply(t, s, UpdateStream{Stream: sid(0), Name: "orders"}) // its own name is fine
	mustApply(t, s, UpdateStream{Stream: nid("orders"), Name: "sales"})
	if _, err := s.ResolveStream(nid("orders")); !errors.Is(err, wire.ErrStreamIDNotFound) {
		t.Fatalf("old name still resolves: %v", err)
	}
	st, err := s.ResolveStream(nid("sales"))
	if err != nil || st.ID != 0 || st.CreatedAtMicros != 7 {
		t.Fatalf("renamed stream: %+v, %v", st, err)
	}
}

func TestTopicCreateResolvesDefaultsAndChecks(t *testing.T) {
	s := newTestState(t)
	mustApply(t, s, CreateStream{Name: "s"})
	res := mustApply(t, s, CreateTopic{Stream: nid("s"), Name: "t", PartitionsCount: 3, Compression: 1,
		CreatedAtMicros: 42})
	if res.TopicID != 0 || res.PartitionsCount != 3 {
		t.Fatalf("result %+v", res)
	}
	tp, err := s.ResolveTopic(sid(0), nid("t"))
	if err != nil {
		t.Fatal(err)
	}
	if tp.MessageExpiryMicros != ExpiryNever || tp.SizeBytesMax != SizeUnlimited || tp.ReplicationFactor != 1 {
		t.Fatalf("defaults not resolved: %+v", tp)
	}
	for i, p := range tp.Partitions {
		if p.ID != uint32(i) || p.CreatedAtMicros != 42 {
			t.Fatalf("partition %d: %+v", i, p)
		}
	}

	applyFails(t, s, CreateTopic{Stream: sid(0), Name: "t", Compression: 1}, wire.ErrTopicNameExists)
	applyFails(t, s, CreateTopic{Stream: sid(3), Name: "u", Compression: 1}, wire.ErrStreamIDNotFound)
	applyFails(t, s, CreateTopic{Stream: sid(0), Name: "u", Compression: 3}, wire.ErrInvalidCommand)
	applyFails(t, s, CreateTopic{Stream: sid(0), Name: "u", Compression: 1, PartitionsCount: 1001},
		wire.ErrTooManyPartitions)
	applyFails(t, s, CreateTopic{Stream: sid(0), Name: "u", Compression: 1, SizeBytesMax: 999},
		wire.ErrInvalidTopicSize)
	applyFails(t, s, CreateTopic{Stream: sid(0), Name: "", Compression: 1}, wire.ErrInvalidTopicName)
	mustApply(t, s, CreateTopic{Stream: sid(0), Name: "u", Compression: 2, SizeBytesMax: 1000,
		MessageExpiryMicros: 5, ReplicationFactor: 3})
	mustApply(t, s, CreateTopic{Stream: sid(0), Name: "zero", Compression: 1}) // 0 partitions is allowed
}

func TestTopicUpdateStoresAsGiven(t *testing.T) {
	s := newTestState(t)
	mustApply(t, s, CreateStream{Name: "s"})
	mustApply(t, s, CreateTopic{Stream: sid(0), Name: "a", Compression: 1})
	mustApply(t, s, CreateTopic{Stream: sid(0), Name: "b", Compression: 1})
	mustApply(t, s, UpdateTopic{Stream: sid(0), Topic: nid("a"), Name: "c", Compression: 2, SizeBytesMax: 1})
	tp, err := s.ResolveTopic(sid(0), nid("c"))
	if err != nil {
		t.Fatal(err)
	}
	if tp.ID != 0 || tp.SizeBytesMax != 1 || tp.MessageExpiryMicros != 0 || tp.ReplicationFactor != 1 ||
		tp.Compression != 2 {
		t.Fatalf("updated topic %+v", tp)
	}
	applyFails(t, s, UpdateTopic{Stream: sid(0), Topic: sid(0), Name: "b", Compression: 1}, wire.ErrTopicNameExists)
	applyFails(t, s, UpdateTopic{Stream: sid(0), Topic: sid(7), Name: "x", Compression: 1}, wire.ErrTopicIDNotFound)
	applyFails(t, s, UpdateTopic{Stream: sid(7), Topic: sid(0), Name: "x", Compression: 1}, wire.ErrStreamIDNotFound)
	applyFails(t, s, DeleteTopic{Stream: sid(0), Topic: nid("a")}, wire.ErrTopicIDNotFound)
	mustApply(t, s, DeleteTopic{Stream: sid(0), Topic: nid("b")})
	if res := mustApply(t, s, CreateTopic{Stream: sid(0), Name: "d", Compression: 1}); res.TopicID != 1 {
		t.Fatalf("reused topic id %d, want 1", res.TopicID)
	}
}

func TestPartitionsAndOffsets(t *testing.T) {
	s := newTestState(t)
	mustApply(t, s, CreateStream{Name: "s"})
	mustApply(t, s, CreateTopic{Stream: sid(0), Name: "t", PartitionsCount: 2, Compression: 1})
	mustApply(t, s, CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: "g"})

	applyFails(t, s, CreatePartitions{Stream: sid(0), Topic: sid(0), Count: 0}, wire.ErrTooManyPartitions)
	applyFails(t, s, CreatePartitions{Stream: sid(0), Topic: sid(0), Count: 999}, wire.ErrTooManyPartitions)
	applyFails(t, s, DeletePartitions{Stream: sid(0), Topic: sid(0), Count: 0}, wire.ErrTooManyPartitions)
	applyFails(t, s, DeletePartitions{Stream: sid(0), Topic: sid(0), Count: 3}, wire.ErrInvalidPartitionsCount)
	if res := mustApply(t, s, CreatePartitions{Stream: sid(0), Topic: sid(0), Count: 2, CreatedAtMicros: 9}); res.PartitionsCount != 4 {
		t.Fatalf("partitions after create: %d", res.PartitionsCount)
	}

	store := func(p uint32, kind ConsumerKind, id uint32, off uint64) StoreConsumerOffset {
		return StoreConsumerOffset{Stream: sid(0), Topic: sid(0), PartitionID: p, Kind: kind, ConsumerID: id, Offset: off}
	}
	mustApply(t, s, store(3, ConsumerSingle, 77, 10))
	mustApply(t, s, store(1, ConsumerGroup, 0, 5))
	mustApply(t, s, store(1, ConsumerSingle, 77, 3))
	applyFails(t, s, store(4, ConsumerSingle, 1, 0), wire.ErrPartitionNotFound)
	applyFails(t, s, store(0, ConsumerGroup, 1, 0), wire.ErrConsumerGroupIDNotFound)
	applyFails(t, s, store(0, 3, 1, 0), wire.ErrInvalidCommand)
	applyFails(t, s, StoreConsumerOffset{Stream: sid(0), Topic: sid(4), Kind: 1}, wire.ErrTopicIDNotFound)
	applyFails(t, s, DeleteConsumerOffset{Stream: sid(0), Topic: sid(0), PartitionID: 0, Kind: 1, ConsumerID: 77},
		wire.ErrConsumerOffsetNotFound)

	tp := s.Stream(0).Topic(0)
	if low, ok := tp.LowestStoredOffset(1); !ok || low != 3 {
		t.Fatalf("lowest offset of partition 1: %d %v", low, ok)
	}
	if v, ok := s.ConsumerOffset(0, 0, OffsetKey{PartitionID: 3, Kind: ConsumerSingle, ConsumerID: 77}); !ok || v != 10 {
		t.Fatalf("stored offset: %d %v", v, ok)
	}
	// Deleting partitions drops their offsets; deleting the group drops its.
	mustApply(t, s, DeletePartitions{Stream: sid(0), Topic: sid(0), Count: 2})
	if _, ok := tp.StoredOffset(OffsetKey{PartitionID: 3, Kind: ConsumerSingle, ConsumerID: 77}); ok {
		t.Fatal("offset of a deleted partition survived")
	}
	mustApply(t, s, DeleteConsumerGroup{Stream: sid(0), Topic: sid(0), Group: nid("g")})
	if tp.StoredOffsetsCount() != 1 {
		t.Fatalf("offsets left: %d, want 1", tp.StoredOffsetsCount())
	}
	mustApply(t, s, DeleteConsumerOffset{Stream: sid(0), Topic: sid(0), PartitionID: 1, Kind: 1, ConsumerID: 77})
	mustApply(t, s, store(0, ConsumerSingle, 1, 1))
	mustApply(t, s, PurgeTopic{Stream: sid(0), Topic: sid(0)})
	if tp.StoredOffsetsCount() != 0 {
		t.Fatal("purge kept offsets")
	}
}

func TestGroups(t *testing.T) {
	s := newTestState(t)
	mustApply(t, s, CreateStream{Name: "s"})
	mustApply(t, s, CreateTopic{Stream: sid(0), Name: "t", Compression: 1})
	for i, name := range []string{"g0", "g1", "g2"} {
		if res := mustApply(t, s, CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: name}); res.GroupID != uint32(i) {
			t.Fatalf("group id %d, want %d", res.GroupID, i)
		}
	}
	applyFails(t, s, CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: "g1"}, wire.ErrConsumerGroupNameExists)
	applyFails(t, s, CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: ""}, wire.ErrInvalidConsumerGroupName)
	applyFails(t, s, CreateConsumerGroup{Stream: sid(0), Topic: sid(1), Name: "x"}, wire.ErrTopicIDNotFound)
	applyFails(t, s, DeleteConsumerGroup{Stream: sid(0), Topic: sid(0), Group: nid("x")}, wire.ErrConsumerGroupIDNotFound)
	mustApply(t, s, DeleteConsumerGroup{Stream: sid(0), Topic: sid(0), Group: sid(1)})
	if g, err := s.ResolveGroup(nid("s"), nid("t"), nid("g2")); err != nil || g.ID != 2 {
		t.Fatalf("resolve g2: %+v %v", g, err)
	}
	if res := mustApply(t, s, CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: "g3"}); res.GroupID != 1 {
		t.Fatalf("reused group id %d, want 1", res.GroupID)
	}
}

func TestUsers(t *testing.T) {
	s := newTestState(t)
	root := mustApply(t, s, CreateUser{Username: "iggy", PasswordHash: "h0", Status: UserActive,
		Permissions: wire.AllPermissions(), CreatedAtMicros: 1})
	if root.UserID != RootUserID {
		t.Fatalf("root id %d", root.UserID)
	}
	bob := mustApply(t, s, CreateUser{Username: "bob", PasswordHash: "h1", Status: UserInactive})
	if bob.UserID != 1 {
		t.Fatalf("bob id %d", bob.UserID)
	}
	applyFails(t, s, CreateUser{Username: "bob", PasswordHash: "h", Status: 1}, wire.ErrUserAlreadyExists)
	applyFails(t, s, CreateUser{Username: "ab", PasswordHash: "h", Status: 1}, wire.ErrInvalidUsername)
	applyFails(t, s, CreateUser{Username: string(make([]byte, 51)), PasswordHash: "h", Status: 1}, wire.ErrInvalidUsername)
	applyFails(t, s, CreateUser{Username: "carl", PasswordHash: "h", Status: 3}, wire.ErrInvalidCommand)
	applyFails(t, s, DeleteUser{User: sid(0)}, wire.ErrCannotDeleteUser)
	applyFails(t, s, DeleteUser{User: nid("iggy")}, wire.ErrCannotDeleteUser)
	applyFails(t, s, UpdatePermissions{User: sid(0)}, wire.ErrCannotChangePermissions)
	applyFails(t, s, UpdatePermissions{User: sid(8)}, wire.ErrResourceNotFound)
	applyFails(t, s, UpdateUser{User: sid(1), Username: "iggy"}, wire.ErrUserAlreadyExists)
	applyFails(t, s, UpdateUser{User: sid(1), Username: "xy"}, wire.ErrInvalidUsername)
	applyFails(t, s, UpdateUser{User: sid(1), Status: 9}, wire.ErrInvalidCommand)
	applyFails(t, s, UpdateUser{User: nid("nobody"), Status: 1}, wire.ErrResourceNotFound)
	applyFails(t, s, ChangePassword{User: sid(5), PasswordHash: "x"}, wire.ErrResourceNotFound)
	applyFails(t, s, DeleteUser{User: sid(5)}, wire.ErrResourceNotFound)

	perms := &wire.Permissions{Streams: map[uint32]wire.StreamPermissions{
		3: {ReadStream: true, Topics: map[uint32]wire.TopicPermissions{1: {SendMessages: true}}}}}
	mustApply(t, s, UpdatePermissions{User: nid("bob"), Permissions: perms})
	perms.Streams[3] = wire.StreamPermissions{} // the state must hold its own copy
	mustApply(t, s, UpdateUser{User: sid(1), Username: "robert", Status: UserActive})
	mustApply(t, s, ChangePassword{User: nid("robert"), PasswordHash: "h2"})
	u, err := s.ResolveUser(nid("robert"))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != 1 || u.Status != UserActive || u.PasswordHash != "h2" || !u.Permissions.Streams[3].ReadStream ||
		!u.Permissions.Streams[3].Topics[1].SendMessages {
		t.Fatalf("updated user %+v", u)
	}
	if s.UserByName("bob") != nil {
		t.Fatal("old username still resolves")
	}
	mustApply(t, s, CreateUser{Username: "user2", PasswordHash: "h", Status: 1})
	mustApply(t, s, CreateUser{Username: "user3", PasswordHash: "h", Status: 1})
	applyFails(t, s, CreateUser{Username: "user4", PasswordHash: "h", Status: 1}, wire.ErrUsersLimitReached)
	mustApply(t, s, DeleteUser{User: nid("robert")})
	if res := mustApply(t, s, CreateUser{Username: "user4", PasswordHash: "h", Status: 1}); res.UserID != 1 {
		t.Fatalf("reused user id %d, want 1", res.UserID)
	}
}

func TestPATs(t *testing.T) {
	s := newTestState(t)
	mustApply(t, s, CreateUser{Username: "root", PasswordHash: "h", Status: 1})
	mustApply(t, s, CreateUser{Username: "bob", PasswordHash: "h", Status: 1})
	mustApply(t, s, CreatePAT{UserID: 1, Name: "ci-token", TokenHash: "aa", ExpiryAtMicros: 100})
	applyFails(t, s, CreatePAT{UserID: 1, Name: "ci-token", TokenHash: "bb"}, wire.ErrPATAlreadyExists)
	applyFails(t, s, CreatePAT{UserID: 1, Name: "ab", TokenHash: "bb"}, wire.ErrInvalidPATName)
	applyFails(t, s, CreatePAT{UserID: 1, Name: string(make([]byte, 31)), TokenHash: "bb"}, wire.ErrInvalidPATName)
	applyFails(t, s, CreatePAT{UserID: 9, Name: "abc", TokenHash: "bb"}, wire.ErrResourceNotFound)
	mustApply(t, s, CreatePAT{UserID: 1, Name: "forever", TokenHash: "cc"})
	applyFails(t, s, CreatePAT{UserID: 1, Name: "third", TokenHash: "dd"}, wire.ErrPATLimitReached)

	u, p, ok := s.PATByHash("cc")
	if !ok || u.ID != 1 || p.Name != "forever" || p.ExpiryAtMicros != 0 {
		t.Fatalf("PATByHash: %v %+v %+v", ok, u, p)
	}
	mustApply(t, s, DeleteExpiredPATs{NowMicros: 99})
	if s.User(1).PATsCount() != 2 {
		t.Fatal("cleaner removed a live token")
	}
	mustApply(t, s, DeleteExpiredPATs{NowMicros: 100})
	if s.User(1).PATsCount() != 1 {
		t.Fatal("cleaner kept an expired token")
	}
	if _, _, ok := s.PATByHash("aa"); ok {
		t.Fatal("expired token hash still indexed")
	}
	applyFails(t, s, DeletePAT{UserID: 1, Name: "ci-token"}, wire.ErrResourceNotFound)
	mustApply(t, s, DeletePAT{UserID: 1, Name: "forever"})
	mustApply(t, s, CreatePAT{UserID: 1, Name: "again", TokenHash: "cc"})
	mustApply(t, s, DeleteUser{User: sid(1)})
	if _, _, ok := s.PATByHash("cc"); ok {
		t.Fatal("token of a deleted user still indexed")
	}
}

func TestDeleteStreamTakesEverything(t *testing.T) {
	s := newTestState(t)
	mustApply(t, s, CreateStream{Name: "s"})
	mustApply(t, s, CreateTopic{Stream: sid(0), Name: "t", PartitionsCount: 1, Compression: 1})
	mustApply(t, s, CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: "g"})
	mustApply(t, s, StoreConsumerOffset{Stream: sid(0), Topic: sid(0), Kind: ConsumerGroup, Offset: 4})
	mustApply(t, s, DeleteStream{Stream: sid(0)})
	mustApply(t, s, CreateStream{Name: "s"})
	st := s.Stream(0)
	if st == nil || st.TopicsCount() != 0 {
		t.Fatalf("recreated stream not empty: %+v", st)
	}
	if _, ok := s.ConsumerOffset(0, 0, OffsetKey{Kind: ConsumerGroup}); ok {
		t.Fatal("offset survived its stream")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.TopicSizeBytesMaxDefault = 5
	if bad.Validate() == nil {
		t.Fatal("default size below the segment size accepted")
	}
	bad = DefaultConfig()
	bad.PATsPerUserMax = 0
	if bad.Validate() == nil {
		t.Fatal("zero limit accepted")
	}
}

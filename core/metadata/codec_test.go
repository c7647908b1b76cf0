package metadata

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

func samplePermissions() *wire.Permissions {
	return &wire.Permissions{
		Global: wire.GlobalPermissions{ReadServers: true, SendMessages: true},
		Streams: map[uint32]wire.StreamPermissions{
			7: {ManageTopics: true, Topics: map[uint32]wire.TopicPermissions{2: {ReadTopic: true}, 1: {SendMessages: true}}},
			1: {PollMessages: true},
		},
	}
}

// sampleOps holds one op of every kind with every field non-zero.
func sampleOps() []Op {
	s, tp := nid("stream-a"), sid(3)
	return []Op{
		CreateStream{Name: "orders", CreatedAtMicros: 1700000000000001},
		UpdateStream{Stream: s, Name: "sales"},
		DeleteStream{Stream: sid(4)},
		PurgeStream{Stream: s},
		CreateTopic{Stream: s, Name: "t", PartitionsCount: 3, Compression: 2, MessageExpiryMicros: 5,
			SizeBytesMax: 1 << 40, ReplicationFactor: 1, CreatedAtMicros: 9},
		UpdateTopic{Stream: s, Topic: nid("t"), Name: "u", Compression: 1, MessageExpiryMicros: ExpiryNever,
			SizeBytesMax: 7, ReplicationFactor: 2},
		DeleteTopic{Stream: s, Topic: tp},
		PurgeTopic{Stream: sid(0), Topic: tp},
		CreatePartitions{Stream: s, Topic: tp, Count: 10, CreatedAtMicros: 11},
		DeletePartitions{Stream: s, Topic: tp, Count: 2},
		CreateConsumerGroup{Stream: s, Topic: tp, Name: "g"},
		DeleteConsumerGroup{Stream: s, Topic: tp, Group: nid("g")},
		CreateUser{Username: "alice", PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", Status: UserInactive,
			Permissions: samplePermissions(), CreatedAtMicros: 12},
		CreateUser{Username: "bob", PasswordHash: "h", Status: UserActive},
		UpdateUser{User: nid("alice"), Username: "alicia", Status: UserActive},
		UpdatePermissions{User: sid(1), Permissions: samplePermissions()},
		UpdatePermissions{User: sid(1)},
		ChangePassword{User: sid(1), PasswordHash: "new"},
		DeleteUser{User: nid("bob")},
		CreatePAT{UserID: 1, Name: "token", TokenHash: "abcdef", ExpiryAtMicros: 13},
		DeletePAT{UserID: 1, Name: "token"},
		DeleteExpiredPATs{NowMicros: 14},
		StoreConsumerOffset{Stream: s, Topic: tp, PartitionID: 2, Kind: ConsumerGroup, ConsumerID: 5, Offset: 1 << 50},
		DeleteConsumerOffset{Stream: s, Topic: tp, PartitionID: 2, Kind: ConsumerSingle, ConsumerID: 0xFFFFFFFF},
	}
}

func TestOpRoundTrip(t *testing.T) {
	seen := map[opCode]bool{}
	for _, op := range sampleOps() {
		b := AppendOp([]byte("prefix"), op)
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatal("AppendOp clobbered the prefix")
		}
		got, err := DecodeOp(b[len("prefix"):])
		if err != nil {
			t.Fatalf("%s: %v", OpName(op), err)
		}
		if !reflect.DeepEqual(got, op) {
			t.Fatalf("%s round trip:\n got %#v\nwant %#v", OpName(op), got, op)
		}
		seen[op.opCode()] = true
		// Every strict prefix must be refused, never misread.
		for n := range len(b) - len("prefix") {
			if _, err := DecodeOp(b[len("prefix") : len("prefix")+n]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s truncated to %d bytes: %v", OpName(op), n, err)
			}
		}
		if _, err := DecodeOp(append(b[len("prefix"):], 0)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s with a trailing byte decoded", OpName(op))
		}
	}
	for c := codeCreateStream; c < codeEnd; c++ {
		if !seen[c] {
			t.Fatalf("op code %d has no sample", c)
		}
	}
}

func TestDecodeOpRejects(t *testing.T) {
	good := AppendOp(nil, UpdateUser{User: sid(1), Username: "abc", Status: 1})
	cases := map[string][]byte{
		"empty":          nil,
		"version":        append([]byte{2}, good[1:]...),
		"unknown code":   {opVersion, uint8(codeEnd)},
		"zero code":      {opVersion, 0},
		"identifier":     {opVersion, uint8(codeDeleteStream), 3, 0, 0, 0, 0},
		"empty name id":  {opVersion, uint8(codeDeleteStream), 2, 0},
		"bool":           append(AppendOp(nil, UpdatePermissions{User: sid(1)})[:8], 2),
		"long string":    {opVersion, uint8(codeCreateStream), 0xFF, 0xFF, 0xFF, 0x7F},
		"perm bits":      {opVersion, uint8(codeUpdatePermissions), 1, 0, 0, 0, 0, 1, 0, 0xFC, 0, 0, 0, 0},
		"perm count big": {opVersion, uint8(codeUpdatePermissions), 1, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF},
	}
	for name, b := range cases {
		if _, err := DecodeOp(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
	// Permissions must be in ascending id order.
	p := AppendOp(nil, UpdatePermissions{User: sid(1), Permissions: &wire.Permissions{
		Streams: map[uint32]wire.StreamPermissions{1: {}, 2: {}}}})
	i := bytes.Index(p, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0})
	if i < 0 {
		t.Fatal("layout changed; update the test")
	}
	p[i], p[i+9] = 2, 1
	if _, err := DecodeOp(p); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("unsorted permissions decoded: %v", err)
	}
}

func FuzzDecodeOp(f *testing.F) {
	for _, op := range sampleOps() {
		f.Add(AppendOp(nil, op))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := DecodeOp(b)
		if err != nil {
			return
		}
		if re := AppendOp(nil, op); !bytes.Equal(re, b) {
			t.Fatalf("decode/encode changed the bytes:\n in %x\nout %x", b, re)
		}
		// Applying any decodable op must not panic, and a failure must not
		// change the state.
		s := populated(t)
		before := s.AppendSnapshot(nil)
		if _, err := s.Apply(op); err != nil && !bytes.Equal(before, s.AppendSnapshot(nil)) {
			t.Fatalf("failed %s changed the state", OpName(op))
		}
	})
}

// populated is a small state with something of everything.
func populated(t testing.TB) *State {
	s := NewState(DefaultConfig())
	for _, op := range []Op{
		CreateUser{Username: "root", PasswordHash: "h", Status: 1, Permissions: wire.AllPermissions()},
		CreateUser{Username: "alice", PasswordHash: "h", Status: 2, Permissions: samplePermissions()},
		CreatePAT{UserID: 1, Name: "token", TokenHash: "abc", ExpiryAtMicros: 10},
		CreateStream{Name: "stream-a", CreatedAtMicros: 1},
		CreateStream{Name: "stream-b"},
		CreateTopic{Stream: sid(0), Name: "t", PartitionsCount: 4, Compression: 1},
		CreateTopic{Stream: sid(0), Name: "u", PartitionsCount: 1, Compression: 1},
		CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: "g"},
		CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: "h"},
		StoreConsumerOffset{Stream: sid(0), Topic: sid(0), PartitionID: 2, Kind: ConsumerGroup, ConsumerID: 1, Offset: 7},
		StoreConsumerOffset{Stream: sid(0), Topic: sid(0), PartitionID: 0, Kind: ConsumerSingle, ConsumerID: 9, Offset: 3},
		DeleteConsumerGroup{Stream: sid(0), Topic: sid(0), Group: sid(0)},
		DeleteStream{Stream: sid(1)},
	} {
		if _, err := s.Apply(op); err != nil {
			t.Fatalf("%s: %v", OpName(op), err)
		}
	}
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := populated(t)
	snap := s.AppendSnapshot(nil)
	loaded, err := LoadSnapshot(snap, s.Config())
	if err != nil {
		t.Fatal(err)
	}
	if again := loaded.AppendSnapshot(nil); !bytes.Equal(snap, again) {
		t.Fatal("snapshot of a loaded snapshot differs")
	}
	// The free lists survive: both hand out the same ids next.
	for _, st := range []*State{s, loaded} {
		res, err := st.Apply(CreateStream{Name: "new"})
		if err != nil || res.StreamID != 1 {
			t.Fatalf("next stream id %d (%v), want the freed 1", res.StreamID, err)
		}
		res, err = st.Apply(CreateConsumerGroup{Stream: sid(0), Topic: sid(0), Name: "i"})
		if err != nil || res.GroupID != 0 {
			t.Fatalf("next group id %d (%v), want the freed 0", res.GroupID, err)
		}
	}
	if _, _, ok := loaded.PATByHash("abc"); !ok {
		t.Fatal("token index not rebuilt")
	}
	for n := range len(snap) {
		if _, err := LoadSnapshot(snap[:n], s.Config()); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("snapshot truncated to %d bytes loaded: %v", n, err)
		}
	}
}

func FuzzLoadSnapshot(f *testing.F) {
	f.Add(populated(f).AppendSnapshot(nil))
	f.Add(NewState(DefaultConfig()).AppendSnapshot(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := LoadSnapshot(b, DefaultConfig())
		if err != nil {
			return
		}
		if re := s.AppendSnapshot(nil); !bytes.Equal(re, b) {
			t.Fatalf("load/save changed the bytes")
		}
	})
}

// randomOp draws ops over a small name and id space, so that collisions,
// misses and reuse happen often.
func randomOp(r *rand.Rand) Op {
	name := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, r.IntN(4)) }
	id := func() wire.Identifier {
		if r.IntN(3) == 0 {
			return nid(name("n"))
		}
		return sid(uint32(r.IntN(4)))
	}
	s, tp := id(), id()
	switch r.IntN(20) {
	case 0, 1:
		return CreateStream{Name: name("n"), CreatedAtMicros: r.Uint64()}
	case 2:
		return UpdateStream{Stream: s, Name: name("n")}
	case 3:
		return DeleteStream{Stream: s}
	case 4, 5:
		return CreateTopic{Stream: s, Name: name("n"), PartitionsCount: uint32(r.IntN(5)), Compression: uint8(1 + r.IntN(2)),
			SizeBytesMax: uint64(r.IntN(2)) << 31, CreatedAtMicros: r.Uint64()}
	case 6:
		return UpdateTopic{Stream: s, Topic: tp, Name: name("n"), Compression: 1, ReplicationFactor: uint8(r.IntN(3))}
	case 7:
		return DeleteTopic{Stream: s, Topic: tp}
	case 8:
		return CreatePartitions{Stream: s, Topic: tp, Count: uint32(r.IntN(3)), CreatedAtMicros: r.Uint64()}
	case 9:
		return DeletePartitions{Stream: s, Topic: tp, Count: uint32(r.IntN(3))}
	case 10:
		return CreateConsumerGroup{Stream: s, Topic: tp, Name: name("n")}
	case 11:
		return DeleteConsumerGroup{Stream: s, Topic: tp, Group: id()}
	case 12, 13, 14:
		return StoreConsumerOffset{Stream: s, Topic: tp, PartitionID: uint32(r.IntN(4)), Kind: ConsumerKind(1 + r.IntN(2)),
			ConsumerID: uint32(r.IntN(3)), Offset: r.Uint64N(100)}
	case 15:
		return DeleteConsumerOffset{Stream: s, Topic: tp, PartitionID: uint32(r.IntN(4)), Kind: ConsumerKind(1 + r.IntN(2)),
			ConsumerID: uint32(r.IntN(3))}
	case 16:
		return CreateUser{Username: name("user"), PasswordHash: "h", Status: UserStatus(1 + r.IntN(2)),
			Permissions: samplePermissions()}
	case 17:
		return DeleteUser{User: sid(uint32(r.IntN(4)))}
	case 18:
		return CreatePAT{UserID: uint32(r.IntN(3)), Name: name("pat"), TokenHash: name("hash"),
			ExpiryAtMicros: r.Uint64N(10)}
	default:
		if r.IntN(2) == 0 {
			return PurgeTopic{Stream: s, Topic: tp}
		}
		return DeleteExpiredPATs{NowMicros: r.Uint64N(10)}
	}
}

// TestRandomOpsProperties drives random op sequences and checks the
// properties replication relies on: a failing op changes nothing, the same
// ops give the same state, a snapshot reloads to the same state, and ops
// survive encoding.
func TestRandomOpsProperties(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		a, b := NewState(DefaultConfig()), NewState(DefaultConfig())
		for step := range 500 {
			op := randomOp(r)
			before := a.AppendSnapshot(nil)
			_, errA := a.Apply(op)
			decoded, err := DecodeOp(AppendOp(nil, op))
			if err != nil {
				t.Fatalf("seed %d step %d: %s does not decode: %v", seed, step, OpName(op), err)
			}
			_, errB := b.Apply(decoded)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("seed %d step %d: %s applied differently: %v / %v", seed, step, OpName(op), errA, errB)
			}
			after := a.AppendSnapshot(nil)
			if errA != nil && !bytes.Equal(before, after) {
				t.Fatalf("seed %d step %d: failed %s changed the state", seed, step, OpName(op))
			}
			if !bytes.Equal(after, b.AppendSnapshot(nil)) {
				t.Fatalf("seed %d step %d: states diverged after %s", seed, step, OpName(op))
			}
			if step%50 == 49 {
				if b, err = LoadSnapshot(after, DefaultConfig()); err != nil {
					t.Fatalf("seed %d step %d: reload: %v", seed, step, err)
				}
			}
		}
	}
}

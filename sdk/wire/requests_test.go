package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func samplePermissions() *Permissions {
	return &Permissions{
		Global: GlobalPermissions{ReadServers: true, ManageTopics: true, SendMessages: true},
		Streams: map[uint32]StreamPermissions{
			7: {ReadStream: true, PollMessages: true},
			2: {ManageStream: true, Topics: map[uint32]TopicPermissions{
				9: {ReadTopic: true}, 1: {ManageTopic: true, SendMessages: true},
			}},
		},
	}
}

// exampleRequests holds one or more values of every request type; the
// round-trip test and the fuzz seeds use them.
func exampleRequests() []Request {
	s, t, g := NumericID(1), NamedID("orders"), NamedID("billing")
	msgs := []Message{
		{Payload: []byte("hi")},
		{ID: [16]byte{1, 2, 3}, OriginTimestampMicros: 1_700_000_000_000_000, Payload: []byte("hello"),
			Headers: []HeaderEntry{{Key: StringHeader("k"), Value: Uint32Header(7)}}},
	}
	send, err := DecodeSendMessages(AppendSendMessages(nil, s, t, ByKey([]byte("user-1")), msgs))
	if err != nil {
		panic(err)
	}
	return []Request{
		PingRequest{}, GetStatsRequest{}, GetClusterMetadataRequest{}, GetMeRequest{}, GetClientsRequest{},
		GetSnapshotFileRequest{Compression: SnapshotDeflated, Types: []uint8{SnapshotProcessList, SnapshotServerLogs}},
		GetSnapshotFileRequest{Compression: SnapshotStored, Types: []uint8{SnapshotAll}},
		GetClientRequest{ClientID: 0xDEADBEEF},
		GetUserRequest{UserID: NamedID("alice")}, GetUsersRequest{},
		CreateUserRequest{Username: "alice", Password: "secret", Status: UserActive},
		CreateUserRequest{Username: "bob", Password: "", Status: UserInactive, Permissions: samplePermissions()},
		CreateUserRequest{Username: "carol", Password: "pw1", Status: UserActive, Permissions: &Permissions{}},
		DeleteUserRequest{UserID: NumericID(3)},
		UpdateUserRequest{UserID: NumericID(3)},
		UpdateUserRequest{UserID: NumericID(3), Username: "renamed", Status: UserInactive},
		UpdatePermissionsRequest{UserID: NamedID("bob"), Permissions: samplePermissions()},
		UpdatePermissionsRequest{UserID: NamedID("bob")},
		ChangePasswordRequest{UserID: NumericID(0), CurrentPassword: "iggy", NewPassword: "newpass"},
		LoginUserRequest{Username: "iggy", Password: "iggy", Version: ProtocolVersion},
		LoginUserRequest{Username: "iggy", Password: "iggy", Version: "1", Context: "ctx"},
		LogoutUserRequest{}, GetPersonalAccessTokensRequest{},
		CreatePersonalAccessTokenRequest{Name: "ci-token", ExpiryMicros: ExpiryNever},
		DeletePersonalAccessTokenRequest{Name: "ci-token"},
		LoginWithPersonalAccessTokenRequest{Token: "c2VjcmV0"},
		PollMessagesRequest{Consumer: SingleConsumer(NumericID(1)), StreamID: s, TopicID: t,
			Strategy: PollNext(), Count: 10, AutoCommit: true},
		PollMessagesRequest{Consumer: GroupConsumer(g), StreamID: s, TopicID: t, PartitionID: Partition(2),
			Strategy: PollOffset(42), Count: 1},
		send,
		FlushUnsavedBufferRequest{StreamID: s, TopicID: t, PartitionID: 3, Fsync: true},
		GetConsumerOffsetRequest{Consumer: SingleConsumer(NamedID("worker")), StreamID: s, TopicID: t},
		StoreConsumerOffsetRequest{Consumer: GroupConsumer(NumericID(0)), StreamID: s, TopicID: t,
			PartitionID: Partition(0), Offset: 99},
		DeleteConsumerOffsetRequest{Consumer: SingleConsumer(NumericID(5)), StreamID: s, TopicID: t,
			PartitionID: Partition(1)},
		GetStreamRequest{StreamID: s}, GetStreamsRequest{}, CreateStreamRequest{Name: "events"},
		DeleteStreamRequest{StreamID: NamedID("events")}, UpdateStreamRequest{StreamID: s, Name: "renamed"},
		PurgeStreamRequest{StreamID: s},
		GetTopicRequest{StreamID: s, TopicID: t}, GetTopicsRequest{StreamID: s},
		CreateTopicRequest{StreamID: s, PartitionsCount: 3, CompressionAlgorithm: CompressionNone,
			MessageExpiry: ExpiryNever, MaxTopicSize: TopicSizeUnlimited, ReplicationFactor: 1, Name: "orders"},
		DeleteTopicRequest{StreamID: s, TopicID: t},
		UpdateTopicRequest{StreamID: s, TopicID: t, CompressionAlgorithm: CompressionGzip, MessageExpiry: 60_000_000,
			MaxTopicSize: 1 << 30, Name: "orders2"},
		PurgeTopicRequest{StreamID: s, TopicID: t},
		CreatePartitionsRequest{StreamID: s, TopicID: t, PartitionsCount: 2},
		DeletePartitionsRequest{StreamID: s, TopicID: t, PartitionsCount: 1},
		DeleteSegmentsRequest{StreamID: s, TopicID: t, PartitionID: 1, SegmentsCount: 5},
		GetConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g}, GetConsumerGroupsRequest{StreamID: s, TopicID: t},
		CreateConsumerGroupRequest{StreamID: s, TopicID: t, Name: "billing"},
		DeleteConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: NumericID(0)},
		JoinConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g},
		LeaveConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g},
		GetPartitionTiersRequest{StreamID: s, TopicID: t},
		GetPartitionTiersRequest{StreamID: NamedID("events"), TopicID: NumericID(4), PartitionID: Partition(0)},
	}
}

func TestEveryCommandHasAnExample(t *testing.T) {
	seen := map[uint32]bool{}
	for _, q := range exampleRequests() {
		seen[q.Code()] = true
	}
	for code := uint32(0); code < 1000; code++ {
		_, known := requestDecoders(code)
		if known && !seen[code] {
			t.Errorf("command %d has no example", code)
		}
		if seen[code] && !known {
			t.Errorf("command %d has an example but no decoder", code)
		}
	}
}

func TestRequestRoundTrip(t *testing.T) {
	for _, q := range exampleRequests() {
		payload := q.AppendTo(nil)
		got, err := DecodeRequest(q.Code(), payload)
		if err != nil {
			t.Fatalf("%T: decode: %v", q, err)
		}
		if !reflect.DeepEqual(got, q) {
			t.Errorf("%T round trip:\n got %+v\nwant %+v", q, got, q)
		}
		// Trailing bytes are tolerated (§1.5), except by SendMessages whose
		// messages section runs to the end of the payload.
		if q.Code() != CodeSendMessages {
			if _, err := DecodeRequest(q.Code(), append(payload, 0, 0xFF)); err != nil {
				t.Errorf("%T with trailing bytes: %v", q, err)
			}
		}
	}
}

func TestAppendRequestFrame(t *testing.T) {
	got := AppendRequest(nil, PingRequest{})
	if want := []byte{4, 0, 0, 0, 1, 0, 0, 0}; !bytes.Equal(got, want) {
		t.Fatalf("ping frame % x, want % x", got, want)
	}
	frame := AppendRequest([]byte("prefix"), CreateStreamRequest{Name: "s"})
	h, payload, err := ReadRequest(bytes.NewReader(frame[6:]), nil, 1<<20)
	if err != nil || h.Code != CodeCreateStream || string(payload) != "\x01s" {
		t.Fatalf("ReadRequest: %+v %q %v", h, payload, err)
	}
}

// Hand-built payloads as the Iggy Go SDK v0.8.0 writes them (its command
// structs are internal, so the layouts are transcribed from
// internal/command/*.go and checked against our encoders).
func TestRequestBytesMatchIggySDK(t *testing.T) {
	cases := []struct {
		q    Request
		want string
	}{
		{CreateStreamRequest{Name: "ab"}, "02 6162"},
		{GetStreamRequest{StreamID: NumericID(5)}, "01 04 05000000"},
		{UpdateStreamRequest{StreamID: NamedID("x"), Name: "yz"}, "02 01 78 02 797a"},
		{CreateTopicRequest{StreamID: NumericID(1), PartitionsCount: 2, CompressionAlgorithm: 1, MessageExpiry: 3,
			MaxTopicSize: 4, ReplicationFactor: 0, Name: "t"},
			"01 04 01000000 02000000 01 0300000000000000 0400000000000000 00 01 74"},
		{UpdateTopicRequest{StreamID: NumericID(1), TopicID: NumericID(2), CompressionAlgorithm: 2, MessageExpiry: 0,
			MaxTopicSize: 0, ReplicationFactor: 1, Name: "t"},
			"01 04 01000000 01 04 02000000 02 0000000000000000 0000000000000000 01 01 74"},
		{CreatePartitionsRequest{StreamID: NumericID(1), TopicID: NumericID(2), PartitionsCount: 3},
			"01 04 01000000 01 04 02000000 03000000"},
		{CreateConsumerGroupRequest{StreamID: NumericID(1), TopicID: NumericID(2), Name: "g"},
			"01 04 01000000 01 04 02000000 01 67"},
		{LoginUserRequest{Username: "iggy", Password: "pw", Version: "0.8.0"},
			"04 69676779 02 7077 05000000 302e382e30 00000000"},
		{LoginWithPersonalAccessTokenRequest{Token: "tk"}, "02 746b"},
		{CreatePersonalAccessTokenRequest{Name: "n", ExpiryMicros: 0}, "01 6e 0000000000000000"},
		{GetClientRequest{ClientID: 9}, "09000000"},
		{ChangePasswordRequest{UserID: NumericID(1), CurrentPassword: "a", NewPassword: "bc"},
			"01 04 01000000 01 61 02 6263"},
		{CreateUserRequest{Username: "u", Password: "p", Status: UserInactive}, "01 75 01 70 02 00"},
		{UpdateUserRequest{UserID: NumericID(1), Status: UserActive}, "01 04 01000000 00 01 01"},
		{UpdateUserRequest{UserID: NumericID(1), Username: "n"}, "01 04 01000000 01 01 6e 00"},
		{UpdatePermissionsRequest{UserID: NumericID(1)}, "01 04 01000000 00"},
		{PollMessagesRequest{Consumer: SingleConsumer(NumericID(1)), StreamID: NumericID(2), TopicID: NumericID(3),
			PartitionID: Partition(4), Strategy: PollOffset(5), Count: 6, AutoCommit: true},
			"01 01 04 01000000 01 04 02000000 01 04 03000000 01 04000000 01 0500000000000000 06000000 01"},
		{StoreConsumerOffsetRequest{Consumer: GroupConsumer(NamedID("g")), StreamID: NumericID(2),
			TopicID: NumericID(3), Offset: 7},
			"02 02 01 67 01 04 02000000 01 04 03000000 00 00000000 0700000000000000"},
	}
	for _, c := range cases {
		want, err := hex.DecodeString(strings.ReplaceAll(c.want, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.q.AppendTo(nil); !bytes.Equal(got, want) {
			t.Errorf("%T:\n got % x\nwant % x", c.q, got, want)
		}
	}
}

// The SDK's UpdateUser with both fields set appends one extra zero byte.
func TestUpdateUserSDKTrailingByte(t *testing.T) {
	payload := []byte{1, 4, 1, 0, 0, 0, 1, 1, 'n', 1, 2, 0}
	q, err := DecodeUpdateUserRequest(payload)
	if err != nil || q.Username != "n" || q.Status != UserInactive {
		t.Fatalf("got %+v, %v", q, err)
	}
}

func TestLoginUserWithoutVersion(t *testing.T) {
	q, err := DecodeLoginUserRequest([]byte{4, 'i', 'g', 'g', 'y', 2, 'p', 'w'})
	if err != nil || q.Username != "iggy" || q.Password != "pw" || q.Version != "" {
		t.Fatalf("got %+v, %v", q, err)
	}
}

func TestRequestDecodeErrors(t *testing.T) {
	cases := []struct {
		name    string
		code    uint32
		payload []byte
		want    *Error
	}{
		{"unknown code", 999, nil, ErrInvalidCommand},
		{"empty payload", CodeGetStream, nil, ErrInvalidCommand},
		{"truncated numeric id", CodeGetStream, []byte{1, 4, 0, 0}, ErrInvalidCommand},
		{"numeric id length 3", CodeGetStream, []byte{1, 3, 0, 0, 0}, ErrInvalidFormat},
		{"empty string id", CodeGetStream, []byte{2, 0}, ErrInvalidFormat},
		{"unknown id kind", CodeGetStream, []byte{3, 1, 'a'}, ErrInvalidCommand},
		{"invalid utf-8 id", CodeGetStream, []byte{2, 1, 0xFF}, ErrInvalidCommand},
		{"empty name", CodeCreateStream, []byte{0}, ErrInvalidFormat},
		{"truncated name", CodeCreateStream, []byte{5, 'a'}, ErrInvalidCommand},
		{"invalid utf-8 name", CodeCreateStream, []byte{2, 0xC3, 0x28}, ErrInvalidCommand},
		{"bad compression", CodeCreateTopic,
			append([]byte{1, 4, 0, 0, 0, 0, 1, 0, 0, 0, 9}, make([]byte, 18)...), ErrInvalidCommand},
		{"bad user status", CodeCreateUser, []byte{1, 'u', 1, 'p', 3, 0}, ErrInvalidCommand},
		{"permissions length mismatch", CodeCreateUser,
			append([]byte{1, 'u', 1, 'p', 1, 1, 12, 0, 0, 0}, make([]byte, 11)...), ErrInvalidFormat},
		{"permissions truncated", CodeUpdatePermissions, []byte{1, 4, 0, 0, 0, 0, 1, 11, 0, 0, 0, 1, 1}, ErrInvalidCommand},
		{"bad consumer kind", CodePollMessages, []byte{3, 1, 4, 0, 0, 0, 0}, ErrInvalidCommand},
		{"bad polling kind", CodePollMessages, pollWithKind(6), ErrInvalidCommand},
		{"bad status in update", CodeUpdateUser, []byte{1, 4, 0, 0, 0, 0, 0, 1, 7}, ErrInvalidCommand},
		{"snapshot all mixed", CodeGetSnapshotFile, []byte{1, 2, 100, 1}, ErrInvalidCommand},
		{"snapshot bad type", CodeGetSnapshotFile, []byte{1, 1, 7}, ErrInvalidCommand},
		{"snapshot bad compression", CodeGetSnapshotFile, []byte{7, 1, 1}, ErrInvalidCommand},
		{"login empty username", CodeLoginUser, []byte{0, 0}, ErrInvalidFormat},
		{"login truncated version", CodeLoginUser, []byte{1, 'u', 1, 'p', 9, 0, 0, 0}, ErrInvalidCommand},
		{"pat empty token", CodeLoginWithPersonalAccessToken, []byte{0}, ErrInvalidFormat},
	}
	for _, c := range cases {
		_, err := DecodeRequest(c.code, c.payload)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func pollWithKind(kind uint8) []byte {
	q := PollMessagesRequest{Consumer: SingleConsumer(NumericID(1)), StreamID: NumericID(1), TopicID: NumericID(1),
		Strategy: PollingStrategy{Kind: 1}}
	b := q.AppendTo(nil)
	b[len(b)-14] = kind // kind precedes value u64, count u32, auto_commit u8
	return b
}

func TestPermissionsSortedAndAnyOrder(t *testing.T) {
	p := samplePermissions()
	b := AppendPermissions(nil, p)
	// Stream 2 (with topics 1 then 9) must come before stream 7.
	want := "00010000000001000001" + // global
		"01" + "02000000" + "010000000000" + "01" +
		"01000000" + "01000001" + "01" + "09000000" + "00010000" + "00" + "01" +
		"07000000" + "000100000100" + "00" + "00"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("permissions\n got %s\nwant %s", got, want)
	}
	got, err := DecodePermissions(b)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("decode: %+v %v", got, err)
	}
	// Reversed order, non-zero "true" bytes, and has_next values other than 1.
	rev := "000200000000ff000003" + "01" +
		"07000000" + "000200000200" + "00" + "05" +
		"02000000" + "010000000000" + "01" + "09000000" + "00030000" + "07" + "01000000" + "01000001" + "00" + "00"
	raw, _ := hex.DecodeString(rev)
	got, err = DecodePermissions(raw)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("any order:\n got %+v %v\nwant %+v", got, err, p)
	}
}

func TestConsumerKey(t *testing.T) {
	if ConsumerKey(NumericID(42)) != 42 {
		t.Fatal("numeric consumer key")
	}
	if ConsumerKey(NamedID("abc")) != 0x32D153FF {
		t.Fatal("string consumer key is XXH32 of the name")
	}
}

func TestKnownCommand(t *testing.T) {
	for _, q := range exampleRequests() {
		if !KnownCommand(q.Code()) {
			t.Errorf("code %d unknown", q.Code())
		}
	}
	for _, code := range []uint32{0, 2, 40, 103, 206, 999} {
		if KnownCommand(code) {
			t.Errorf("code %d known", code)
		}
	}
}

func TestTransportNamesRoundTrip(t *testing.T) {
	for code := uint8(0); code < 8; code++ {
		name := TransportName(code)
		valid := code >= TransportTCP && code <= TransportWebSocket
		if back := TransportCode(name); (valid && back != code) || (!valid && (back != 0 || name != "unknown")) {
			t.Errorf("code %d → %q → %d", code, name, back)
		}
	}
	if TransportName(TransportWebSocket) != "websocket" || TransportCode("quic") != TransportQUIC || TransportCode("ftp") != 0 {
		t.Fatal("names do not match the server's config sections")
	}
}

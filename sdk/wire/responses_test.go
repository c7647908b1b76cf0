package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func exampleStats() Stats {
	return Stats{ProcessID: 42, CPUUsage: 12.5, TotalCPUUsage: 50, MemoryUsage: 1 << 20, TotalMemory: 1 << 34,
		AvailableMemory: 1 << 33, RunTimeMicros: 5_000_000, StartTimeMicros: 1_700_000_000_000_000, ReadBytes: 1,
		WrittenBytes: 2, MessagesSizeBytes: 3, StreamsCount: 4, TopicsCount: 5, PartitionsCount: 6, SegmentsCount: 7,
		MessagesCount: 8, ClientsCount: 9, ConsumerGroupsCount: 10, Hostname: "host", OSName: "Linux",
		OSVersion: "6.1", KernelVersion: "6.1.0", ServerVersion: "0.8.0", ServerSemver: 8000,
		CacheMetrics: []CacheMetrics{{StreamID: 1, TopicID: 2, PartitionID: 3, Hits: 4, Misses: 5, HitRatio: 0.5}},
		ThreadsCount: 11, FreeDiskSpace: 12, TotalDiskSpace: 13}
}

func exampleTopic() TopicDetails {
	return TopicDetails{
		TopicHeader: TopicHeader{ID: 1, CreatedAtMicros: 99, PartitionsCount: 2, MessageExpiry: ExpiryNever,
			CompressionAlgorithm: CompressionNone, MaxTopicSize: TopicSizeUnlimited, ReplicationFactor: 1,
			SizeBytes: 1000, MessagesCount: 10, Name: "orders"},
		Partitions: []PartitionInfo{
			{ID: 0, CreatedAtMicros: 99, SegmentsCount: 1, CurrentOffset: 4, SizeBytes: 500, MessagesCount: 5},
			{ID: 1, CreatedAtMicros: 99, SegmentsCount: 2, CurrentOffset: 3, SizeBytes: 500, MessagesCount: 5},
		},
	}
}

func exampleStream() StreamDetails {
	t := exampleTopic().TopicHeader
	t2 := t
	t2.ID, t2.Name = 2, "payments"
	return StreamDetails{
		StreamHeader: StreamHeader{ID: 3, CreatedAtMicros: 7, TopicsCount: 2, SizeBytes: 2000, MessagesCount: 20, Name: "shop"},
		Topics:       []TopicHeader{t, t2},
	}
}

func exampleGroup() ConsumerGroupDetails {
	return ConsumerGroupDetails{
		ConsumerGroupHeader: ConsumerGroupHeader{ID: 0, PartitionsCount: 3, MembersCount: 2, Name: "billing"},
		Members:             []ConsumerGroupMember{{ID: 0, Partitions: []uint32{0, 2}}, {ID: 1, Partitions: []uint32{1}}},
	}
}

func exampleClient() ClientDetails {
	return ClientDetails{
		ClientInfo:     ClientInfo{ClientID: 12345, UserID: 0, Transport: TransportTCP, Address: "127.0.0.1:5000", ConsumerGroupsCount: 1},
		ConsumerGroups: []ClientGroup{{StreamID: 1, TopicID: 2, GroupID: 3}},
	}
}

func exampleUser() UserDetails {
	return UserDetails{
		UserHeader:  UserHeader{ID: 1, CreatedAtMicros: 5, Status: UserActive, Username: "alice"},
		Permissions: samplePermissions(),
	}
}

func exampleCluster() ClusterMetadata {
	return ClusterMetadata{Name: "single-node", Nodes: []ClusterNode{{Name: "iggy-node", IP: "127.0.0.1",
		TCPPort: 8090, QUICPort: 8080, HTTPPort: 3000, WebSocketPort: 8092, Role: NodeLeader, Status: NodeHealthy}}}
}

func examplePolled() PolledMessages {
	return PolledMessages{PartitionID: 1, CurrentOffset: 9, Count: 2, Messages: []PolledMessage{
		{Header: MessageHeader{Checksum: 1, IDLow: 2, IDHigh: 3, Offset: 8, Timestamp: 4, OriginTimestamp: 5,
			PayloadLength: 2}, Payload: []byte("hi"), UserHeaders: []byte{}},
		{Header: MessageHeader{Offset: 9, UserHeadersLength: 12, PayloadLength: 1}, Payload: []byte("x"),
			UserHeaders: AppendUserHeaders(nil, []HeaderEntry{{Key: StringHeader("k"), Value: BoolHeader(true)}})},
	}}
}

// roundTrip encodes v, decodes it back and expects an equal value; a payload
// cut by one byte must fail unless its tail is optional (lenientTail).
func roundTrip[T any](t *testing.T, name string, v T, appendTo func(T, []byte) []byte, decode func([]byte) (T, error), lenientTail ...bool) {
	t.Helper()
	b := appendTo(v, nil)
	got, err := decode(b)
	if err != nil {
		t.Fatalf("%s: decode: %v", name, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("%s round trip:\n got %+v\nwant %+v", name, got, v)
	}
	if len(b) > 0 && len(lenientTail) == 0 {
		if _, err := decode(b[:len(b)-1]); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("%s: truncated payload decoded: %v", name, err)
		}
	}
}

func TestResponseRoundTrips(t *testing.T) {
	roundTrip(t, "stats", exampleStats(), Stats.AppendTo, DecodeStats)
	roundTrip(t, "cluster", exampleCluster(), ClusterMetadata.AppendTo, DecodeClusterMetadata)
	roundTrip(t, "client", exampleClient(), ClientDetails.AppendTo, DecodeClientDetails)
	roundTrip(t, "identity", Identity{UserID: 7}, Identity.AppendTo, DecodeIdentity)
	roundTrip(t, "user", exampleUser(), UserDetails.AppendTo, DecodeUserDetails)
	roundTrip(t, "user without permissions", UserDetails{UserHeader: UserHeader{ID: 2, Status: UserInactive,
		Username: "bob"}}, UserDetails.AppendTo, DecodeUserDetails, true)
	roundTrip(t, "token", RawPersonalAccessToken{Token: "secret"}, RawPersonalAccessToken.AppendTo, DecodeRawPersonalAccessToken)
	roundTrip(t, "stream header", exampleStream().StreamHeader, StreamHeader.AppendTo, DecodeStreamHeader)
	roundTrip(t, "stream", exampleStream(), StreamDetails.AppendTo, DecodeStreamDetails)
	roundTrip(t, "topic", exampleTopic(), TopicDetails.AppendTo, DecodeTopicDetails)
	roundTrip(t, "group header", exampleGroup().ConsumerGroupHeader, ConsumerGroupHeader.AppendTo, DecodeConsumerGroupHeader)
	roundTrip(t, "group", exampleGroup(), ConsumerGroupDetails.AppendTo, DecodeConsumerGroupDetails)
	roundTrip(t, "offset", OffsetInfo{PartitionID: 1, CurrentOffset: 2, StoredOffset: 3}, OffsetInfo.AppendTo, DecodeOffsetInfo)
	roundTrip(t, "polled", examplePolled(), PolledMessages.AppendTo, DecodePolledMessages)

	list := func(name string, b []byte, decode func([]byte) (int, error), want int) {
		n, err := decode(b)
		if err != nil || n != want {
			t.Errorf("%s: %d items, %v", name, n, err)
		}
	}
	s := exampleStream()
	list("streams", AppendStreams(nil, []StreamHeader{s.StreamHeader, s.StreamHeader}), lenOf(DecodeStreams), 2)
	list("topics", AppendTopics(nil, s.Topics), lenOf(DecodeTopics), 2)
	list("groups", AppendConsumerGroups(nil, []ConsumerGroupHeader{exampleGroup().ConsumerGroupHeader}), lenOf(DecodeConsumerGroups), 1)
	list("users", AppendUsers(nil, []UserHeader{exampleUser().UserHeader}), lenOf(DecodeUsers), 1)
	list("clients", AppendClients(nil, []ClientInfo{exampleClient().ClientInfo}), lenOf(DecodeClients), 1)
	list("pats", AppendPatInfos(nil, []PatInfo{{Name: "a", ExpiryAtMicros: 1}, {Name: "b"}}), lenOf(DecodePatInfos), 2)
	list("empty", nil, lenOf(DecodeStreams), 0)
}

func lenOf[T any](decode func([]byte) ([]T, error)) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		v, err := decode(b)
		return len(v), err
	}
}

func TestDetailsCountsFollowLists(t *testing.T) {
	d := exampleStream()
	d.TopicsCount = 99
	got, _ := DecodeStreamDetails(d.AppendTo(nil))
	if got.TopicsCount != 2 {
		t.Fatalf("topics_count %d, want len(Topics)", got.TopicsCount)
	}
	c := exampleClient()
	c.ConsumerGroupsCount = 5
	gotc, err := DecodeClientDetails(c.AppendTo(nil))
	if err != nil || gotc.ConsumerGroupsCount != 1 {
		t.Fatalf("consumer_groups_count %d, %v", gotc.ConsumerGroupsCount, err)
	}
}

func TestPolledHeaderAndRawFrames(t *testing.T) {
	p := examplePolled()
	full := p.AppendTo(nil)
	// A server writes the head then raw stored frames; both must agree.
	head := AppendPolledHeader(nil, 1, 9, 2)
	if !bytes.Equal(head, full[:PolledHeaderSize]) {
		t.Fatalf("head % x vs % x", head, full[:PolledHeaderSize])
	}
	put := make([]byte, PolledHeaderSize)
	PutPolledHeader(put, 1, 9, 2)
	if !bytes.Equal(put, head) {
		t.Fatal("PutPolledHeader differs from AppendPolledHeader")
	}
	got, err := DecodePolledMessages(full)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := got.Messages[1].Headers()
	if err != nil || len(hs) != 1 || string(hs[0].Key.Data) != "k" {
		t.Fatalf("headers %v %v", hs, err)
	}
	if id := got.Messages[0].Header.ID(); id[0] != 2 || id[8] != 3 {
		t.Fatalf("id % x", id)
	}
	if _, err := DecodePolledMessages(append(full, 0)); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("trailing byte: %v", err)
	}
	empty, err := DecodePolledMessages(AppendPolledHeader(nil, 3, 0, 0))
	if err != nil || empty.PartitionID != 3 || len(empty.Messages) != 0 {
		t.Fatalf("empty poll %+v %v", empty, err)
	}
}

func TestUserHeadersTLV(t *testing.T) {
	var i128 [16]byte
	i128[15] = 0x80
	hs := []HeaderEntry{
		{Key: StringHeader("s"), Value: StringHeader("text")},
		{Key: StringHeader("b"), Value: BoolHeader(true)},
		{Key: Int32Header(-7), Value: Int64Header(-1 << 40)},
		{Key: StringHeader("u"), Value: Uint16Header(65535)},
		{Key: StringHeader("f"), Value: Float64Header(2.5)},
		{Key: StringHeader("f32"), Value: Float32Header(1.5)},
		{Key: RawHeader([]byte{0}), Value: Int128Header(i128)},
		{Key: StringHeader("i8"), Value: Int8Header(-2)},
		{Key: StringHeader("u8"), Value: Uint8Header(200)},
		{Key: StringHeader("i16"), Value: Int16Header(-300)},
		{Key: StringHeader("u32"), Value: Uint32Header(1 << 31)},
		{Key: StringHeader("u64"), Value: Uint64Header(1 << 63)},
		{Key: StringHeader("u128"), Value: Uint128Header(i128)},
	}
	if err := ValidateHeaderEntries(hs); err != nil {
		t.Fatal(err)
	}
	b := AppendUserHeaders(nil, hs)
	if len(b) != UserHeadersSize(hs) {
		t.Fatalf("size %d vs %d", len(b), UserHeadersSize(hs))
	}
	if err := ValidateUserHeaders(b); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeUserHeaders(b)
	if err != nil || !reflect.DeepEqual(got, hs) {
		t.Fatalf("decode: %v %v", got, err)
	}
	if v, _ := got[2].Key.AsInt64(); v != -7 {
		t.Errorf("AsInt64 = %d", v)
	}
	if v, _ := got[2].Value.AsInt64(); v != -1<<40 {
		t.Errorf("AsInt64 = %d", v)
	}
	if v, _ := got[3].Value.AsUint64(); v != 65535 {
		t.Errorf("AsUint64 = %d", v)
	}
	if v, _ := got[4].Value.AsFloat64(); v != 2.5 {
		t.Errorf("AsFloat64 = %v", v)
	}
	if v, _ := got[1].Value.AsBool(); !v {
		t.Error("AsBool")
	}
	if s, _ := got[0].Value.AsString(); s != "text" {
		t.Errorf("AsString = %q", s)
	}
	if _, err := got[0].Value.AsInt64(); !errors.Is(err, ErrInvalidHeaderValue) {
		t.Errorf("AsInt64 of a string: %v", err)
	}
	bad := [][]byte{
		{2, 1, 0, 0},                                      // truncated key length
		{2, 0, 0, 0, 0},                                   // empty key
		{99, 1, 0, 0, 0, 'k', 2, 1, 0, 0, 0},              // unknown key kind
		{2, 1, 0, 0, 0, 'k', 6, 2, 0, 0, 0, 1, 2},         // int32 of 2 bytes
		{2, 1, 0, 0, 0, 'k', 2, 9, 0, 0, 0, 'v'},          // value past the end
		{2, 1, 0, 0, 0, 'k', 2, 1, 0, 0, 0, 0xFF},         // invalid UTF-8 string
		{2, 1, 0, 0, 0, 'k', 2, 1, 0, 0, 0, 'v', 2, 1, 0}, // trailing partial entry
	}
	for i, b := range bad {
		if err := ValidateUserHeaders(b); err == nil {
			t.Errorf("bad[%d] validated", i)
		}
		if _, err := DecodeUserHeaders(b); err == nil {
			t.Errorf("bad[%d] decoded", i)
		}
	}
}

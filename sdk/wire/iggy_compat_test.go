package wire

// Cross-checks against the Apache Iggy Go SDK v0.8.0: what our server-side
// appenders produce must decode through the SDK's own deserializers, and
// our request encoders must match the SDK's public marshalers.

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	sdkser "github.com/apache/iggy/foreign/go/binary_serialization"
	iggcon "github.com/apache/iggy/foreign/go/contracts"
	ierror "github.com/apache/iggy/foreign/go/errors"
)

func TestIggySDKStreams(t *testing.T) {
	d := exampleStream()
	got, err := sdkser.DeserializeStream(d.AppendTo(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.Id != d.ID || got.Name != d.Name || got.TopicsCount != 2 || got.SizeBytes != d.SizeBytes ||
		got.MessagesCount != d.MessagesCount || got.CreatedAt != d.CreatedAtMicros || len(got.Topics) != 2 {
		t.Fatalf("stream details: %+v", got)
	}
	checkTopic(t, got.Topics[1], d.Topics[1])

	list := sdkser.DeserializeStreams(AppendStreams(nil, []StreamHeader{d.StreamHeader, {ID: 9, Name: "z"}}))
	if len(list) != 2 || list[1].Id != 9 || list[1].Name != "z" || list[0].Name != "shop" {
		t.Fatalf("streams: %+v", list)
	}
	created, err := sdkser.DeserializeStream(d.StreamHeader.AppendTo(nil))
	if err != nil || created.Name != "shop" || len(created.Topics) != 0 {
		t.Fatalf("create stream answer: %+v %v", created, err)
	}
}

func checkTopic(t *testing.T, got iggcon.Topic, want TopicHeader) {
	t.Helper()
	if got.Id != want.ID || got.Name != want.Name || got.CreatedAt != want.CreatedAtMicros ||
		got.PartitionsCount != want.PartitionsCount || uint64(got.MessageExpiry) != want.MessageExpiry ||
		got.CompressionAlgorithm != want.CompressionAlgorithm || got.MaxTopicSize != want.MaxTopicSize ||
		got.ReplicationFactor != want.ReplicationFactor || got.Size != want.SizeBytes ||
		got.MessagesCount != want.MessagesCount {
		t.Fatalf("topic\n got %+v\nwant %+v", got, want)
	}
}

func TestIggySDKTopics(t *testing.T) {
	d := exampleTopic()
	got, err := sdkser.DeserializeTopic(d.AppendTo(nil))
	if err != nil {
		t.Fatal(err)
	}
	checkTopic(t, got.Topic, d.TopicHeader)
	if len(got.Partitions) != 2 {
		t.Fatalf("partitions %+v", got.Partitions)
	}
	p, w := got.Partitions[1], d.Partitions[1]
	if p.Id != w.ID || p.CreatedAt != w.CreatedAtMicros || p.SegmentsCount != w.SegmentsCount ||
		p.CurrentOffset != w.CurrentOffset || p.SizeBytes != w.SizeBytes || p.MessagesCount != w.MessagesCount {
		t.Fatalf("partition %+v", p)
	}
	list, err := sdkser.DeserializeTopics(AppendTopics(nil, exampleStream().Topics))
	if err != nil || len(list) != 2 {
		t.Fatalf("topics %+v %v", list, err)
	}
	checkTopic(t, list[1], exampleStream().Topics[1])
}

func TestIggySDKStats(t *testing.T) {
	s := exampleStats()
	var got iggcon.Stats
	if err := got.UnmarshalBinary(s.AppendTo(nil)); err != nil {
		t.Fatal(err)
	}
	want := iggcon.Stats{ProcessId: 42, CpuUsage: 12.5, TotalCpuUsage: 50, MemoryUsage: 1 << 20, TotalMemory: 1 << 34,
		AvailableMemory: 1 << 33, RunTime: 5_000_000, StartTime: 1_700_000_000_000_000, ReadBytes: 1, WrittenBytes: 2,
		MessagesSizeBytes: 3, StreamsCount: 4, TopicsCount: 5, PartitionsCount: 6, SegmentsCount: 7, MessagesCount: 8,
		ClientsCount: 9, ConsumerGroupsCount: 10, Hostname: "host", OsName: "Linux", OsVersion: "6.1",
		KernelVersion: "6.1.0", IggyServerVersion: "0.8.0", IggyServerSemver: 8000,
		CacheMetrics: []iggcon.CacheMetrics{{StreamId: 1, TopicId: 2, PartitionId: 3, Hits: 4, Misses: 5, HitRatio: 0.5}},
		ThreadsCount: 11, FreeDiskSpace: 12, TotalDiskSpace: 13}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stats\n got %+v\nwant %+v", got, want)
	}
	if err := got.UnmarshalBinary(Stats{}.AppendTo(nil)); err != nil {
		t.Fatalf("zero stats: %v", err)
	}
}

func sdkPermissions(p *Permissions) *iggcon.Permissions {
	out := &iggcon.Permissions{Global: iggcon.GlobalPermissions(p.Global)}
	if p.Streams != nil {
		out.Streams = map[int]*iggcon.StreamPermissions{}
	}
	for id, s := range p.Streams {
		sp := &iggcon.StreamPermissions{ManageStream: s.ManageStream, ReadStream: s.ReadStream,
			ManageTopics: s.ManageTopics, ReadTopics: s.ReadTopics, PollMessages: s.PollMessages,
			SendMessages: s.SendMessages, Topics: map[int]*iggcon.TopicPermissions{}}
		for tid, tp := range s.Topics {
			v := iggcon.TopicPermissions(tp)
			sp.Topics[int(tid)] = &v
		}
		out.Streams[int(id)] = sp
	}
	return out
}

func TestIggySDKUsers(t *testing.T) {
	u := exampleUser()
	got, err := sdkser.DeserializeUser(u.AppendTo(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.Id != 1 || got.Username != "alice" || got.Status != iggcon.Active || got.CreatedAt != 5 {
		t.Fatalf("user %+v", got.UserInfo)
	}
	if !reflect.DeepEqual(got.Permissions, sdkPermissions(u.Permissions)) {
		t.Fatalf("permissions\n got %+v\nwant %+v", got.Permissions, sdkPermissions(u.Permissions))
	}
	plain := UserDetails{UserHeader: UserHeader{ID: 2, Status: UserInactive, Username: "bob"}}
	got, err = sdkser.DeserializeUser(plain.AppendTo(nil))
	if err != nil || got.Permissions != nil || got.Status != iggcon.Inactive {
		t.Fatalf("user without permissions: %+v %v", got, err)
	}
	list, err := sdkser.DeserializeUsers(AppendUsers(nil, []UserHeader{u.UserHeader, plain.UserHeader}))
	if err != nil || len(list) != 2 || list[1].Username != "bob" {
		t.Fatalf("users %+v %v", list, err)
	}
}

// The SDK emits permissions in map order; our decoder must accept that and
// come back to the same set.
func TestIggySDKPermissionsRequest(t *testing.T) {
	p := samplePermissions()
	for range 20 {
		raw, err := sdkPermissions(p).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodePermissions(raw)
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("decode SDK permissions: %+v %v", got, err)
		}
	}
	// CreateUser with permissions: SDK layout is flag, u32 length, block.
	raw, _ := sdkPermissions(p).MarshalBinary()
	sdkPayload := []byte{1, 'u', 1, 'p', 1, 1}
	sdkPayload = binary.LittleEndian.AppendUint32(sdkPayload, uint32(len(raw)))
	sdkPayload = append(sdkPayload, raw...)
	q, err := DecodeCreateUserRequest(sdkPayload)
	if err != nil || !reflect.DeepEqual(q.Permissions, p) {
		t.Fatalf("create user from SDK bytes: %+v %v", q, err)
	}
}

func TestIggySDKClusterMetadata(t *testing.T) {
	m := exampleCluster()
	var got iggcon.ClusterMetadata
	if err := got.UnmarshalBinary(m.AppendTo(nil)); err != nil {
		t.Fatal(err)
	}
	n := got.Nodes[0]
	if got.Name != "single-node" || len(got.Nodes) != 1 || n.Name != "iggy-node" || n.IP != "127.0.0.1" ||
		n.Endpoints.Tcp != 8090 || n.Endpoints.Quic != 8080 || n.Endpoints.Http != 3000 ||
		n.Endpoints.WebSocket != 8092 || n.Role != iggcon.RoleLeader || n.Status != iggcon.Healthy {
		t.Fatalf("cluster %+v", got)
	}
	// And back: the SDK's marshaler against our decoder.
	raw, _ := got.MarshalBinary()
	back, err := DecodeClusterMetadata(raw)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("decode SDK bytes: %+v %v", back, err)
	}
}

func TestIggySDKPolledMessages(t *testing.T) {
	p := examplePolled()
	got, err := sdkser.DeserializeFetchMessagesResponse(p.AppendTo(nil), iggcon.MESSAGE_COMPRESSION_NONE)
	if err != nil {
		t.Fatal(err)
	}
	if got.PartitionId != 1 || got.CurrentOffset != 9 || got.MessageCount != 2 || len(got.Messages) != 2 {
		t.Fatalf("polled %+v", got)
	}
	m := got.Messages[0]
	h := p.Messages[0].Header
	if m.Header.Checksum != h.Checksum || m.Header.Offset != h.Offset || m.Header.Timestamp != h.Timestamp ||
		m.Header.OriginTimestamp != h.OriginTimestamp || string(m.Payload) != "hi" || m.Header.Id != iggcon.MessageID(h.ID()) {
		t.Fatalf("message 0 %+v", m)
	}
	hs, err := iggcon.DeserializeHeaders(got.Messages[1].UserHeaders)
	if err != nil || len(hs) != 1 || string(hs[0].Key.Value) != "k" || hs[0].Value.Kind != iggcon.Bool {
		t.Fatalf("headers %+v %v", hs, err)
	}
	empty, err := sdkser.DeserializeFetchMessagesResponse(AppendPolledHeader(nil, 4, 0, 0), iggcon.MESSAGE_COMPRESSION_NONE)
	if err != nil || empty.PartitionId != 4 || len(empty.Messages) != 0 {
		t.Fatalf("empty poll %+v %v", empty, err)
	}
}

func TestIggySDKGroups(t *testing.T) {
	g := exampleGroup()
	got := sdkser.DeserializeConsumerGroup(g.AppendTo(nil))
	if got.Id != 0 || got.Name != "billing" || got.MembersCount != 2 || got.PartitionsCount != 3 ||
		len(got.Members) != 2 || !reflect.DeepEqual(got.Members[0].Partitions, []uint32{0, 2}) {
		t.Fatalf("group %+v", got)
	}
	created := sdkser.DeserializeConsumerGroup(g.ConsumerGroupHeader.AppendTo(nil))
	if created.Name != "billing" || len(created.Members) != 0 {
		t.Fatalf("create group answer %+v", created)
	}
	list := sdkser.DeserializeConsumerGroups(AppendConsumerGroups(nil, []ConsumerGroupHeader{g.ConsumerGroupHeader, {ID: 5, Name: "x"}}))
	if len(list) != 2 || list[1].Id != 5 {
		t.Fatalf("groups %+v", list)
	}
}

func TestIggySDKClients(t *testing.T) {
	c := exampleClient()
	got := sdkser.DeserializeClient(c.AppendTo(nil))
	if got.ID != 12345 || got.UserID != 0 || got.Transport != string(iggcon.Tcp) || got.Address != "127.0.0.1:5000" ||
		got.ConsumerGroupsCount != 1 {
		t.Fatalf("client %+v", got)
	}
	// The SDK pre-sizes the slice and then appends, so our entry is last.
	if last := got.ConsumerGroups[len(got.ConsumerGroups)-1]; last.StreamId != 1 || last.TopicId != 2 || last.GroupId != 3 {
		t.Fatalf("client groups %+v", got.ConsumerGroups)
	}
	anon := ClientInfo{ClientID: 1, UserID: UserIDNone, Transport: TransportTCP, Address: "[::1]:1"}
	list, err := sdkser.DeserializeClients(AppendClients(nil, []ClientInfo{c.ClientInfo, anon}))
	if err != nil || len(list) != 2 || list[1].UserID != UserIDNone || list[1].Address != "[::1]:1" {
		t.Fatalf("clients %+v %v", list, err)
	}
}

func TestIggySDKSmallAnswers(t *testing.T) {
	if id := sdkser.DeserializeLogInResponse(Identity{UserID: 3}.AppendTo(nil)); id.UserId != 3 {
		t.Fatalf("identity %+v", id)
	}
	off := sdkser.DeserializeOffset(OffsetInfo{PartitionID: 1, CurrentOffset: 2, StoredOffset: 3}.AppendTo(nil))
	if off == nil || off.PartitionId != 1 || off.CurrentOffset != 2 || off.StoredOffset != 3 {
		t.Fatalf("offset %+v", off)
	}
	tok, err := sdkser.DeserializeAccessToken(RawPersonalAccessToken{Token: "abc"}.AppendTo(nil))
	if err != nil || tok.Token != "abc" {
		t.Fatalf("token %+v %v", tok, err)
	}
	pats, err := sdkser.DeserializeAccessTokens(AppendPatInfos(nil, []PatInfo{{Name: "a", ExpiryAtMicros: 77}, {Name: "bb"}}))
	if err != nil || len(pats) != 2 || pats[0].Name != "a" || pats[0].Expiry.UnixNano() != 77 || pats[1].Name != "bb" {
		t.Fatalf("pats %+v %v", pats, err)
	}
}

func TestIggySDKPrimitives(t *testing.T) {
	for _, id := range []Identifier{NumericID(0), NumericID(0xFFFFFFFF), NamedID("orders")} {
		var sdk iggcon.Identifier
		if id.Kind == IdentifierNumeric {
			sdk, _ = iggcon.NewIdentifier(id.Numeric)
		} else {
			sdk, _ = iggcon.NewIdentifier(id.Name)
		}
		want, _ := sdk.MarshalBinary()
		if got := AppendIdentifier(nil, id); !bytes.Equal(got, want) {
			t.Errorf("identifier %v: % x vs % x", id, got, want)
		}
		c, _ := iggcon.NewGroupConsumer(sdk).MarshalBinary()
		if got := appendConsumer(nil, GroupConsumer(id)); !bytes.Equal(got, c) {
			t.Errorf("consumer %v: % x vs % x", id, got, c)
		}
	}
	key, _ := iggcon.EntityIdString("user-1")
	for _, c := range []struct {
		ours Partitioning
		sdk  iggcon.Partitioning
	}{{Balanced(), iggcon.None()}, {ToPartition(7), iggcon.PartitionId(7)}, {ByKey([]byte("user-1")), key}} {
		want, _ := c.sdk.MarshalBinary()
		if got := appendPartitioning(nil, c.ours); !bytes.Equal(got, want) {
			t.Errorf("partitioning %+v: % x vs % x", c.ours, got, want)
		}
	}
}

func TestIggySDKMessageFrame(t *testing.T) {
	sdkHeaders := []iggcon.HeaderEntry{{Key: iggcon.HeaderKey{Kind: iggcon.String, Value: []byte("k")},
		Value: iggcon.HeaderValue{Kind: iggcon.Uint32, Value: []byte{7, 0, 0, 0}}}}
	msg, err := iggcon.NewIggyMessage([]byte("payload"), iggcon.WithID([16]byte{9, 8, 7}), iggcon.WithUserHeaders(sdkHeaders))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(msg.Header.ToBytes(), msg.Payload...), msg.UserHeaders...)
	ours := Message{ID: [16]byte{9, 8, 7}, OriginTimestampMicros: msg.Header.OriginTimestamp, Payload: []byte("payload"),
		Headers: []HeaderEntry{{Key: StringHeader("k"), Value: Uint32Header(7)}}}
	if got := AppendMessage(nil, ours); !bytes.Equal(got, want) {
		t.Fatalf("frame\n got % x\nwant % x", got, want)
	}
	back, err := iggcon.DeserializeHeaders(AppendUserHeaders(nil, ours.Headers))
	if err != nil || !reflect.DeepEqual(back, sdkHeaders) {
		t.Fatalf("SDK reading our headers: %+v %v", back, err)
	}
}

// Every code the SDK maps to a typed error must be known here too, with the
// same number.
func TestIggySDKErrorCodesKnown(t *testing.T) {
	for code := uint32(1); code <= 13000; code++ {
		sdk := ierror.FromCode(ierror.Code(code))
		if uint32(sdk.Code()) != code {
			continue
		}
		var e *Error
		if err := ErrorFromCode(code); !asError(err, &e) || e.Name == "Unknown" {
			t.Errorf("code %d (%v) is missing from errorTable", code, sdk)
		}
	}
}

func asError(err error, e **Error) bool {
	v, ok := err.(*Error)
	*e = v
	return ok
}

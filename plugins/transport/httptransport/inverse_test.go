package httptransport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// recorder answers logins and, for every other command, records the
// binary request it got and answers the canned binary payload.
type recorder struct {
	mu      sync.Mutex
	got     []transport.Request
	answers map[uint32][]byte
}

func (r *recorder) Connect(context.Context, transport.Session) (transport.Conn, error) { return r, nil }
func (r *recorder) Disconnected()                                                      {}

func (r *recorder) Handle(_ context.Context, req transport.Request) transport.Response {
	if req.Code == wire.CodeLoginUser {
		return transport.Response{Payload: [][]byte{wire.Identity{UserID: 7}.AppendTo(nil)}}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, transport.Request{Code: req.Code, Payload: append([]byte(nil), req.Payload...)})
	return transport.Response{Payload: [][]byte{r.answers[req.Code]}}
}

func (r *recorder) last() transport.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1]
}

// TestClientTranslationIsTheInverse: for each command, the REST call the
// SDK builds (httpapi.Build) reaches the server's handler as the very same
// binary request, and the JSON answer converts back (httpapi.Answer) into
// the very same binary answer the handler gave. So the client and the
// server mappings are each other's inverse, route by route.
func TestClientTranslationIsTheInverse(t *testing.T) {
	stream, topic := wire.NamedID("orders"), wire.NumericID(2)
	perms := wire.AllPermissions()
	perms.Streams = map[uint32]wire.StreamPermissions{1: {ReadStream: true, Topics: map[uint32]wire.TopicPermissions{2: {PollMessages: true}}}}
	msg := wire.AppendMessage(nil, wire.Message{ID: [16]byte{1, 2}, Payload: []byte("hello"), Headers: []wire.HeaderEntry{{Key: wire.StringHeader("k"), Value: wire.StringHeader("v")}}})
	h := wire.DecodeMessageHeader(msg)
	h.Offset, h.Timestamp, h.OriginTimestamp, h.Checksum = 41, 1000, 999, 12345
	polled := wire.PolledMessages{PartitionID: 1, CurrentOffset: 41, Count: 1, Messages: []wire.PolledMessage{
		{Header: h, Payload: []byte("hello"), UserHeaders: msg[wire.MessageHeaderSize+5:]}}}
	topicDetails := wire.TopicDetails{TopicHeader: wire.TopicHeader{ID: 2, CreatedAtMicros: 5, PartitionsCount: 1,
		CompressionAlgorithm: wire.CompressionGzip, MessageExpiry: 9, MaxTopicSize: 10, ReplicationFactor: 1, SizeBytes: 3,
		MessagesCount: 4, Name: "events"}, Partitions: []wire.PartitionInfo{{ID: 1, CreatedAtMicros: 5, SegmentsCount: 1, CurrentOffset: 3}}}
	cases := []struct {
		q      wire.Request
		answer []byte
	}{
		{wire.GetStatsRequest{}, wire.Stats{ProcessID: 1, CPUUsage: 0.5, Hostname: "h", ServerSemver: 8000,
			CacheMetrics: []wire.CacheMetrics{{StreamID: 1, Hits: 2, HitRatio: 0.25}}}.AppendTo(nil)},
		{wire.GetMeRequest{}, wire.ClientDetails{ClientInfo: wire.ClientInfo{ClientID: 3, UserID: 7, Transport: wire.TransportHTTP,
			Address: "a:1", ConsumerGroupsCount: 1}, ConsumerGroups: []wire.ClientGroup{{StreamID: 1, TopicID: 2, GroupID: 3}}}.AppendTo(nil)},
		{wire.GetClientsRequest{}, wire.AppendClients(nil, []wire.ClientInfo{{ClientID: 1, UserID: wire.UserIDNone, Transport: wire.TransportTCP, Address: "b:2"}})},
		{wire.GetClusterMetadataRequest{}, wire.ClusterMetadata{Name: "c", Nodes: []wire.ClusterNode{{Name: "n", IP: "127.0.0.1",
			TCPPort: 1, QUICPort: 2, HTTPPort: 3, WebSocketPort: 4, Role: wire.NodeLeader, Status: wire.NodeHealthy}}}.AppendTo(nil)},
		{wire.CreateUserRequest{Username: "u", Password: "p", Status: wire.UserInactive, Permissions: perms},
			wire.UserDetails{UserHeader: wire.UserHeader{ID: 9, Status: wire.UserInactive, Username: "u"}, Permissions: perms}.AppendTo(nil)},
		{wire.GetUsersRequest{}, wire.AppendUsers(nil, []wire.UserHeader{{ID: 1, CreatedAtMicros: 2, Status: wire.UserActive, Username: "a"}})},
		{wire.UpdateUserRequest{UserID: wire.NamedID("u"), Username: "v"}, nil},
		{wire.ChangePasswordRequest{UserID: wire.NumericID(9), CurrentPassword: "a", NewPassword: "b"}, nil},
		{wire.CreatePersonalAccessTokenRequest{Name: "t", ExpiryMicros: 60e6}, wire.RawPersonalAccessToken{Token: "secret"}.AppendTo(nil)},
		{wire.GetPersonalAccessTokensRequest{}, wire.AppendPatInfos(nil, []wire.PatInfo{{Name: "t", ExpiryAtMicros: 5}, {Name: "never"}})},
		{wire.CreateStreamRequest{Name: "orders"}, wire.StreamHeader{ID: 1, Name: "orders"}.AppendTo(nil)},
		{wire.GetStreamRequest{StreamID: stream}, wire.StreamDetails{StreamHeader: wire.StreamHeader{ID: 1, TopicsCount: 1, Name: "orders"},
			Topics: []wire.TopicHeader{topicDetails.TopicHeader}}.AppendTo(nil)},
		{wire.CreateTopicRequest{StreamID: stream, PartitionsCount: 1, CompressionAlgorithm: wire.CompressionGzip, MessageExpiry: 9,
			MaxTopicSize: 10, ReplicationFactor: 1, Name: "events"}, topicDetails.AppendTo(nil)},
		{wire.DeleteSegmentsRequest{StreamID: stream, TopicID: topic, PartitionID: 1, SegmentsCount: 2}, nil},
		{wire.DeletePartitionsRequest{StreamID: stream, TopicID: topic, PartitionsCount: 1}, nil},
		{wire.FlushUnsavedBufferRequest{StreamID: stream, TopicID: topic, PartitionID: 1, Fsync: true}, nil},
		{wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NamedID("reader")), StreamID: stream, TopicID: topic,
			PartitionID: wire.Partition(1), Strategy: wire.PollOffset(41), Count: 5, AutoCommit: true}, polled.AppendTo(nil)},
		{wire.StoreConsumerOffsetRequest{Consumer: wire.SingleConsumer(wire.NumericID(4)), StreamID: stream, TopicID: topic,
			PartitionID: wire.Partition(1), Offset: 40}, nil},
		{wire.GetConsumerOffsetRequest{Consumer: wire.SingleConsumer(wire.NumericID(4)), StreamID: stream, TopicID: topic,
			PartitionID: wire.Partition(1)}, wire.OffsetInfo{PartitionID: 1, CurrentOffset: 41, StoredOffset: 40}.AppendTo(nil)},
		{wire.DeleteConsumerOffsetRequest{Consumer: wire.SingleConsumer(wire.NamedID("reader")), StreamID: stream, TopicID: topic,
			PartitionID: wire.Partition(1)}, nil},
		{wire.CreateConsumerGroupRequest{StreamID: stream, TopicID: topic, Name: "g"},
			wire.ConsumerGroupHeader{ID: 3, PartitionsCount: 1, Name: "g"}.AppendTo(nil)},
		{wire.GetConsumerGroupRequest{StreamID: stream, TopicID: topic, GroupID: wire.NamedID("g")},
			wire.ConsumerGroupDetails{ConsumerGroupHeader: wire.ConsumerGroupHeader{ID: 3, PartitionsCount: 1, MembersCount: 1, Name: "g"},
				Members: []wire.ConsumerGroupMember{{ID: 8, Partitions: []uint32{1}}}}.AppendTo(nil)},
	}
	rec := &recorder{answers: map[uint32][]byte{}}
	_, base := serve(t, rec, nil)
	token := exchange(t, base, "", wire.LoginUserRequest{Username: "u", Password: "p"})
	var id httpapi.Identity
	if err := json.Unmarshal(token, &id); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		name := httpapi.CommandName(tc.q)
		rec.answers[tc.q.Code()] = tc.answer
		body := exchange(t, base, id.AccessToken.Token, tc.q)
		if got, want := rec.last(), tc.q.AppendTo(nil); got.Code != tc.q.Code() || !bytes.Equal(got.Payload, want) {
			t.Errorf("%s: the server got code %d payload %x, want %x", name, got.Code, got.Payload, want)
		}
		answer, err := httpapi.Answer(tc.q.Code(), body)
		if err != nil || !bytes.Equal(answer, tc.answer) {
			t.Errorf("%s: answer %x (%v), want %x; JSON %s", name, answer, err, tc.answer, body)
		}
	}
}

// TestSendTranslation: a batch keeps its partitioning and each message's
// id, payload and user headers (the origin timestamp does not travel).
func TestSendTranslation(t *testing.T) {
	rec := &recorder{answers: map[uint32][]byte{}}
	_, base := serve(t, rec, nil)
	var id httpapi.Identity
	if err := json.Unmarshal(exchange(t, base, "", wire.LoginUserRequest{Username: "u", Password: "p"}), &id); err != nil {
		t.Fatal(err)
	}
	msgs := []wire.Message{
		{ID: [16]byte{0xff, 1, 15: 0x80}, OriginTimestampMicros: 5, Payload: []byte("a"),
			Headers: []wire.HeaderEntry{{Key: wire.StringHeader("n"), Value: wire.Int64Header(-3)}}},
		{Payload: bytes.Repeat([]byte{0}, 3000)},
	}
	for _, p := range []wire.Partitioning{wire.Balanced(), wire.ToPartition(3), wire.ByKey([]byte("key"))} {
		payload := wire.AppendSendMessages(nil, wire.NamedID("s"), wire.NumericID(1), p, msgs)
		q, err := wire.DecodeSendMessages(payload)
		if err != nil {
			t.Fatal(err)
		}
		exchange(t, base, id.AccessToken.Token, q)
		got, err := wire.DecodeSendMessages(rec.last().Payload)
		if err != nil {
			t.Fatal(err)
		}
		if got.StreamID != q.StreamID || got.TopicID != q.TopicID || got.Partitioning.Kind != p.Kind ||
			!bytes.Equal(got.Partitioning.Value, p.Value) || got.Count != q.Count {
			t.Fatalf("%+v: batch arrived as %+v", p, got)
		}
		for i := range int(q.Count) {
			a, b := q.Frame(i), got.Frame(i)
			ha, hb := wire.DecodeMessageHeader(a), wire.DecodeMessageHeader(b)
			if ha.ID() != hb.ID() || !bytes.Equal(a[wire.MessageHeaderSize:], b[wire.MessageHeaderSize:]) {
				t.Errorf("message %d: id %x body %q, want %x %q", i, hb.ID(), b[wire.MessageHeaderSize:], ha.ID(), a[wire.MessageHeaderSize:])
			}
		}
	}
}

// exchange runs q's REST call (httpapi.Build) and returns the answer body.
func exchange(t *testing.T, base, token string, q wire.Request) []byte {
	t.Helper()
	call, err := httpapi.Build(q.Code(), q.AppendTo(nil))
	if err != nil {
		t.Fatalf("%s: %v", httpapi.CommandName(q), err)
	}
	var body io.Reader
	if call.Body != nil {
		b, err := json.Marshal(call.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	url := base + call.Path
	if len(call.Query) > 0 {
		url += "?" + call.Query.Encode()
	}
	req, err := http.NewRequest(call.Route.Method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != call.Route.Status {
		t.Fatalf("%s %s: %d %s, want %d", call.Route.Method, url, resp.StatusCode, out, call.Route.Status)
	}
	return out
}

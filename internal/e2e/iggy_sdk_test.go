package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	iggy "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
	iggcon "github.com/apache/iggy/foreign/go/contracts"
	ierror "github.com/apache/iggy/foreign/go/errors"
)

// iggyClient connects the official Iggy Go SDK to s and logs in as root.
func iggyClient(t testing.TB, s *server) iggcon.Client {
	t.Helper()
	cli, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(s.Addr)))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	if _, err := cli.LoginUser(rootUser, rootPassword); err != nil {
		t.Fatalf("login: %v", err)
	}
	return cli
}

func id[T uint32 | string](t testing.TB, v T) iggcon.Identifier {
	t.Helper()
	i, err := iggcon.NewIdentifier(v)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func mustNoErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func messages(t testing.TB, prefix string, n int) []iggcon.IggyMessage {
	t.Helper()
	out := make([]iggcon.IggyMessage, n)
	for i := range out {
		m, err := iggcon.NewIggyMessage([]byte(fmt.Sprintf("%s-%d", prefix, i)))
		mustNoErr(t, "message", err)
		out[i] = m
	}
	return out
}

func TestIggySDKStreamsTopicsMessages(t *testing.T) {
	s := startServer(t)
	cli := iggyClient(t, s)

	mustNoErr(t, "ping", cli.Ping())
	stream, err := cli.CreateStream("orders")
	mustNoErr(t, "create stream", err)
	if stream.Id != 0 || stream.Name != "orders" {
		t.Fatalf("stream: %+v", stream)
	}
	_, err = cli.CreateStream("orders")
	wantErr(t, "duplicate stream", err, ierror.ErrStreamNameAlreadyExists)

	topic, err := cli.CreateTopic(id(t, "orders"), "created", 2, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil)
	mustNoErr(t, "create topic", err)
	if topic.PartitionsCount != 2 || len(topic.Partitions) != 2 || topic.ReplicationFactor != 1 {
		t.Fatalf("topic: %+v", topic)
	}
	_, err = cli.GetStream(id(t, uint32(7)))
	wantErr(t, "missing stream", err, ierror.ErrStreamIdNotFound)
	_, err = cli.GetTopic(id(t, "orders"), id(t, "nope"))
	wantErr(t, "missing topic", err, ierror.ErrTopicIdNotFound)

	sid, tid := id(t, uint32(0)), id(t, uint32(0))
	for batch := range 3 {
		mustNoErr(t, "send", cli.SendMessages(sid, tid, iggcon.PartitionId(0), messages(t, fmt.Sprintf("b%d", batch), 10)))
	}
	mustNoErr(t, "send balanced", cli.SendMessages(sid, tid, iggcon.None(), messages(t, "bal", 4)))
	key, _ := iggcon.EntityIdString("customer-42")
	mustNoErr(t, "send keyed", cli.SendMessages(sid, tid, key, messages(t, "key", 2)))
	err = cli.SendMessages(sid, tid, iggcon.PartitionId(9), messages(t, "x", 1))
	wantErr(t, "send to missing partition", err, ierror.ErrPartitionNotFound)

	consumer := iggcon.NewSingleConsumer(id(t, uint32(1)))
	p0 := uint32(0)
	polled, err := cli.PollMessages(sid, tid, consumer, iggcon.OffsetPollingStrategy(0), 100, false, &p0)
	mustNoErr(t, "poll", err)
	if polled.MessageCount < 30 {
		t.Fatalf("polled %d messages, want at least 30", polled.MessageCount)
	}
	for i, m := range polled.Messages[:30] {
		want := fmt.Sprintf("b%d-%d", i/10, i%10)
		if string(m.Payload) != want || m.Header.Offset != uint64(i) {
			t.Fatalf("message %d: offset %d payload %q, want %q", i, m.Header.Offset, m.Payload, want)
		}
		if m.Header.Id == (iggcon.MessageID{}) || m.Header.Timestamp == 0 {
			t.Fatalf("message %d not stamped: %+v", i, m.Header)
		}
	}

	// Next with auto-commit walks forward and the stored offset follows.
	first, err := cli.PollMessages(sid, tid, consumer, iggcon.NextPollingStrategy(), 5, true, &p0)
	mustNoErr(t, "poll next", err)
	second, err := cli.PollMessages(sid, tid, consumer, iggcon.NextPollingStrategy(), 5, true, &p0)
	mustNoErr(t, "poll next again", err)
	if first.Messages[0].Header.Offset != 0 || second.Messages[0].Header.Offset != 5 {
		t.Fatalf("next: first at %d, second at %d", first.Messages[0].Header.Offset, second.Messages[0].Header.Offset)
	}
	off, err := cli.GetConsumerOffset(consumer, sid, tid, &p0)
	mustNoErr(t, "get offset", err)
	if off.StoredOffset != 9 {
		t.Fatalf("stored offset %d, want 9", off.StoredOffset)
	}
	mustNoErr(t, "store offset", cli.StoreConsumerOffset(consumer, sid, tid, 20, &p0))
	err = cli.StoreConsumerOffset(consumer, sid, tid, 1_000_000, &p0)
	if err == nil {
		t.Fatal("storing an offset past the end was accepted")
	}
	last, err := cli.PollMessages(sid, tid, consumer, iggcon.LastPollingStrategy(), 3, false, &p0)
	mustNoErr(t, "poll last", err)
	if last.MessageCount != 3 || last.Messages[2].Header.Offset != last.CurrentOffset {
		t.Fatalf("last: %+v", last)
	}
	mustNoErr(t, "delete offset", cli.DeleteConsumerOffset(consumer, sid, tid, &p0))
	wantErr(t, "delete offset twice", cli.DeleteConsumerOffset(consumer, sid, tid, &p0), ierror.ErrConsumerOffsetNotFound)

	streams, err := cli.GetStreams()
	mustNoErr(t, "get streams", err)
	if len(streams) != 1 || streams[0].MessagesCount != 36 {
		t.Fatalf("streams: %+v", streams)
	}
	mustNoErr(t, "update topic", cli.UpdateTopic(sid, tid, "created-v2", iggcon.CompressionAlgorithmGzip, iggcon.Duration(0), 0, nil))
	mustNoErr(t, "create partitions", cli.CreatePartitions(sid, tid, 3))
	details, err := cli.GetTopic(sid, tid)
	mustNoErr(t, "get topic", err)
	if details.Name != "created-v2" || details.PartitionsCount != 5 {
		t.Fatalf("topic after update: %+v", details.Topic)
	}
	mustNoErr(t, "delete partitions", cli.DeletePartitions(sid, tid, 3))
	mustNoErr(t, "update stream", cli.UpdateStream(sid, "orders-v2"))

	// Data and metadata survive a restart.
	s.Restart()
	cli = iggyClient(t, s)
	polled, err = cli.PollMessages(sid, tid, consumer, iggcon.FirstPollingStrategy(), 100, false, &p0)
	mustNoErr(t, "poll after restart", err)
	if polled.MessageCount < 30 || !bytes.Equal(polled.Messages[29].Payload, []byte("b2-9")) {
		t.Fatalf("after restart: %d messages", polled.MessageCount)
	}
	got, err := cli.GetStream(id(t, "orders-v2"))
	mustNoErr(t, "get stream after restart", err)
	if got.TopicsCount != 1 || got.Topics[0].Name != "created-v2" {
		t.Fatalf("stream after restart: %+v", got)
	}

	mustNoErr(t, "delete topic", cli.DeleteTopic(sid, tid))
	mustNoErr(t, "delete stream", cli.DeleteStream(sid))
	streams, err = cli.GetStreams()
	mustNoErr(t, "get streams", err)
	if len(streams) != 0 {
		t.Fatalf("streams after delete: %+v", streams)
	}
}

func TestIggySDKUsersTokensAndPermissions(t *testing.T) {
	s := startServer(t)
	admin := iggyClient(t, s)

	_, err := admin.CreateStream("s")
	mustNoErr(t, "create stream", err)
	_, err = admin.CreateTopic(id(t, uint32(0)), "t", 1, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil)
	mustNoErr(t, "create topic", err)

	perms := &iggcon.Permissions{Global: iggcon.GlobalPermissions{ReadStreams: true, PollMessages: true}}
	user, err := admin.CreateUser("reader", "secret-1", iggcon.Active, perms)
	mustNoErr(t, "create user", err)
	if user.Username != "reader" || user.Id == 0 {
		t.Fatalf("user: %+v", user)
	}
	_, err = admin.CreateUser("reader", "secret-1", iggcon.Active, nil)
	wantErr(t, "duplicate user", err, ierror.ErrUserAlreadyExists)
	users, err := admin.GetUsers()
	mustNoErr(t, "get users", err)
	if len(users) != 2 {
		t.Fatalf("users: %+v", users)
	}

	reader, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(s.Addr)))
	mustNoErr(t, "connect", err)
	defer reader.Close()
	_, err = reader.GetStreams()
	wantErr(t, "before login", err, ierror.ErrUnauthenticated)
	_, err = reader.LoginUser("reader", "wrong")
	wantErr(t, "wrong password", err, ierror.ErrInvalidCredentials)
	_, err = reader.LoginUser("reader", "secret-1")
	mustNoErr(t, "login", err)
	_, err = reader.GetStreams()
	mustNoErr(t, "read streams", err)
	_, err = reader.CreateStream("not-allowed")
	wantErr(t, "create without permission", err, ierror.ErrUnauthorized)
	err = reader.SendMessages(id(t, uint32(0)), id(t, uint32(0)), iggcon.None(), messages(t, "m", 1))
	wantErr(t, "send without permission", err, ierror.ErrUnauthorized)

	mustNoErr(t, "change own password", reader.ChangePassword(id(t, "reader"), "secret-1", "secret-2"))
	tok, err := reader.CreatePersonalAccessToken("ci-token", 0)
	mustNoErr(t, "create token", err)
	tokens, err := reader.GetPersonalAccessTokens()
	mustNoErr(t, "list tokens", err)
	if len(tokens) != 1 || tokens[0].Name != "ci-token" {
		t.Fatalf("tokens: %+v", tokens)
	}
	mustNoErr(t, "logout", reader.LogoutUser())
	_, err = reader.LoginWithPersonalAccessToken(tok.Token)
	mustNoErr(t, "login with token", err)
	_, err = reader.LoginWithPersonalAccessToken("not-a-token")
	wantErr(t, "bad token", err, ierror.ErrInvalidPersonalAccessToken)
	_, err = reader.LoginUser("reader", "secret-2")
	mustNoErr(t, "login with new password", err)
	mustNoErr(t, "delete token", reader.DeletePersonalAccessToken("ci-token"))

	mustNoErr(t, "grant send", admin.UpdatePermissions(id(t, "reader"), &iggcon.Permissions{Global: iggcon.GlobalPermissions{SendMessages: true}}))
	mustNoErr(t, "send with permission", reader.SendMessages(id(t, uint32(0)), id(t, uint32(0)), iggcon.None(), messages(t, "m", 1)))
	status := iggcon.Inactive
	mustNoErr(t, "deactivate", admin.UpdateUser(id(t, "reader"), nil, &status))
	mustNoErr(t, "delete user", admin.DeleteUser(id(t, "reader")))
	wantErr(t, "delete root", admin.DeleteUser(id(t, uint32(0))), ierror.ErrCannotDeleteUser)

	clients, err := admin.GetClients()
	mustNoErr(t, "get clients", err)
	if len(clients) != 2 {
		t.Fatalf("clients: %+v", clients)
	}
	stats, err := admin.GetStats()
	mustNoErr(t, "stats", err)
	if stats.StreamsCount != 1 || stats.MessagesCount != 1 {
		t.Fatalf("stats: %+v", stats)
	}
	meta, err := admin.GetClusterMetadata()
	mustNoErr(t, "cluster metadata", err)
	if len(meta.Nodes) != 1 {
		t.Fatalf("cluster: %+v", meta)
	}
}

func TestIggySDKConsumerGroups(t *testing.T) {
	s := startServer(t)
	admin := iggyClient(t, s)
	_, err := admin.CreateStream("s")
	mustNoErr(t, "create stream", err)
	sid, tid := id(t, uint32(0)), id(t, uint32(0))
	_, err = admin.CreateTopic(sid, "t", 4, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil)
	mustNoErr(t, "create topic", err)
	for p := range uint32(4) {
		mustNoErr(t, "send", admin.SendMessages(sid, tid, iggcon.PartitionId(p), messages(t, fmt.Sprintf("p%d", p), 5)))
	}
	group, err := admin.CreateConsumerGroup(sid, tid, "workers")
	mustNoErr(t, "create group", err)
	gid := id(t, group.Id)
	_, err = admin.CreateConsumerGroup(sid, tid, "workers")
	wantErr(t, "duplicate group", err, ierror.ErrConsumerGroupNameAlreadyExists)

	a, b := iggyClient(t, s), iggyClient(t, s)
	mustNoErr(t, "join a", a.JoinConsumerGroup(sid, tid, gid))
	mustNoErr(t, "join b", b.JoinConsumerGroup(sid, tid, gid))
	details, err := admin.GetConsumerGroup(sid, tid, gid)
	mustNoErr(t, "get group", err)
	if details.MembersCount != 2 || len(details.Members) != 2 || details.Members[0].PartitionsCount+details.Members[1].PartitionsCount != 4 {
		t.Fatalf("group: %+v", details)
	}

	// Two members with auto-commit read every message exactly once.
	seen := map[string]bool{}
	consumer := iggcon.NewGroupConsumer(gid)
	for round := 0; round < 8; round++ {
		for _, c := range []iggcon.Client{a, b} {
			polled, err := c.PollMessages(sid, tid, consumer, iggcon.NextPollingStrategy(), 10, true, nil)
			mustNoErr(t, "group poll", err)
			for _, m := range polled.Messages {
				if seen[string(m.Payload)] {
					t.Fatalf("message %q delivered twice", m.Payload)
				}
				seen[string(m.Payload)] = true
			}
		}
	}
	if len(seen) != 20 {
		t.Fatalf("group read %d distinct messages, want 20", len(seen))
	}

	// A member leaving hands its partitions to the other.
	mustNoErr(t, "leave b", b.LeaveConsumerGroup(sid, tid, gid))
	wantErr(t, "leave twice", b.LeaveConsumerGroup(sid, tid, gid), ierror.ErrConsumerGroupMemberNotFound)
	details, err = admin.GetConsumerGroup(sid, tid, gid)
	mustNoErr(t, "get group", err)
	if details.MembersCount != 1 || details.Members[0].PartitionsCount != 4 {
		t.Fatalf("after leave: %+v", details)
	}
	mustNoErr(t, "delete group", admin.DeleteConsumerGroup(sid, tid, gid))
	_, err = admin.GetConsumerGroup(sid, tid, gid)
	wantErr(t, "deleted group", err, ierror.ErrConsumerGroupIdNotFound)
}

func TestIggySDKDeduplicationDropsRetriedBatch(t *testing.T) {
	// Deduplication works with cluster.mode none only, for now.
	s := startServer(t, "RUNNEL_SYSTEM_MESSAGE_DEDUPLICATION_ENABLED=true", "RUNNEL_CLUSTER_MODE=none")
	cli := iggyClient(t, s)
	_, err := cli.CreateStream("s")
	mustNoErr(t, "create stream", err)
	sid, tid := id(t, uint32(0)), id(t, uint32(0))
	_, err = cli.CreateTopic(sid, "t", 1, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil)
	mustNoErr(t, "create topic", err)
	batch := make([]iggcon.IggyMessage, 3)
	for i := range batch {
		m, err := iggcon.NewIggyMessage([]byte(fmt.Sprint("m", i)), iggcon.WithID([16]byte{byte(i + 1)}))
		mustNoErr(t, "message", err)
		batch[i] = m
	}
	mustNoErr(t, "send", cli.SendMessages(sid, tid, iggcon.PartitionId(0), batch))
	mustNoErr(t, "retry", cli.SendMessages(sid, tid, iggcon.PartitionId(0), batch))
	p0 := uint32(0)
	polled, err := cli.PollMessages(sid, tid, iggcon.NewSingleConsumer(id(t, uint32(1))), iggcon.FirstPollingStrategy(), 10, false, &p0)
	mustNoErr(t, "poll", err)
	if polled.MessageCount != 3 {
		t.Fatalf("stored %d messages after a retried batch of 3, want 3", polled.MessageCount)
	}
}

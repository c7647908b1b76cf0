package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// The same scenarios through Runnel's own client, which also covers the
// commands the Iggy Go SDK lacks: purge, delete segments, flush, get me.

func runnelClient(t *testing.T, s *server) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Open(ctx, fmt.Sprintf("runnel://%s:%s@%s", rootUser, rootPassword, s.Addr))
	mustNoErr(t, "open", err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func wireMessages(prefix string, n int) []wire.Message {
	out := make([]wire.Message, n)
	for i := range out {
		out[i] = wire.Message{Payload: []byte(fmt.Sprintf("%s-%d", prefix, i)),
			Headers: []wire.HeaderEntry{{Key: wire.StringHeader("seq"), Value: wire.Uint32Header(uint32(i))}}}
	}
	return out
}

func TestRunnelClientEveryCommandFamily(t *testing.T) {
	s := startServer(t, "RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB")
	c := runnelClient(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	me, err := c.GetMe(ctx)
	mustNoErr(t, "get me", err)
	if me.UserID != 0 || me.ClientID == 0 {
		t.Fatalf("me: %+v", me)
	}
	other, err := c.GetClient(ctx, me.ClientID)
	mustNoErr(t, "get client", err)
	if other.Address != me.Address {
		t.Fatalf("client: %+v vs %+v", other, me)
	}
	_, err = c.GetClient(ctx, me.ClientID+1)
	wantErr(t, "unknown client", err, wire.ErrClientNotFound)

	_, err = c.CreateStream(ctx, "events")
	mustNoErr(t, "create stream", err)
	sid := wire.NamedID("events")
	topic, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: sid, Name: "clicks", PartitionsCount: 1, CompressionAlgorithm: 1})
	mustNoErr(t, "create topic", err)
	tid := wire.NumericID(topic.ID)

	// ~1.3 MiB over 1 MiB segments: several segments to delete later.
	for b := range 20 {
		mustNoErr(t, "send", c.SendMessages(ctx, sid, tid, wire.ToPartition(0), wireMessages(fmt.Sprintf("b%02d-%0500d", b, 0), 100)))
	}
	mustNoErr(t, "flush with fsync", c.FlushUnsavedBuffer(ctx, sid, tid, 0, true))
	err = c.FlushUnsavedBuffer(ctx, sid, tid, 5, true)
	wantErr(t, "flush missing partition", err, wire.ErrPartitionNotFound)

	poll := func(strategy wire.PollingStrategy, count uint32) wire.PolledMessages {
		t.Helper()
		polled, err := c.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(7)),
			StreamID: sid, TopicID: tid, PartitionID: wire.Partition(0), Strategy: strategy, Count: count})
		mustNoErr(t, "poll", err)
		return polled
	}
	first := poll(wire.PollFirst(), 10)
	if first.Count != 10 || first.Messages[0].Header.Offset != 0 || first.CurrentOffset != 1999 {
		t.Fatalf("first: count %d current %d", first.Count, first.CurrentOffset)
	}
	hs, err := first.Messages[3].Headers()
	mustNoErr(t, "decode headers", err)
	if len(hs) != 1 {
		t.Fatalf("headers: %+v", hs)
	}
	byTime := poll(wire.PollTimestamp(first.Messages[5].Header.Timestamp), 1)
	if byTime.Count != 1 || byTime.Messages[0].Header.Timestamp < first.Messages[5].Header.Timestamp {
		t.Fatalf("timestamp poll: %+v", byTime.Messages[0].Header)
	}

	details, err := c.GetTopic(ctx, sid, tid)
	mustNoErr(t, "get topic", err)
	segments := details.Partitions[0].SegmentsCount
	if segments < 2 {
		t.Fatalf("expected several segments, got %d", segments)
	}
	mustNoErr(t, "delete segments", c.DeleteSegments(ctx, sid, tid, 0, 1))
	details, err = c.GetTopic(ctx, sid, tid)
	mustNoErr(t, "get topic", err)
	if details.Partitions[0].SegmentsCount != segments-1 {
		t.Fatalf("segments %d after deleting one of %d", details.Partitions[0].SegmentsCount, segments)
	}
	if after := poll(wire.PollFirst(), 1); after.Messages[0].Header.Offset == 0 {
		t.Fatal("first offset still 0 after deleting the oldest segment")
	}

	mustNoErr(t, "purge topic", c.PurgeTopic(ctx, sid, tid))
	if empty := poll(wire.PollFirst(), 10); empty.Count != 0 {
		t.Fatalf("%d messages after purge", empty.Count)
	}
	mustNoErr(t, "send after purge", c.SendMessages(ctx, sid, tid, wire.Balanced(), wireMessages("again", 3)))
	if again := poll(wire.PollFirst(), 10); again.Count != 3 {
		t.Fatalf("%d messages after purge and send", again.Count)
	}
	mustNoErr(t, "purge stream", c.PurgeStream(ctx, sid))
	if empty := poll(wire.PollFirst(), 10); empty.Count != 0 {
		t.Fatalf("%d messages after stream purge", empty.Count)
	}

	_, err = c.GetStream(ctx, wire.NamedID("missing"))
	wantErr(t, "missing stream", err, wire.ErrStreamIDNotFound)
	err = c.SendMessages(ctx, wire.NamedID("missing"), tid, wire.Balanced(), wireMessages("x", 1))
	wantErr(t, "send to missing stream", err, wire.ErrStreamIDNotFound)

	_, err = c.GetSnapshotFile(ctx, 1, 100)
	if !errors.Is(err, wire.ErrFeatureUnavailable) {
		t.Fatalf("snapshot: %v", err)
	}
	mustNoErr(t, "delete stream", c.DeleteStream(ctx, sid))
}

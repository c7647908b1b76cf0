package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestVSRReplayOverTopologyChanges kills the server after a checkpoint
// followed by purges, deletes, re-creates and partition changes. The
// restart restores the checkpoint, cuts every log back to it and replays
// the journal over files those later ops had already changed; afterwards
// every partition holds exactly what it held before the kill.
func TestVSRReplayOverTopologyChanges(t *testing.T) {
	// 128 journal slots: a checkpoint every 64 ops, so the 70 sends below
	// cross one and everything after them is replayed.
	s := startServer(t, "RUNNEL_CLUSTER_MODE=vsr", "RUNNEL_CLUSTER_JOURNAL_SLOTS=128", "RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := runnelClient(t, s)
	stream := wire.NamedID("replay")
	_, err := c.CreateStream(ctx, "replay")
	mustNoErr(t, "create stream", err)
	createTopic := func(name string, partitions uint32) {
		_, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: stream, Name: name, PartitionsCount: partitions})
		mustNoErr(t, "create topic "+name, err)
	}
	send := func(topic string, partition uint32, prefix string, batches int) {
		for b := range batches {
			mustNoErr(t, "send", c.SendMessages(ctx, stream, wire.NamedID(topic), wire.ToPartition(partition),
				wireMessages(fmt.Sprintf("%s-%d", prefix, b), 20)))
		}
	}
	createTopic("a", 2)
	send("a", 0, "before-purge", 70)
	send("a", 1, "kept", 3)
	mustNoErr(t, "purge", c.PurgeTopic(ctx, stream, wire.NamedID("a")))
	send("a", 0, "after-purge", 5)
	createTopic("b", 1)
	send("b", 0, "first-b", 3)
	mustNoErr(t, "delete b", c.DeleteTopic(ctx, stream, wire.NamedID("b")))
	createTopic("b", 1)
	send("b", 0, "second-b", 2)
	mustNoErr(t, "create partitions", c.CreatePartitions(ctx, stream, wire.NamedID("a"), 2))
	send("a", 3, "gone", 2)
	mustNoErr(t, "delete partitions", c.DeletePartitions(ctx, stream, wire.NamedID("a"), 1))
	send("a", 2, "p2", 4)

	want := map[string][]string{
		"a/0": payloads("after-purge", 5, 20), "a/1": nil, "a/2": payloads("p2", 4, 20),
		"b/0": payloads("second-b", 2, 20),
	}
	check := func(when string, c *client.Client) {
		t.Helper()
		topic, err := c.GetTopic(ctx, stream, wire.NamedID("a"))
		mustNoErr(t, "get topic", err)
		if topic.PartitionsCount != 3 {
			t.Fatalf("%s: topic a has %d partitions, want 3", when, topic.PartitionsCount)
		}
		for key, payloads := range want {
			var topicName string
			var partition uint32
			fmt.Sscanf(key, "%1s/%d", &topicName, &partition)
			got := pollAll(t, ctx, c, stream, wire.NamedID(topicName), partition)
			if len(got) != len(payloads) {
				t.Fatalf("%s: %s holds %d messages, want %d", when, key, len(got), len(payloads))
			}
			for i := range got {
				if got[i] != payloads[i] {
					t.Fatalf("%s: %s offset %d holds %q, want %q", when, key, i, got[i], payloads[i])
				}
			}
		}
	}
	check("before the kill", c)
	s.Kill9()
	s.Restart()
	check("after kill -9", runnelClient(t, s))
	s.Restart()
	check("after a restart", runnelClient(t, s))
}

// payloads lists what wireMessages sent for batches prefix-0..prefix-(n-1).
func payloads(prefix string, batches, perBatch int) []string {
	var out []string
	for b := range batches {
		for i := range perBatch {
			out = append(out, fmt.Sprintf("%s-%d-%d", prefix, b, i))
		}
	}
	return out
}

// pollAll reads a partition from offset 0 and checks offsets are dense.
func pollAll(t *testing.T, ctx context.Context, c *client.Client, stream, topic wire.Identifier, partition uint32) []string {
	t.Helper()
	var out []string
	for {
		polled, err := c.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)),
			StreamID: stream, TopicID: topic, PartitionID: wire.Partition(partition),
			Strategy: wire.PollOffset(uint64(len(out))), Count: 1000})
		mustNoErr(t, "poll", err)
		if len(polled.Messages) == 0 {
			return out
		}
		for _, m := range polled.Messages {
			if m.Header.Offset != uint64(len(out)) {
				t.Fatalf("offset %d where %d was expected", m.Header.Offset, len(out))
			}
			out = append(out, string(m.Payload))
		}
	}
}

// TestVSRResumesPartitionWithLostFiles removes a partition's files while
// the server is down. At start the partition resumes at the last
// checkpoint's offset and the journal replays what came after it, so no
// offset is given twice: the partition ends where it ended, new messages
// continue there, and what the journal still held is readable again.
func TestVSRResumesPartitionWithLostFiles(t *testing.T) {
	s := startServer(t, "RUNNEL_CLUSTER_MODE=vsr", "RUNNEL_CLUSTER_JOURNAL_SLOTS=128")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := runnelClient(t, s)
	stream, topic := wire.NamedID("lost"), wire.NamedID("t")
	_, err := c.CreateStream(ctx, "lost")
	mustNoErr(t, "create stream", err)
	_, err = c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: stream, Name: "t", PartitionsCount: 1})
	mustNoErr(t, "create topic", err)
	const batches = 100 // past one checkpoint (every 64 ops)
	for b := range batches {
		mustNoErr(t, "send", c.SendMessages(ctx, stream, topic, wire.ToPartition(0), wireMessages(fmt.Sprintf("old-%d", b), 10)))
	}
	s.Stop()
	if err := os.RemoveAll(filepath.Join(s.DataDir, "streams")); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	c = runnelClient(t, s)
	mustNoErr(t, "send", c.SendMessages(ctx, stream, topic, wire.ToPartition(0), wireMessages("new", 1)))
	polled, err := c.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)),
		StreamID: stream, TopicID: topic, PartitionID: wire.Partition(0), Strategy: wire.PollFirst(), Count: 10_000})
	mustNoErr(t, "poll", err)
	if len(polled.Messages) == 0 {
		t.Fatal("nothing left after the restart")
	}
	first := polled.Messages[0].Header.Offset
	last := polled.Messages[len(polled.Messages)-1]
	if first == 0 || last.Header.Offset != batches*10 || string(last.Payload) != "new-0" {
		t.Fatalf("partition holds offsets %d..%d ending with %q; want a resumed log ending at %d with the new message",
			first, last.Header.Offset, last.Payload, batches*10)
	}
	for i, m := range polled.Messages[:len(polled.Messages)-1] {
		want := fmt.Sprintf("old-%d-%d", (first+uint64(i))/10, (first+uint64(i))%10)
		if m.Header.Offset != first+uint64(i) || string(m.Payload) != want {
			t.Fatalf("offset %d holds %q, want %q", m.Header.Offset, m.Payload, want)
		}
	}
	t.Logf("after losing the files: offsets %d..%d replayed from the journal, the new message at %d", first, batches*10-1, batches*10)
}

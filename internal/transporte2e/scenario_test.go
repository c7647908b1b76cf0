package transporte2e

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestScenarioEveryTransport runs the same scenario over TCP, QUIC,
// WebSocket and HTTP against one server: create a stream and topic, send
// and poll with the low-level client, then a producer and a consumer
// (unchanged SDK code) over the same transport. The consumer is a
// consumer-group member on the binary transports; HTTP has no
// JoinConsumerGroup/LeaveConsumerGroup (Iggy's HTTP API has none, by
// design: membership belongs to a connection), so over HTTP the scenario
// checks that Join fails with FeatureUnavailable, manages the group
// through the routes HTTP has (create, get, list, delete) and reads with a
// single named consumer instead.
func TestScenarioEveryTransport(t *testing.T) {
	s := startServer(t)
	for _, m := range s.media {
		t.Run(m.name, func(t *testing.T) { scenario(t, m) })
	}
}

func scenario(t *testing.T, m medium) {
	ctx := testCtx(t)
	c := open(t, m)
	me, err := c.GetMe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint8{"tcp": wire.TransportTCP, "quic": wire.TransportQUIC, "ws": wire.TransportWebSocket,
		"http": wire.TransportHTTP}[m.name]
	if me.Transport != want {
		t.Errorf("server sees transport %d, want %d", me.Transport, want)
	}

	stream := wire.NamedID("orders-" + m.name)
	if _, err := c.CreateStream(ctx, "orders-"+m.name); err != nil {
		t.Fatal(err)
	}
	topic := wire.NamedID("events")
	if _, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: stream, PartitionsCount: 2, Name: "events"}); err != nil {
		t.Fatal(err)
	}
	var msgs []wire.Message
	for i := range 100 {
		msgs = append(msgs, wire.Message{Payload: []byte(fmt.Sprintf("%s message %d", m.name, i))})
	}
	if err := c.SendMessages(ctx, stream, topic, wire.ToPartition(0), msgs); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{'b'}, 1<<20) // a 1 MiB message crosses several QUIC packets and WebSocket frames
	if err := c.SendMessages(ctx, stream, topic, wire.ToPartition(1), []wire.Message{{Payload: big}}); err != nil {
		t.Fatal(err)
	}
	polled, err := c.PollMessages(ctx, wire.PollMessagesRequest{
		Consumer: wire.SingleConsumer(wire.NumericID(1)), StreamID: stream, TopicID: topic,
		PartitionID: wire.Partition(0), Strategy: wire.PollFirst(), Count: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(polled.Messages) != 100 || string(polled.Messages[99].Payload) != string(msgs[99].Payload) {
		t.Fatalf("polled %d messages", len(polled.Messages))
	}
	polled, err = c.PollMessages(ctx, wire.PollMessagesRequest{
		Consumer: wire.SingleConsumer(wire.NumericID(1)), StreamID: stream, TopicID: topic,
		PartitionID: wire.Partition(1), Strategy: wire.PollFirst(), Count: 10,
	})
	if err != nil || len(polled.Messages) != 1 || !bytes.Equal(polled.Messages[0].Payload, big) {
		t.Fatalf("1 MiB message: %d messages, %v", len(polled.Messages), err)
	}

	// The high-level SDK over the same transport, each on its own client.
	p, err := producer.New(ctx, open(t, m), producer.Config{Stream: stream, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		if err := p.Send(ctx, producer.Message{Payload: []byte(fmt.Sprintf("grouped %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if m.name == "http" {
		httpGroups(t, c, stream, topic)
		k, err := consumer.New(ctx, open(t, m), consumer.Config{Stream: stream, Topic: topic, Name: "reader",
			Strategy: wire.PollFirst()})
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close(ctx)
		consumeAll(t, k, n+101)
		return
	}
	k, err := consumer.New(ctx, open(t, m), consumer.Config{Stream: stream, Topic: topic, Name: "workers", Group: true})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(ctx)
	consumeAll(t, k, n+101)
	group, err := c.GetConsumerGroup(ctx, stream, topic, wire.NamedID("workers"))
	if err != nil || group.MembersCount != 1 {
		t.Fatalf("group: %+v %v", group, err)
	}
}

// consumeAll polls until want distinct messages arrived, none twice.
func consumeAll(t *testing.T, k *consumer.Consumer, want int) {
	t.Helper()
	ctx := testCtx(t)
	seen := map[string]bool{}
	for len(seen) < want {
		got, err := k.Poll(ctx)
		if err != nil {
			t.Fatalf("consumer poll after %d messages: %v", len(seen), err)
		}
		for _, msg := range got {
			key := fmt.Sprintf("%d/%d", msg.Partition, msg.Offset)
			if seen[key] {
				t.Fatalf("message %s delivered twice", key)
			}
			seen[key] = true
		}
	}
}

// httpGroups: what HTTP offers for consumer groups (create, get, list,
// delete) works, and joining is refused with FeatureUnavailable.
func httpGroups(t *testing.T, c *client.Client, stream, topic wire.Identifier) {
	t.Helper()
	ctx := testCtx(t)
	g, err := c.CreateConsumerGroup(ctx, stream, topic, "http-workers")
	if err != nil || g.Name != "http-workers" || g.PartitionsCount != 2 {
		t.Fatalf("create group: %+v %v", g, err)
	}
	id := wire.NamedID("http-workers")
	if err := c.JoinConsumerGroup(ctx, stream, topic, id); !errors.Is(err, wire.ErrFeatureUnavailable) ||
		!strings.Contains(err.Error(), "JoinConsumerGroup over http") {
		t.Fatalf("join over http: %v, want FeatureUnavailable naming the command", err)
	}
	if err := c.Ping(ctx); err != nil { // the refusal left the client usable
		t.Fatal(err)
	}
	groups, err := c.GetConsumerGroups(ctx, stream, topic)
	if err != nil || len(groups) != 1 || groups[0].ID != g.ID {
		t.Fatalf("groups: %+v %v", groups, err)
	}
	d, err := c.GetConsumerGroup(ctx, stream, topic, id)
	if err != nil || d.ID != g.ID || d.MembersCount != 0 {
		t.Fatalf("group: %+v %v", d, err)
	}
	if err := c.DeleteConsumerGroup(ctx, stream, topic, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetConsumerGroup(ctx, stream, topic, id); !errors.Is(err, wire.ErrConsumerGroupIDNotFound) {
		t.Fatalf("deleted group: %v", err)
	}
}

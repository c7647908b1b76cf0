package transporte2e

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestScenarioEveryTransport runs the same scenario over TCP, QUIC and
// WebSocket against one server: create a stream and topic, send and poll
// with the low-level client, then a producer and a consumer-group consumer
// (unchanged SDK code) over the same transport.
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
	want := map[string]uint8{"tcp": wire.TransportTCP, "quic": wire.TransportQUIC, "ws": wire.TransportWebSocket}[m.name]
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
	k, err := consumer.New(ctx, open(t, m), consumer.Config{Stream: stream, Topic: topic, Name: "workers", Group: true})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(ctx)
	seen := map[string]bool{}
	for len(seen) < n+101 {
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
	group, err := c.GetConsumerGroup(ctx, stream, topic, wire.NamedID("workers"))
	if err != nil || group.MembersCount != 1 {
		t.Fatalf("group: %+v %v", group, err)
	}
}

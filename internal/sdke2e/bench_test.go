package sdke2e

import (
	"context"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Producer and consumer throughput through the high-level API against the
// raw low-level client in the same run: 1 KiB messages, batches of 1,000,
// one partition, over loopback. Compare raw/* with sdk/* MB/s.
const (
	benchMessageBytes = 1024
	benchBatch        = 1000
)

func BenchmarkSend(b *testing.B) {
	payload := []byte(strings.Repeat("r", benchMessageBytes))
	b.Run("raw", func(b *testing.B) {
		s := startServer(b, "RUNNEL_SYSTEM_PARTITION_FSYNC=never")
		c := connect(b, s)
		stream, topic := createTopic(b, c, 1)
		msgs := make([]wire.Message, benchBatch)
		for i := range msgs {
			msgs[i] = wire.Message{Payload: payload}
		}
		b.SetBytes(benchBatch * benchMessageBytes)
		b.ResetTimer()
		for range b.N {
			if err := c.SendMessages(context.Background(), stream, topic, wire.ToPartition(0), msgs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk-background", func(b *testing.B) {
		s := startServer(b, "RUNNEL_SYSTEM_PARTITION_FSYNC=never")
		c := connect(b, s)
		stream, topic := createTopic(b, c, 1)
		ctx := context.Background()
		p, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic, Partitioner: producer.ToPartition(0),
			BatchMessagesMax: benchBatch, BatchBytesMax: 4 << 20})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(benchBatch * benchMessageBytes)
		b.ResetTimer()
		for range b.N {
			for range benchBatch {
				if err := p.Send(ctx, producer.Message{Payload: payload}); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := p.Close(ctx); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("sdk-sync", func(b *testing.B) {
		s := startServer(b, "RUNNEL_SYSTEM_PARTITION_FSYNC=never")
		c := connect(b, s)
		stream, topic := createTopic(b, c, 1)
		ctx := context.Background()
		p, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic, Partitioner: producer.ToPartition(0),
			BatchMessagesMax: benchBatch, BatchBytesMax: 4 << 20})
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([]producer.Message, benchBatch)
		for i := range msgs {
			msgs[i] = producer.Message{Payload: payload}
		}
		b.SetBytes(benchBatch * benchMessageBytes)
		b.ResetTimer()
		for range b.N {
			if err := p.SendSync(ctx, msgs...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPoll(b *testing.B) {
	const batches = 64
	setup := func(b *testing.B) (*server, wire.Identifier, wire.Identifier) {
		s := startServer(b, "RUNNEL_SYSTEM_PARTITION_FSYNC=never")
		c := connect(b, s)
		stream, topic := createTopic(b, c, 1)
		payload := []byte(strings.Repeat("r", benchMessageBytes))
		msgs := make([]wire.Message, benchBatch)
		for i := range msgs {
			msgs[i] = wire.Message{Payload: payload}
		}
		for range batches {
			if err := c.SendMessages(context.Background(), stream, topic, wire.ToPartition(0), msgs); err != nil {
				b.Fatal(err)
			}
		}
		return s, stream, topic
	}
	b.Run("raw", func(b *testing.B) {
		s, stream, topic := setup(b)
		c := connect(b, s)
		b.SetBytes(benchBatch * benchMessageBytes)
		b.ResetTimer()
		for i := range b.N {
			res, err := c.PollMessages(context.Background(), wire.PollMessagesRequest{
				Consumer: wire.SingleConsumer(wire.NumericID(1)), StreamID: stream, TopicID: topic,
				PartitionID: wire.Partition(0), Strategy: wire.PollOffset(uint64(i%batches) * benchBatch), Count: benchBatch})
			if err != nil || len(res.Messages) != benchBatch {
				b.Fatalf("poll: %d messages, %v", len(res.Messages), err)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		s, stream, topic := setup(b)
		c := connect(b, s)
		ctx := context.Background()
		newConsumer := func() *consumer.Consumer {
			k, err := consumer.New(ctx, c, consumer.Config{Stream: stream, Topic: topic, Name: "bench",
				Partition: wire.Partition(0), Strategy: wire.PollFirst(), BatchMessagesMax: benchBatch,
				AutoCommit: consumer.AutoCommitDisabled()})
			if err != nil {
				b.Fatal(err)
			}
			return k
		}
		k := newConsumer()
		b.SetBytes(benchBatch * benchMessageBytes)
		b.ResetTimer()
		for i := range b.N {
			if i%batches == 0 && i > 0 {
				b.StopTimer()
				k = newConsumer() // start over from the first message
				b.StartTimer()
			}
			msgs, err := k.Poll(ctx)
			if err != nil || len(msgs) != benchBatch {
				b.Fatalf("poll: %d messages, %v", len(msgs), err)
			}
		}
	})
}

package transporte2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

// BenchmarkSendPoll sends a batch of 100 messages of 100 bytes and polls
// them back, per iteration, through the SDK over each transport of one
// server (fsync off, so the transport is what differs). The transport=quic
// and transport=ws results carry x_tcp: their time per iteration divided by
// transport=tcp's from the same run.
//
//	go test -run '^$' -bench BenchmarkSendPoll ./internal/transporte2e
func BenchmarkSendPoll(b *testing.B) {
	s := startServer(b, "RUNNEL_SYSTEM_PARTITION_FSYNC=never")
	const batch, size = 100, 100
	msgs := make([]wire.Message, batch)
	for i := range msgs {
		msgs[i] = wire.Message{Payload: make([]byte, size)}
	}
	var tcpNsPerOp float64
	runs := 0
	for _, m := range s.media {
		b.Run("transport="+m.name, func(b *testing.B) {
			ctx := context.Background()
			c := open(b, m)
			runs++
			name := fmt.Sprintf("bench-%s-%d", m.name, runs)
			if _, err := c.CreateStream(ctx, name); err != nil {
				b.Fatal(err)
			}
			stream, topic := wire.NamedID(name), wire.NamedID("t")
			if _, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: stream, PartitionsCount: 1, Name: "t"}); err != nil {
				b.Fatal(err)
			}
			poll := wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)), StreamID: stream, TopicID: topic,
				PartitionID: wire.Partition(0), Count: batch}
			var offset uint64
			b.SetBytes(batch * size)
			b.ResetTimer()
			for b.Loop() {
				if err := c.SendMessages(ctx, stream, topic, wire.ToPartition(0), msgs); err != nil {
					b.Fatal(err)
				}
				poll.Strategy = wire.PollOffset(offset)
				got, err := c.PollMessages(ctx, poll)
				if err != nil || len(got.Messages) != batch {
					b.Fatalf("poll at %d: %d messages, %v", offset, len(got.Messages), err)
				}
				offset += batch
			}
			nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if m.name == "tcp" {
				tcpNsPerOp = nsPerOp
			} else if tcpNsPerOp > 0 {
				b.ReportMetric(nsPerOp/tcpNsPerOp, "x_tcp")
			}
		})
	}
}

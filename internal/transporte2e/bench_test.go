package transporte2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

// BenchmarkSendPoll sends a batch of 100 messages of 100 bytes and polls
// them back, per iteration, through the SDK over each transport of one
// server: TCP, QUIC, WebSocket and HTTP (fsync off, so the transport is
// what differs). Every result but transport=tcp carries x_tcp: its time
// per iteration divided by transport=tcp's from the same run; the run ends
// by printing the comparison as a table (docs/bench.md, "Transports").
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
	var table []string
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
			ratio := 1.0
			if m.name == "tcp" {
				tcpNsPerOp = nsPerOp
			} else if tcpNsPerOp > 0 {
				ratio = nsPerOp / tcpNsPerOp
				b.ReportMetric(ratio, "x_tcp")
			}
			table = append(table, fmt.Sprintf("| %s | %.0f | %.1f | %.0f | %.2f |", m.name, nsPerOp/1e3,
				batch*size/nsPerOp*1e3, 2*batch/nsPerOp*1e9, ratio))
		})
	}
	fmt.Printf("send %d × %d B + poll them back, per iteration:\n| transport | µs/iter | MB/s | msgs/s (sent+polled) | × TCP time |\n|---|---|---|---|---|\n%s",
		batch, size, strings.Join(table, "\n")+"\n")
}

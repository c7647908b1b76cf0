package e2e

import (
	"fmt"
	"strings"
	"testing"

	iggcon "github.com/apache/iggy/foreign/go/contracts"
)

// The wire-path benchmarks: the Iggy Go SDK sending and polling 1 KiB
// messages in batches of 1,000 over loopback against a real server. Compare
// with the partition log's own benchmark (core/partition) to see what the
// protocol, the socket and the SDK cost.
const (
	benchMessageBytes = 1024
	benchBatch        = 1000
)

func benchMessages(b *testing.B) []iggcon.IggyMessage {
	payload := []byte(strings.Repeat("r", benchMessageBytes))
	msgs := make([]iggcon.IggyMessage, benchBatch)
	for i := range msgs {
		m, err := iggcon.NewIggyMessage(payload)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = m
	}
	return msgs
}

func BenchmarkIggySDK(b *testing.B) {
	for _, fsync := range []string{"never", "always"} {
		b.Run("send/fsync="+fsync, func(b *testing.B) {
			s := startServer(b, "RUNNEL_SYSTEM_PARTITION_FSYNC="+fsync)
			cli := iggyClient(b, s)
			setupBenchTopic(b, cli)
			msgs := benchMessages(b)
			b.SetBytes(benchBatch * benchMessageBytes)
			b.ResetTimer()
			for range b.N {
				if err := cli.SendMessages(id(b, uint32(0)), id(b, uint32(0)), iggcon.PartitionId(0), msgs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("poll", func(b *testing.B) {
		s := startServer(b, "RUNNEL_SYSTEM_PARTITION_FSYNC=never")
		cli := iggyClient(b, s)
		setupBenchTopic(b, cli)
		msgs := benchMessages(b)
		const batches = 64
		for range batches {
			if err := cli.SendMessages(id(b, uint32(0)), id(b, uint32(0)), iggcon.PartitionId(0), msgs); err != nil {
				b.Fatal(err)
			}
		}
		consumer := iggcon.NewSingleConsumer(id(b, uint32(1)))
		p0 := uint32(0)
		b.SetBytes(benchBatch * benchMessageBytes)
		b.ResetTimer()
		for i := range b.N {
			offset := uint64(i%batches) * benchBatch
			polled, err := cli.PollMessages(id(b, uint32(0)), id(b, uint32(0)), consumer, iggcon.OffsetPollingStrategy(offset), benchBatch, false, &p0)
			if err != nil || len(polled.Messages) != benchBatch {
				b.Fatal(fmt.Sprint("poll: ", err))
			}
		}
	})
}

func setupBenchTopic(b *testing.B, cli iggcon.Client) {
	if _, err := cli.CreateStream("bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := cli.CreateTopic(id(b, uint32(0)), "t", 1, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil); err != nil {
		b.Fatal(err)
	}
}

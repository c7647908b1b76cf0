package metastore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/sdk/wire"
)

// benchWorkload is n ops shaped like a busy server: a few hundred topics,
// then consumer-offset stores by `consumers` consumers spread over the
// topics and partitions.
func benchWorkload(n, consumers int) []metadata.Op {
	id := wire.NumericID
	ops := []metadata.Op{metadata.CreateUser{Username: "root", PasswordHash: "h", Status: 1,
		Permissions: wire.AllPermissions()}}
	for s := range uint32(20) {
		ops = append(ops, metadata.CreateStream{Name: fmt.Sprintf("stream-%d", s), CreatedAtMicros: 1})
		for t := range uint32(10) {
			ops = append(ops, metadata.CreateTopic{Stream: id(s), Name: fmt.Sprintf("topic-%d", t), PartitionsCount: 10,
				Compression: 1, CreatedAtMicros: 2},
				metadata.CreateConsumerGroup{Stream: id(s), Topic: id(t), Name: "group"})
		}
	}
	for i := 0; len(ops) < n; i++ {
		c := i % consumers // consumer c always commits to the same partition
		ops = append(ops, metadata.StoreConsumerOffset{Stream: id(uint32(c % 20)), Topic: id(uint32(c / 20 % 10)),
			PartitionID: uint32(c / 200 % 10), Kind: metadata.ConsumerSingle, ConsumerID: uint32(c),
			Offset: uint64(i)})
	}
	return ops[:n]
}

// writeBenchLog writes ops straight into a log file, 1000 per record.
func writeBenchLog(b *testing.B, dir string, ops []metadata.Op) {
	var buf []byte
	var entries []entry
	for i, op := range ops {
		entries = append(entries, entry{seq: uint64(i + 1), op: metadata.AppendOp(nil, op)})
		if len(entries) == 1000 || i == len(ops)-1 {
			buf = appendRecord(buf, entries)
			entries = entries[:0]
		}
	}
	if err := os.WriteFile(filepath.Join(dir, logFileName), buf, 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReplay measures Open of a log of 100k ops (no snapshot), with
// few and with 100k distinct stored offsets.
func BenchmarkReplay(b *testing.B) {
	for _, consumers := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("ops=100k/offsets=%d", consumers), func(b *testing.B) {
			dir := b.TempDir()
			cfg := DefaultConfig()
			cfg.SnapshotAfterOps = 1 << 40
			writeBenchLog(b, dir, benchWorkload(100_000, consumers))
			for b.Loop() {
				s, err := Open(context.Background(), dir, cfg)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSnapshotLoad measures Open from a snapshot of the same state.
func BenchmarkSnapshotLoad(b *testing.B) {
	dir := b.TempDir()
	state := metadata.NewState(metadata.DefaultConfig())
	for _, op := range benchWorkload(100_000, 100_000) {
		if _, err := state.Apply(op); err != nil {
			b.Fatal(err)
		}
	}
	snap := encodeSnapshotFile(nil, 100_000, state)
	if err := os.WriteFile(filepath.Join(dir, snapshotFileName), snap, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(snap)))
	for b.Loop() {
		s, err := Open(context.Background(), dir, DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Close(context.Background())
	}
}

// BenchmarkSubmit measures durable submits (offset stores) with 1..64
// concurrent submitters sharing fsyncs.
func BenchmarkSubmit(b *testing.B) {
	for _, workers := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("submitters=%d", workers), func(b *testing.B) {
			s, err := Open(context.Background(), b.TempDir(), DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = s.Close(context.Background()) }()
			id := wire.NumericID
			for _, op := range []metadata.Op{metadata.CreateStream{Name: "s"},
				metadata.CreateTopic{Stream: id(0), Name: "t", PartitionsCount: 1, Compression: 1}} {
				if _, err := s.Submit(context.Background(), op); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Uint32
			b.SetParallelism((workers + 1) / 2) // × GOMAXPROCS goroutines
			before := s.Stats()
			b.RunParallel(func(pb *testing.PB) {
				consumer := next.Add(1)
				var off uint64
				for pb.Next() {
					off++
					op := metadata.StoreConsumerOffset{Stream: id(0), Topic: id(0), Kind: metadata.ConsumerSingle,
						ConsumerID: consumer, Offset: off}
					if _, err := s.Submit(context.Background(), op); err != nil {
						b.Error(err)
						return
					}
				}
			})
			after := s.Stats()
			b.ReportMetric(float64(after.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/op")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

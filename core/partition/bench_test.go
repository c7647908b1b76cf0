package partition_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	benchMessageBytes  = 1024 // whole frame
	benchBatchMessages = 1000
	benchBatchBytes    = benchMessageBytes * benchBatchMessages
	benchReadBytes     = 64 << 20 // data read back, cycled
)

var benchKey = storage.PartitionKey{Stream: 1, Topic: 1, Partition: 1}

func benchBatch() []byte {
	var b []byte
	payload := make([]byte, benchMessageBytes-wire.MessageHeaderSize)
	for i := range payload {
		payload[i] = byte(i * 31)
	}
	for i := range benchBatchMessages {
		b = append(b, storagetest.Frame(uint64(i+1), payload, nil)...)
	}
	return b
}

func openBenchLog(b *testing.B) *partition.Log {
	b.Helper()
	l, err := partition.Open(context.Background(), startFileStore(b, b.TempDir()), benchKey, partition.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close() })
	return l
}

// BenchmarkLog compares the partition log over the file backend with plain
// os.File I/O of the same bytes: append/sync=X against raw-write/sync=X,
// read against raw-read. One op is one 1 MiB batch of 1,000 1 KiB messages.
func BenchmarkLog(b *testing.B) {
	ctx := context.Background()
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("append/sync=%t", sync), func(b *testing.B) {
			l := openBenchLog(b)
			batch := benchBatch()
			b.SetBytes(benchBatchBytes)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := l.Append(ctx, batch, benchBatchMessages, uint64(i)); err != nil {
					b.Fatal(err)
				}
				if sync {
					if err := l.Sync(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(fmt.Sprintf("raw-write/sync=%t", sync), func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			batch := benchBatch()
			b.SetBytes(benchBatchBytes)
			b.ResetTimer()
			for range b.N {
				if _, err := f.Write(batch); err != nil {
					b.Fatal(err)
				}
				if sync {
					if err := f.Sync(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	b.Run("read", func(b *testing.B) {
		l := openBenchLog(b)
		batch := benchBatch()
		for i := range benchReadBytes / benchBatchBytes {
			if _, err := l.Append(ctx, batch, benchBatchMessages, uint64(i)); err != nil {
				b.Fatal(err)
			}
		}
		buf := make([]byte, 0, benchBatchBytes)
		var offset uint64
		b.SetBytes(benchBatchBytes)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			frames, n, err := l.Read(ctx, offset, benchBatchMessages, benchBatchBytes, buf[:0])
			if err != nil || n != benchBatchMessages || len(frames) != benchBatchBytes {
				b.Fatalf("read %d messages, %d bytes: %v", n, len(frames), err)
			}
			offset = (offset + uint64(n)) % l.NextOffset()
		}
	})
	b.Run("raw-read", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "raw")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		batch := benchBatch()
		for range benchReadBytes / benchBatchBytes {
			if _, err := f.Write(batch); err != nil {
				b.Fatal(err)
			}
		}
		size := int64(benchReadBytes / benchBatchBytes * benchBatchBytes)
		buf := make([]byte, benchBatchBytes)
		var pos int64
		b.SetBytes(benchBatchBytes)
		b.ResetTimer()
		for range b.N {
			if n, err := f.ReadAt(buf, pos); err != nil && err != io.EOF || n != len(buf) {
				b.Fatalf("read %d: %v", n, err)
			}
			pos = (pos + benchBatchBytes) % size
		}
	})
}

// BenchmarkOpen measures start-up over many sealed segments: Open must not
// read them.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	for _, segments := range []int{1000} {
		b.Run(fmt.Sprintf("segments=%d", segments), func(b *testing.B) {
			dir := b.TempDir()
			store := startFileStore(b, dir)
			l, err := partition.Open(ctx, store, benchKey, partition.Config{SegmentBytesMax: 4096})
			if err != nil {
				b.Fatal(err)
			}
			frames := storagetest.Frame(1, make([]byte, 4000), nil)
			for range segments {
				if _, err := l.Append(ctx, frames, 1, 1); err != nil {
					b.Fatal(err)
				}
			}
			_ = l.Close()
			b.ResetTimer()
			for range b.N {
				l, err := partition.Open(ctx, store, benchKey, partition.Config{SegmentBytesMax: 4096})
				if err != nil {
					b.Fatal(err)
				}
				_ = l.Close()
			}
		})
	}
}

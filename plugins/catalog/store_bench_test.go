package catalog_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/storagebench"
)

// BenchmarkStorageAppend appends 1 MB batches (storagebench.Batch: 1,000
// frames of 1 KiB) to one file, without fsync, with the file backend built
// in and as the external bundle (bytes through shared memory). MB/s of
// the two is the boundary's cost on the hot path.
func BenchmarkStorageAppend(b *testing.B) {
	for _, route := range []struct {
		name string
		new  func(b *testing.B, dir string) storage.Store
	}{
		{"builtin", func(b *testing.B, dir string) storage.Store {
			s, err := filestore.New(component.Env{DataDir: dir}, filestore.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"external", func(b *testing.B, dir string) storage.Store {
			s, err := bundletest.BinaryStoreFactory(b, storageBinary, "file_ext").New(context.Background(), component.Env{DataDir: dir}, nil)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		b.Run(route.name, func(b *testing.B) { benchAppend(b, route.new(b, b.TempDir())) })
	}
}

// benchAppendFileBytesMax bounds the file; it is truncated (untimed)
// when full, so a long run does not fill the disk.
const benchAppendFileBytesMax = 512 << 20

func benchAppend(b *testing.B, s storage.Store) {
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close(ctx) })
	f, err := s.Open(ctx, storage.SegmentID{}, storage.FileLog, true)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	batch := [][]byte{storagebench.Batch()}
	if small := os.Getenv("RUNNEL_BENCH_BATCH_BYTES"); small != "" {
		n, _ := strconv.Atoi(small)
		batch[0] = batch[0][:n]
	}
	b.SetBytes(int64(len(batch[0])))
	b.ResetTimer()
	for b.Loop() {
		if f.Size() >= benchAppendFileBytesMax {
			b.StopTimer()
			if err := f.Truncate(ctx, 0); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if _, err := f.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPrintExternalStorageTable prints storagebench's table (through
// partition.Log: append, append+fsync, read) for the file backend built
// in and external, when RUNNEL_BENCH_TABLE is set (RUNNEL_BENCH_MB,
// RUNNEL_BENCH_SYNC_MB, RUNNEL_BENCH_ROUNDS size it, as in storagebench).
func TestPrintExternalStorageTable(t *testing.T) {
	if os.Getenv("RUNNEL_BENCH_TABLE") == "" {
		t.Skip("set RUNNEL_BENCH_TABLE=1 to measure")
	}
	factory := bundletest.BinaryStoreFactory(t, storageBinary, "file_ext")
	backends := []storagebench.Backend{
		{Name: "file (builtin)", New: func(dir string) (storage.Store, error) {
			return filestore.New(component.Env{DataDir: dir}, filestore.Config{})
		}},
		{Name: "file (external)", New: func(dir string) (storage.Store, error) {
			return factory.New(context.Background(), component.Env{DataDir: dir}, nil)
		}},
	}
	opts := storagebench.Options{
		Dir:         t.TempDir(),
		AppendBytes: envMiB("RUNNEL_BENCH_MB", 256),
		SyncBytes:   envMiB("RUNNEL_BENCH_SYNC_MB", 64),
		Rounds:      int(envMiB("RUNNEL_BENCH_ROUNDS", 3) >> 20),
	}
	res, err := storagebench.Run(context.Background(), backends, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", storagebench.Table(res))
}

func envMiB(name string, def int64) int64 {
	n, err := strconv.ParseInt(os.Getenv(name), 10, 64)
	if err != nil {
		return def << 20
	}
	return n << 20
}

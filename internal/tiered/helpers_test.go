package tiered_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/diskarchiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
	"github.com/runnel-io/runnel/sdk/wire"
)

var testKey = storage.PartitionKey{Stream: 3, Topic: 4, Partition: 5}

// testLog is a real partition log on the file backend with its frames as
// stamped, by offset.
type testLog struct {
	store  storage.Store
	log    *partition.Log
	frames [][]byte
}

func startStore(t testing.TB) storage.Store {
	t.Helper()
	s, err := filestore.New(component.Env{DataDir: t.TempDir()}, filestore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// buildLog appends batches of batchCount messages of varied sizes up to
// totalBytes, with segments of segmentBytes.
func buildLog(t testing.TB, segmentBytes uint64, totalBytes, batchCount int) *testLog {
	t.Helper()
	ctx := context.Background()
	store := startStore(t)
	l, err := partition.Open(ctx, store, testKey, partition.Config{SegmentBytesMax: segmentBytes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	tl := &testLog{store: store, log: l}
	written := 0
	for i := 0; written < totalBytes; i++ {
		var batch []byte
		var sizes []int
		for j := range batchCount {
			payload := bytes.Repeat([]byte{byte(i*7 + j)}, 100+(i*131+j*17)%3000)
			f := storagetest.Frame(uint64(i*batchCount+j+1), payload, nil)
			batch = append(batch, f...)
			sizes = append(sizes, len(f))
		}
		res, err := l.Append(ctx, batch, uint32(batchCount), uint64(1_000_000+i))
		if err != nil {
			t.Fatal(err)
		}
		if res.FirstOffset != uint64(len(tl.frames)) {
			t.Fatalf("appended at %d, want %d", res.FirstOffset, len(tl.frames))
		}
		for _, n := range sizes {
			tl.frames = append(tl.frames, batch[:n:n])
			batch = batch[n:]
		}
		written += sumInts(sizes)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return tl
}

func sumInts(v []int) int {
	s := 0
	for _, n := range v {
		s += n
	}
	return s
}

// archive copies every sealed segment of tl to a.
func (tl *testLog) archive(t testing.TB, a archiver.Archiver) []storage.SegmentID {
	t.Helper()
	ctx := context.Background()
	var out []storage.SegmentID
	for _, seg := range tl.log.Segments() {
		if !seg.Sealed {
			continue
		}
		for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
			f, err := tl.store.Open(ctx, seg.ID, kind, false)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, f.Size())
			if _, err := f.ReadAt(ctx, b, 0); err != nil {
				t.Fatal(err)
			}
			_ = f.Close()
			if _, err := a.Put(ctx, archiver.SegmentKey(seg.ID, kind), bytes.NewReader(b), int64(len(b))); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, seg.ID)
	}
	return out
}

func startDiskArchiver(t testing.TB, dir string) archiver.Archiver {
	t.Helper()
	a, err := diskarchiver.New(component.Env{}, diskarchiver.Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a
}

// splitFrames cuts polled bytes into frames.
func splitFrames(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n := wire.DecodeMessageHeader(b).Size()
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

package partition_test

import (
	"context"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

// tierLog holds four sealed segments of 3 messages and an active one.
func tierLog(t *testing.T) *partition.Log {
	t.Helper()
	ctx := context.Background()
	l, err := partition.Open(ctx, startFileStore(t, t.TempDir()), fuzzKey, partition.Config{SegmentBytesMax: 3 * 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	payload := make([]byte, 200-64)
	for i := range 13 {
		if _, err := l.Append(ctx, storagetest.Frame(uint64(i+1), payload, nil), 1, uint64(1000+i)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func TestSegmentsAndRetentionWhere(t *testing.T) {
	ctx := context.Background()
	l := tierLog(t)
	segs := l.Segments()
	if len(segs) != 5 || segs[0].NextOffset != 3 || !segs[3].Sealed || segs[4].Sealed || segs[4].NextOffset != 13 || segs[1].SizeBytes != 600 {
		t.Fatalf("segments: %+v", segs)
	}
	// Every segment is over the size limit, but only bases 0 and 3 are
	// "archived": retention stops at 6 and keeps the suffix contiguous.
	archived := map[uint64]bool{0: true, 3: true, 9: true}
	removable := func(id storage.SegmentID) bool { return archived[id.BaseOffset] }
	n, err := l.ApplyRetentionWhere(ctx, 0, 0, 1, removable)
	if err != nil || n != 2 || l.FirstOffset() != 6 {
		t.Fatalf("retention removed %d (%v), first offset %d", n, err, l.FirstOffset())
	}
	archived[6] = true
	n, err = l.RemoveSealedWhere(ctx, removable)
	if err != nil || n != 2 || l.FirstOffset() != 12 || len(l.Segments()) != 1 {
		t.Fatalf("remove sealed removed %d (%v), first offset %d", n, err, l.FirstOffset())
	}
	// The active segment is never removed.
	if n, err := l.RemoveSealedWhere(ctx, func(storage.SegmentID) bool { return true }); n != 0 || err != nil {
		t.Fatalf("removed the active segment: %d %v", n, err)
	}
	buf, count, err := l.Read(ctx, 0, 10, 1<<20, nil)
	if err != nil || count != 1 || len(buf) != 200 {
		t.Fatalf("read after trimming: %d messages, %v", count, err)
	}
}

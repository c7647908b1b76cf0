package tiered_test

import (
	"testing"

	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
)

func segInfo(id storage.SegmentID, kind storage.FileKind, size int64) archiver.ObjectInfo {
	return archiver.ObjectInfo{Key: archiver.SegmentKey(id, kind), SizeBytes: size, SHA256: "x"}
}

func TestParseSegmentKey(t *testing.T) {
	id := storage.SegmentID{PartitionKey: storage.PartitionKey{Stream: 1, Topic: 2, Partition: 4000000000}, BaseOffset: 1 << 40}
	for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
		got, gotKind, err := tiered.ParseSegmentKey(archiver.SegmentKey(id, kind))
		if err != nil || got != id || gotKind != kind {
			t.Fatalf("parse %s: %v %v %v", archiver.SegmentKey(id, kind), got, gotKind, err)
		}
	}
	for _, bad := range []archiver.Key{"segments/1/2/3/x.log", "segments/1/2/00.log", "meta/1/2/3/0.log", "segments/1/2/3/0.txt", "segments/1/2/99999999999/0.log"} {
		if _, _, err := tiered.ParseSegmentKey(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestCatalog(t *testing.T) {
	seg := func(base uint64) storage.SegmentID { return storage.SegmentID{PartitionKey: testKey, BaseOffset: base} }
	cat := tiered.NewCatalog([]string{"a", "b"})
	listing := []archiver.ObjectInfo{
		segInfo(seg(0), storage.FileLog, 1000), segInfo(seg(0), storage.FileIndex, 10*16),
		segInfo(seg(10), storage.FileLog, 500), segInfo(seg(10), storage.FileIndex, 5*16),
		segInfo(seg(15), storage.FileLog, 500), // no index: an upload cut short
		segInfo(seg(30), storage.FileLog, 100), segInfo(seg(30), storage.FileIndex, 2*16),
		{Key: "metadata/snapshot", SizeBytes: 5},
	}
	if n := cat.AddListing("a", listing); n != 3 {
		t.Fatalf("took %d segments from the listing, want 3", n)
	}
	if got := cat.Ranges(testKey); len(got) != 2 || got[0] != (tiered.Range{First: 0, Next: 15}) || got[1] != (tiered.Range{First: 30, Next: 32}) {
		t.Fatalf("ranges %v", got)
	}
	if next, ok := cat.Next(testKey); !ok || next != 32 {
		t.Fatalf("next %d %v", next, ok)
	}
	if first, ok := cat.First(testKey, 15); !ok || first != 0 {
		t.Fatalf("first reaching 15: %d %v", first, ok)
	}
	if _, ok := cat.First(testKey, 20); ok {
		t.Fatal("a run ending at 15 reaches 20")
	}
	s, holders, err := cat.Find(testKey, 12)
	if err != nil || s.ID != seg(10) || s.Next != 15 || len(holders) != 1 || holders[0] != "a" {
		t.Fatalf("find 12: %+v %v %v", s, holders, err)
	}
	if _, _, err := cat.Find(testKey, 20); err == nil {
		t.Fatal("found offset 20 in a gap")
	}
	// Listed is not verified; deletion needs every archiver verified, with
	// matching bounds.
	if cat.HeldByAll(seg(0), 10, 1000) {
		t.Fatal("held by all from a listing")
	}
	cat.Record("a", seg(0), listing[0], listing[1], true)
	if cat.HeldByAll(seg(0), 10, 1000) || !cat.Verified("a", seg(0), 1000, 160) {
		t.Fatal("one archiver of two")
	}
	cat.Record("b", seg(0), listing[0], listing[1], true)
	if !cat.HeldByAll(seg(0), 10, 1000) || cat.HeldByAll(seg(0), 10, 999) || cat.HeldByAll(seg(0), 11, 1000) {
		t.Fatal("held by all: wrong answer for matching or other bounds")
	}
	// A purged partition's new segment replaces what it overlaps.
	cat.Record("a", seg(5), segInfo(seg(5), storage.FileLog, 70), segInfo(seg(5), storage.FileIndex, 20*16), true)
	if got := cat.Ranges(testKey); len(got) != 2 || got[0] != (tiered.Range{First: 5, Next: 25}) {
		t.Fatalf("ranges after an overlapping record: %v", got)
	}
	cat.Forget(testKey)
	if got := cat.Ranges(testKey); len(got) != 0 {
		t.Fatalf("ranges after forget: %v", got)
	}
}

package tiered_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
)

func TestMetadataKeys(t *testing.T) {
	for _, seq := range []uint64{0, 7, 1<<64 - 1} {
		key := tiered.MetadataKey(seq)
		if err := key.Check(); err != nil {
			t.Fatal(err)
		}
		if got, ok := tiered.ParseMetadataKey(key); !ok || got != seq {
			t.Fatalf("parse %s: %d %v", key, got, ok)
		}
	}
	for _, bad := range []archiver.Key{"metadata/snapshot-12", "metadata/snapshot-0000000000000000000x", "manifest.json", "segments/0/0/0/00000000000000000000.log"} {
		if _, ok := tiered.ParseMetadataKey(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	listing := []archiver.ObjectInfo{{Key: tiered.MetadataKey(9)}, {Key: tiered.MetadataKey(120)}, {Key: tiered.MetadataKey(30)}, {Key: "manifest.json"}}
	if info, seq, ok := tiered.NewestMetadata(listing); !ok || seq != 120 || info.Key != tiered.MetadataKey(120) {
		t.Fatalf("newest: %v %d %v", info.Key, seq, ok)
	}
	if _, _, ok := tiered.NewestMetadata(listing[3:]); ok {
		t.Fatal("found a snapshot in a listing without one")
	}
}

// TestManifestListsWhatATargetHolds: the manifest of an archiver holds its
// own segments by partition in order, survives encoding, and encodes the
// same catalog to the same bytes.
func TestManifestListsWhatATargetHolds(t *testing.T) {
	other := storage.PartitionKey{Stream: 1, Topic: 1, Partition: 0}
	seg := func(key storage.PartitionKey, base uint64) storage.SegmentID {
		return storage.SegmentID{PartitionKey: key, BaseOffset: base}
	}
	cat := tiered.NewCatalog([]string{"a", "b"})
	cat.Record("a", seg(testKey, 10), segInfo(seg(testKey, 10), storage.FileLog, 500), segInfo(seg(testKey, 10), storage.FileIndex, 5*16), true)
	cat.Record("a", seg(testKey, 0), segInfo(seg(testKey, 0), storage.FileLog, 1000), segInfo(seg(testKey, 0), storage.FileIndex, 10*16), true)
	cat.Record("a", seg(other, 0), segInfo(seg(other, 0), storage.FileLog, 100), segInfo(seg(other, 0), storage.FileIndex, 16), false)
	cat.Record("b", seg(testKey, 0), segInfo(seg(testKey, 0), storage.FileLog, 1000), segInfo(seg(testKey, 0), storage.FileIndex, 10*16), true)

	parts := cat.Manifest("a")
	if len(parts) != 2 || parts[0].PartitionKey() != other || parts[1].PartitionKey() != testKey {
		t.Fatalf("partitions %+v: want %v then %v", parts, other, testKey)
	}
	segs := parts[1].Segments
	if len(segs) != 2 || segs[0].BaseOffset != 0 || segs[0].NextOffset != 10 || segs[1].BaseOffset != 10 || segs[1].NextOffset != 15 ||
		segs[1].Log.Key != archiver.SegmentKey(seg(testKey, 10), storage.FileLog) || segs[1].Index.SizeBytes != 80 || segs[0].Log.SHA256 != "x" {
		t.Fatalf("segments of %v: %+v", testKey, segs)
	}
	if b := cat.Manifest("b"); len(b) != 1 || len(b[0].Segments) != 1 {
		t.Fatalf("manifest of b: %+v", b)
	}
	m := tiered.Manifest{Version: tiered.ManifestVersion, Partitions: parts,
		Metadata: &tiered.ManifestMetadata{Seq: 42, ManifestObject: tiered.ManifestObject{Key: tiered.MetadataKey(42), SizeBytes: 99, SHA256: "y"}}}
	enc := m.Encode()
	if again := (tiered.Manifest{Version: tiered.ManifestVersion, Partitions: cat.Manifest("a"), Metadata: m.Metadata}).Encode(); !bytes.Equal(enc, again) {
		t.Fatal("the same manifest encoded differently")
	}
	got, err := tiered.DecodeManifest(enc)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("decoded %+v, %v; want %+v", got, err, m)
	}
	if _, err := tiered.DecodeManifest(bytes.Replace(enc, []byte(`"version": 1`), []byte(`"version": 2`), 1)); err == nil {
		t.Fatal("decoded a manifest of another version")
	}
}

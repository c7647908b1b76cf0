package tiered_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/s3test"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/s3archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

func newReader(t testing.TB, cat *tiered.Catalog, archivers map[string]archiver.Archiver, cfg tiered.ReaderConfig) *tiered.Reader {
	t.Helper()
	r, err := tiered.NewReader(cat, archivers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// catalogFromListing rebuilds a catalog as the server does at start.
func catalogFromListing(t testing.TB, archivers map[string]archiver.Archiver, order ...string) *tiered.Catalog {
	t.Helper()
	cat := tiered.NewCatalog(order)
	for _, name := range order {
		infos, err := archivers[name].List(context.Background(), "segments/")
		if err != nil {
			t.Fatal(err)
		}
		cat.AddListing(name, infos)
	}
	return cat
}

// readAll polls r from offset 0 up to before, in polls of countMax
// messages and bytesMax bytes, as a consumer would.
func readAll(t testing.TB, r *tiered.Reader, before uint64, countMax uint32, bytesMax uint64) [][]byte {
	t.Helper()
	var out [][]byte
	for offset := uint64(0); offset < before; {
		buf, n, err := r.Read(context.Background(), testKey, offset, before, countMax, bytesMax, nil)
		if err != nil {
			t.Fatalf("read at %d: %v", offset, err)
		}
		if n == 0 {
			t.Fatalf("read at %d returned nothing (before %d)", offset, before)
		}
		frames := splitFrames(t, buf)
		if len(frames) != int(n) {
			t.Fatalf("read at %d: %d messages reported, %d frames", offset, n, len(frames))
		}
		out = append(out, frames...)
		offset += uint64(n)
	}
	return out
}

func checkFrames(t testing.TB, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("message %d differs", i)
		}
	}
}

// TestReaderServesArchivedSegments reads every archived message back
// through the disk archiver, with and without cache and read-ahead, in
// polls of several shapes, and compares each with what was appended.
func TestReaderServesArchivedSegments(t *testing.T) {
	tl := buildLog(t, 256<<10, 2<<20, 20)
	a := startDiskArchiver(t, t.TempDir())
	ids := tl.archive(t, a)
	if len(ids) < 5 {
		t.Fatalf("only %d sealed segments", len(ids))
	}
	archivers := map[string]archiver.Archiver{"cold": a}
	cat := catalogFromListing(t, archivers, "cold")
	segs := tl.log.Segments()
	before := segs[len(segs)-1].ID.BaseOffset // the active segment is not archived
	if got := cat.Ranges(testKey); len(got) != 1 || got[0] != (tiered.Range{First: 0, Next: before}) {
		t.Fatalf("catalog ranges %v, want [0, %d)", got, before)
	}
	for _, tc := range []struct {
		name     string
		cfg      tiered.ReaderConfig
		countMax uint32
		bytesMax uint64
	}{
		{"no cache", tiered.ReaderConfig{BlockBytes: 64 << 10}, 100, 1 << 20},
		{"cache and read-ahead", tiered.ReaderConfig{CacheBytesMax: 4 << 20, ReadAheadBytes: 1 << 20, BlockBytes: 64 << 10}, 37, 1 << 20},
		{"one message per poll", tiered.ReaderConfig{CacheBytesMax: 1 << 20, ReadAheadBytes: 256 << 10}, 1, 1 << 20},
		{"byte budget below a message", tiered.ReaderConfig{CacheBytesMax: 1 << 20}, 1000, 100},
		{"across segments", tiered.ReaderConfig{CacheBytesMax: 8 << 20, ReadAheadBytes: 2 << 20}, 5000, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReader(t, cat, archivers, tc.cfg)
			checkFrames(t, readAll(t, r, before, tc.countMax, tc.bytesMax), tl.frames[:before])
		})
	}
	t.Run("stops at before and outside the archive", func(t *testing.T) {
		r := newReader(t, cat, archivers, tiered.ReaderConfig{})
		buf, n, err := r.Read(context.Background(), testKey, 3, 5, 100, 1<<20, nil)
		if err != nil || n != 2 {
			t.Fatalf("read [3, 5): %d messages, %v", n, err)
		}
		checkFrames(t, splitFrames(t, buf), tl.frames[3:5])
		if _, n, err := r.Read(context.Background(), testKey, before, before+100, 100, 1<<20, nil); n != 0 || err != nil {
			t.Fatalf("read past the archive: %d messages, %v", n, err)
		}
		other := storage.PartitionKey{Stream: 9}
		if _, n, err := r.Read(context.Background(), other, 0, 100, 100, 1<<20, nil); n != 0 || err != nil {
			t.Fatalf("read of an unknown partition: %d messages, %v", n, err)
		}
	})
	t.Run("cache hits on a second pass", func(t *testing.T) {
		r := newReader(t, cat, archivers, tiered.ReaderConfig{CacheBytesMax: 64 << 20})
		readAll(t, r, before, 500, 1<<20)
		_, _, misses := r.CacheStats()
		readAll(t, r, before, 500, 1<<20)
		bytes, hits, misses2 := r.CacheStats()
		if misses2 != misses || hits == 0 || bytes == 0 || bytes > 64<<20 {
			t.Fatalf("second pass: %d new misses, %d hits, %d bytes cached", misses2-misses, hits, bytes)
		}
	})
}

// TestReaderRefusesCorruptArchive flips one payload byte of an archived
// log: the read delivers the messages before it and then reports the
// damaged one instead of serving it.
func TestReaderRefusesCorruptArchive(t *testing.T) {
	tl := buildLog(t, 256<<10, 600<<10, 10)
	dir := t.TempDir()
	a := startDiskArchiver(t, dir)
	ids := tl.archive(t, a)
	archivers := map[string]archiver.Archiver{"cold": a}
	cat := catalogFromListing(t, archivers, "cold")
	path := filepath.Join(dir, "objects", filepath.FromSlash(string(archiver.SegmentKey(ids[0], storage.FileLog))))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	victim := 7 // damage message 7's payload
	pos := 0
	for _, f := range tl.frames[:victim] {
		pos += len(f)
	}
	b[pos+70] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := newReader(t, cat, archivers, tiered.ReaderConfig{})
	buf, n, err := r.Read(context.Background(), testKey, 0, 1000, 100, 1<<20, nil)
	if err != nil || n != uint32(victim) {
		t.Fatalf("first read: %d messages, %v; want the %d before the damage", n, err, victim)
	}
	checkFrames(t, splitFrames(t, buf), tl.frames[:victim])
	_, _, err = r.Read(context.Background(), testKey, uint64(victim), 1000, 100, 1<<20, nil)
	var ce *tiered.CorruptionError
	if !errors.As(err, &ce) || ce.Offset != uint64(victim) {
		t.Fatalf("read at the damage: %v, want a CorruptionError at offset %d", err, victim)
	}
}

// TestReaderOverS3 reads archived segments back from a real S3 server with
// ranged GETs; a second archiver that lost its copy is skipped for the
// one that answers.
func TestReaderOverS3(t *testing.T) {
	gw := s3test.Start(t)
	s3a, err := s3archiver.New(component.Env{}, s3archiver.Config{Bucket: gw.Bucket, Endpoint: gw.Endpoint, PathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey, Prefix: "tiered", Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s3a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s3a.Close(context.Background()) })
	tl := buildLog(t, 512<<10, 2<<20, 25)
	tl.archive(t, s3a)
	disk := startDiskArchiver(t, t.TempDir())
	tl.archive(t, disk)
	archivers := map[string]archiver.Archiver{"s3": s3a, "disk": disk}
	cat := catalogFromListing(t, archivers, "disk", "s3")
	if err := disk.Delete(context.Background(), archiver.SegmentKey(storage.SegmentID{PartitionKey: testKey}, storage.FileLog)); err != nil {
		t.Fatal(err)
	}
	segs := tl.log.Segments()
	before := segs[len(segs)-1].ID.BaseOffset
	r := newReader(t, cat, archivers, tiered.ReaderConfig{CacheBytesMax: 4 << 20, ReadAheadBytes: 1 << 20, BlockBytes: 256 << 10})
	checkFrames(t, readAll(t, r, before, 64, 1<<20), tl.frames[:before])
}

// countingArchiver counts the GETs of each key.
type countingArchiver struct {
	archiver.Archiver
	mu   sync.Mutex
	gets map[archiver.Key]int
}

func (c *countingArchiver) Get(ctx context.Context, key archiver.Key, position, lengthBytes int64) (io.ReadCloser, error) {
	c.mu.Lock()
	c.gets[key]++
	c.mu.Unlock()
	return c.Archiver.Get(ctx, key, position, lengthBytes)
}

func (c *countingArchiver) count(key archiver.Key) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets[key]
}

// TestReaderPrefetchesNextSegment: a sequential read nearing the end of a
// segment fetches the next segment's index and first log blocks in the
// background, so the poll that crosses over finds them cached.
func TestReaderPrefetchesNextSegment(t *testing.T) {
	tl := buildLog(t, 256<<10, 1<<20, 20)
	disk := startDiskArchiver(t, t.TempDir())
	ids := tl.archive(t, disk)
	ca := &countingArchiver{Archiver: disk, gets: map[archiver.Key]int{}}
	archivers := map[string]archiver.Archiver{"cold": ca}
	cat := catalogFromListing(t, archivers, "cold")
	r := newReader(t, cat, archivers, tiered.ReaderConfig{CacheBytesMax: 4 << 20, ReadAheadBytes: 512 << 10, BlockBytes: 64 << 10})
	segs := tl.log.Segments()
	// Read all of segment 0 (stopping there), as a consumer would.
	end := segs[0].NextOffset
	for offset := uint64(0); offset < end; {
		_, n, err := r.Read(context.Background(), testKey, offset, end, 50, 1<<20, nil)
		if err != nil || n == 0 {
			t.Fatalf("read at %d: %d, %v", offset, n, err)
		}
		offset += uint64(n)
	}
	next := ids[1]
	deadline := time.Now().Add(10 * time.Second)
	for ca.count(archiver.SegmentKey(next, storage.FileIndex)) == 0 || ca.count(archiver.SegmentKey(next, storage.FileLog)) == 0 ||
		r.Prefetching() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the next segment was not prefetched")
		}
		runtime.Gosched()
	}
	// The crossing poll is served from the cache, without a GET.
	_, _, missesBefore := r.CacheStats()
	buf, n, err := r.Read(context.Background(), testKey, end, end+10, 10, 1<<20, nil)
	if err != nil || n != 10 {
		t.Fatalf("read at %d: %d, %v", end, n, err)
	}
	checkFrames(t, splitFrames(t, buf), tl.frames[end:end+10])
	if _, _, misses := r.CacheStats(); misses != missesBefore {
		t.Fatalf("the first poll of the next segment missed the cache %d times", misses-missesBefore)
	}
	if got := ca.count(archiver.SegmentKey(next, storage.FileLog)); got != 1 {
		t.Fatalf("%d GETs of the next segment's log, want the one prefetch", got)
	}
}

// TestReaderFindsTimestamps: batch i of buildLog is stamped 1_000_000+i,
// so the first message at or after that stamp is the batch's first; stamps
// past the archive (or past before) are not found.
func TestReaderFindsTimestamps(t *testing.T) {
	const batch = 20
	tl := buildLog(t, 256<<10, 2<<20, batch)
	a := startDiskArchiver(t, t.TempDir())
	tl.archive(t, a)
	archivers := map[string]archiver.Archiver{"cold": a}
	cat := catalogFromListing(t, archivers, "cold")
	segs := tl.log.Segments()
	before := segs[len(segs)-1].ID.BaseOffset
	batches := before / batch // every archived batch is whole: segments seal between appends
	ctx := context.Background()
	for _, cfg := range []tiered.ReaderConfig{{}, {CacheBytesMax: 1 << 20, BlockBytes: 4 << 10}} {
		r := newReader(t, cat, archivers, cfg)
		for _, i := range []uint64{0, 1, 7, batches / 2, batches - 1} {
			off, ok, err := r.OffsetAtTimestamp(ctx, testKey, 1_000_000+i, before)
			if err != nil || !ok || off != i*batch {
				t.Fatalf("stamp of batch %d: offset %d, %v, %v; want %d", i, off, ok, err, i*batch)
			}
		}
		if off, ok, err := r.OffsetAtTimestamp(ctx, testKey, 5, before); err != nil || !ok || off != 0 {
			t.Fatalf("stamp before everything: %d, %v, %v; want offset 0", off, ok, err)
		}
		if _, ok, err := r.OffsetAtTimestamp(ctx, testKey, 1_000_000+batches, before); err != nil || ok {
			t.Fatalf("stamp past the archive: found %v, %v", ok, err)
		}
		if _, ok, err := r.OffsetAtTimestamp(ctx, testKey, 1_000_000+10, 10*batch); err != nil || ok {
			t.Fatalf("stamp at before: found %v, %v", ok, err)
		}
		if _, ok, err := r.OffsetAtTimestamp(ctx, storage.PartitionKey{Stream: 9}, 0, 100); err != nil || ok {
			t.Fatalf("unknown partition: found %v, %v", ok, err)
		}
	}
}

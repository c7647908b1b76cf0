package tiered_test

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/runnel-io/runnel/internal/s3test"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/s3archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

// benchReader is the L3 reader as the server's defaults configure it.
var benchReader = tiered.ReaderConfig{CacheBytesMax: 64 << 20, ReadAheadBytes: 16 << 20}

const (
	benchPairs        = 9 // alternating raw GET and L3 passes for the paired ratio
	benchTotalBytes   = 64 << 20
	benchSegmentBytes = 16 << 20
	benchPollCount    = 1000
	benchPollBytes    = 32 << 20
)

// BenchmarkTiers consumes the same archived segments (64 MiB of ~1.6 KiB
// messages in 16 MiB segments) from L1 (memory), L2 (local files) and L3
// (a real S3 server through ranged GETs, cold cache each pass) in polls of
// 1,000 messages, and GETs the same objects whole with the raw AWS SDK.
// RawRanged1MiB GETs them in 1 MiB ranges, the block size of L3. It logs
// each throughput as a ratio of the whole-object GET's, and then the
// median ratio of L3 to raw GET over benchPairs passes of each, run
// alternately: on a shared machine, load shifts between sub-benchmarks
// run seconds apart, and pairing cancels most of it.
func BenchmarkTiers(b *testing.B) {
	ctx := context.Background()
	gw := s3test.Start(b)
	a, err := s3archiver.New(component.Env{}, s3archiver.Config{Bucket: gw.Bucket, Endpoint: gw.Endpoint, PathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close(ctx) })
	tl := buildLog(b, benchSegmentBytes, benchTotalBytes, 100)
	ids := tl.archive(b, a)
	archivers := map[string]archiver.Archiver{"s3": a}
	cat := catalogFromListing(b, archivers, "s3")
	segs := tl.log.Segments()
	before := segs[len(segs)-1].ID.BaseOffset
	var archivedBytes int64
	for _, s := range segs[:len(segs)-1] {
		archivedBytes += int64(s.SizeBytes)
	}
	recent := tiered.NewRecent(2 * benchTotalBytes)
	for off := uint64(0); off < before; off += 100 { // the batches as appended
		var batch []byte
		for _, f := range tl.frames[off:min(off+100, before)] {
			batch = append(batch, f...)
		}
		recent.Put(testKey, off, uint32(min(100, before-off)), batch)
	}

	throughput := map[string]float64{}
	run := func(name string, consume func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(archivedBytes)
			for b.Loop() {
				consume(b)
			}
			throughput[name] = float64(archivedBytes) * float64(b.N) / b.Elapsed().Seconds()
		})
	}
	buf := make([]byte, 0, benchPollBytes)
	poll := func(b *testing.B, read func(offset uint64) (uint32, error)) {
		for offset := uint64(0); offset < before; {
			n, err := read(offset)
			if err != nil || n == 0 {
				b.Fatalf("read at %d: %d messages, %v", offset, n, err)
			}
			offset += uint64(n)
		}
	}
	run("L1", func(b *testing.B) {
		poll(b, func(offset uint64) (uint32, error) {
			var n uint32
			buf, n, _ = recent.Read(testKey, offset, before, benchPollCount, benchPollBytes, buf[:0])
			return n, nil
		})
	})
	run("L2", func(b *testing.B) {
		poll(b, func(offset uint64) (uint32, error) {
			var n uint32
			var err error
			buf, n, err = tl.log.Read(ctx, offset, benchPollCount, benchPollBytes, buf[:0])
			return n, err
		})
	})
	l3 := func(b *testing.B) {
		// Not newReader: a reader kept for cleanup until the end would
		// hold its cache's memory across passes.
		r, err := tiered.NewReader(cat, archivers, benchReader)
		if err != nil {
			b.Fatal(err)
		}
		poll(b, func(offset uint64) (uint32, error) {
			var n uint32
			var err error
			buf, n, err = r.Read(ctx, testKey, offset, before, benchPollCount, benchPollBytes, buf[:0])
			return n, err
		})
		r.Close()
	}
	run("L3", l3)
	raw := gw.Client()
	rawGet := func(b *testing.B) {
		for _, id := range ids {
			out, err := raw.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(gw.Bucket), Key: aws.String(string(archiver.SegmentKey(id, storage.FileLog)))})
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, out.Body)
			_ = out.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	run("RawGET", rawGet)
	run("RawRanged1MiB", func(b *testing.B) {
		for i, id := range ids {
			size := int64(segs[i].SizeBytes)
			for at := int64(0); at < size; at += 1 << 20 {
				r, err := a.Get(ctx, archiver.SegmentKey(id, storage.FileLog), at, 1<<20)
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(io.Discard, r)
				_ = r.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	if rawGet := throughput["RawGET"]; rawGet > 0 {
		for _, name := range []string{"L1", "L2", "L3", "RawRanged1MiB"} {
			b.Logf("%s: %.0f MB/s = %.2f x raw GET (%.0f MB/s)", name, throughput[name]/1e6, throughput[name]/rawGet, rawGet/1e6)
		}
	}
	ratios := make([]float64, benchPairs)
	for i := range ratios {
		ratios[i] = timed(b, rawGet).Seconds() / timed(b, l3).Seconds()
	}
	slices.Sort(ratios)
	b.Logf("L3 / raw GET, paired over %d passes each: median %.2f (min %.2f, max %.2f)",
		benchPairs, ratios[benchPairs/2], ratios[0], ratios[benchPairs-1])
}

// timed runs one pass of consume and returns its wall time.
func timed(b *testing.B, consume func(b *testing.B)) time.Duration {
	started := time.Now()
	consume(b)
	return time.Since(started)
}

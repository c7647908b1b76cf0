package vsrstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// BenchmarkPersist persists journal writes (prepares of 4 KiB and 1 MiB
// bodies, alone and in batches of 8, each Persist durable) and, in the
// same loop and the same directory, writes the same bytes to a
// preallocated file of the same size with pwrite + one fdatasync: the
// cheapest durable write of those bytes. Interleaving the two keeps disk
// noise (other processes) out of the ratio. Metrics: store-ns/persist,
// raw-ns/persist, ratio = store / raw.
func BenchmarkPersist(b *testing.B) {
	for _, bc := range []struct {
		bodyBytes, batch int
	}{{4 << 10, 1}, {4 << 10, 8}, {1 << 20, 1}, {1 << 20, 8}} {
		b.Run(fmt.Sprintf("body=%dKiB/batch=%d", bc.bodyBytes>>10, bc.batch), func(b *testing.B) {
			benchPersist(b, bc.bodyBytes, bc.batch)
		})
	}
}

func benchPersist(b *testing.B, bodyBytes, batch int) {
	ctx := context.Background()
	dir := b.TempDir()
	sc := Config{JournalSlots: 64, CheckpointSizeBytesMax: 1 << 20}
	if err := Format(ctx, dir, sc, 0, testCluster); err != nil {
		b.Fatal(err)
	}
	st, _, err := Open(ctx, dir, sc)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	raw, err := os.OpenFile(filepath.Join(dir, "raw"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if err := preallocate(raw, st.SizeBytes()); err != nil {
		b.Fatal(err)
	}
	prepare := make([]byte, vsr.HeaderSize+bodyBytes)
	for i := range prepare {
		prepare[i] = byte(i * 7)
	}
	lay := layoutOf(st.Config())
	var op uint64
	var storeNs, rawNs time.Duration
	b.SetBytes(int64(batch * len(prepare)))
	for b.Loop() {
		writes := make([]vsr.JournalWrite, batch)
		for i := range writes {
			op++
			writes[i] = vsr.JournalWrite{Op: op, Slot: op % lay.slots, Prepare: prepare}
		}
		start := time.Now()
		if err := st.Persist(ctx, vsr.Ready{Writes: writes}); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		for _, w := range writes {
			if _, err := raw.WriteAt(w.Prepare, lay.prepareOffset(w.Slot)); err != nil {
				b.Fatal(err)
			}
		}
		if err := dirstore.DataSync(raw); err != nil {
			b.Fatal(err)
		}
		storeNs += mid.Sub(start)
		rawNs += time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(storeNs.Nanoseconds())/n, "store-ns/persist")
	b.ReportMetric(float64(rawNs.Nanoseconds())/n, "raw-ns/persist")
	b.ReportMetric(float64(storeNs)/float64(rawNs), "ratio")
}

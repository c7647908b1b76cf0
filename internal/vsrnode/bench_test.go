package vsrnode

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

const benchPayloadBytes = 1 << 10

// BenchmarkSubmit: 1 KiB appends through Submit with 1, 8 and 64
// concurrent submitters (ns/op is per append, all submitters together);
// with one replica the pipeline bounds the ops per persist.
func BenchmarkSubmit(b *testing.B) {
	cases := []struct{ submitters, pipeline int }{{1, 0}, {8, 0}, {64, 0}, {64, 32}}
	for _, c := range cases {
		submitters := c.submitters
		b.Run(fmt.Sprintf("submitters=%d/pipeline=%d", submitters, max(c.pipeline, 8)), func(b *testing.B) {
			cfg := Config{Dir: b.TempDir(), Cluster: testCluster, PrepareSizeBytesMax: 8 << 10, SessionsMax: 64,
				PipelineMax: c.pipeline}
			sm := vsr.NewMemoryMachine()
			sm.DiscardBatches = true
			n := startNode(b, cfg, sm, Hooks{})
			waitServing(b, n.Node)
			body := appendBody(0, payload(0, 0, 0, benchPayloadBytes))
			// Register every session before timing.
			var wg sync.WaitGroup
			for range submitters {
				wg.Go(func() {
					if _, err := n.Submit(context.Background(), vsr.OperationAppend, body); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
			before := n.Stats()
			b.SetBytes(benchPayloadBytes)
			b.ResetTimer()
			for w := range submitters {
				wg.Go(func() {
					for i := w; i < b.N; i += submitters {
						if _, err := n.Submit(context.Background(), vsr.OperationAppend, body); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			after := n.Stats()
			persists := after.Persists - before.Persists
			b.ReportMetric(float64(b.N)/max(float64(persists), 1), "ops/persist")
			b.ReportMetric(float64(after.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkRawFdatasync is the baseline: write 1 KiB then fdatasync, in a
// loop, on a file in the same kind of directory; appending (the file
// grows) and overwriting a preallocated region.
func BenchmarkRawFdatasync(b *testing.B) {
	for _, mode := range []string{"append", "overwrite"} {
		b.Run(mode, func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "raw"), os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			buf := payload(0, 0, 0, benchPayloadBytes)
			const regionBytes = 64 << 20
			if mode == "overwrite" {
				if _, err := f.WriteAt(make([]byte, regionBytes), 0); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(benchPayloadBytes)
			b.ResetTimer()
			for i := range b.N {
				off := int64(i) * benchPayloadBytes
				if mode == "overwrite" {
					off %= regionBytes
				}
				if _, err := f.WriteAt(buf, off); err != nil {
					b.Fatal(err)
				}
				if err := dirstore.DataSync(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

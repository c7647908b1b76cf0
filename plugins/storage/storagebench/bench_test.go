package storagebench_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/plugins/storage/storagebench"
)

// TestRunSmall runs the whole measurement on a few batches, so the bench
// code is checked by every `go test`.
func TestRunSmall(t *testing.T) {
	backends := storagebench.Backends()
	res, err := storagebench.Run(context.Background(), backends, storagebench.Options{
		Dir: t.TempDir(), AppendBytes: 3 * storagebench.BatchBytes, SyncBytes: storagebench.BatchBytes, Rounds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(backends)+1 || res[0].Name != storagebench.RawName {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		if r.AppendMBps <= 0 || r.SyncMBps <= 0 || r.ReadMBps <= 0 || r.RereadMBps <= 0 || r.AppendP99 <= 0 || r.SyncP99 <= 0 {
			t.Fatalf("row %+v has an empty measurement", r)
		}
	}
	table := storagebench.Table(res)
	for _, r := range res {
		if !strings.Contains(table, "| "+r.Name+" |") {
			t.Fatalf("table lacks %s:\n%s", r.Name, table)
		}
	}
}

// TestPrintBackendTable prints the backend table when RUNNEL_BENCH_TABLE
// is set. Sizes: RUNNEL_BENCH_MB (appended and read back, default 256),
// RUNNEL_BENCH_SYNC_MB (appended with fsync per batch, default 64),
// RUNNEL_BENCH_ROUNDS (median of, default 3), RUNNEL_BENCH_BACKENDS (a
// comma-separated subset, default all built in), RUNNEL_BENCH_DIR (default a
// temporary directory; it must be on the disk to measure, not tmpfs).
func TestPrintBackendTable(t *testing.T) {
	if os.Getenv("RUNNEL_BENCH_TABLE") == "" {
		t.Skip("set RUNNEL_BENCH_TABLE=1 to measure the storage backends")
	}
	dir := os.Getenv("RUNNEL_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	opts := storagebench.Options{
		Dir:         dir,
		AppendBytes: envInt(t, "RUNNEL_BENCH_MB", 256) << 20,
		SyncBytes:   envInt(t, "RUNNEL_BENCH_SYNC_MB", 64) << 20,
		Rounds:      int(envInt(t, "RUNNEL_BENCH_ROUNDS", 3)),
	}
	backends := storagebench.Backends()
	if only := os.Getenv("RUNNEL_BENCH_BACKENDS"); only != "" {
		keep := strings.Split(only, ",")
		backends = slices.DeleteFunc(backends, func(b storagebench.Backend) bool { return !slices.Contains(keep, b.Name) })
	}
	res, err := storagebench.Run(context.Background(), backends, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("batches of %d x %d B frames, %d MiB appended and read, %d MiB with fsync per batch, median of %d rounds\n\n%s",
		storagebench.BatchFrames, storagebench.FrameBytes, opts.AppendBytes>>20, opts.SyncBytes>>20, opts.Rounds,
		storagebench.Table(res))
}

func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

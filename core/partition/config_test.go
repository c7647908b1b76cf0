package partition_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

func TestConfig(t *testing.T) {
	d := partition.Config{}.WithDefaults()
	if d.SegmentBytesMax != 1<<30 || d.SealedSegmentsOpenMax == 0 || d.RecoveryVerifyTailBytes == 0 {
		t.Fatalf("defaults %+v", d)
	}
	if err := (partition.Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	for name, c := range map[string]partition.Config{
		"segment_bytes_max":        {SegmentBytesMax: 1 << 32},
		"segment_bytes_max ":       {SegmentBytesMax: 10},
		"sealed_segments_open_max": {SealedSegmentsOpenMax: -1},
	} {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(name)) {
			t.Fatalf("%+v: %v, want an error naming %s", c, err, name)
		}
		if _, err := partition.Open(context.Background(), nil, fuzzKey, c); err == nil {
			t.Fatalf("Open accepted %+v", c)
		}
	}
}

func TestCorruptionErrorNamesThePlace(t *testing.T) {
	err := error(&partition.CorruptionError{Path: "/data/x.log", Position: 4096, Offset: 77, Reason: "checksum mismatch"})
	for _, want := range []string{"/data/x.log", "4096", "77", "checksum mismatch"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%q lacks %q", err, want)
		}
	}
	var ce *partition.CorruptionError
	if !errors.As(err, &ce) {
		t.Fatal("not a CorruptionError")
	}
}

// TestFailedWriteStopsTheLog: after a write error the log refuses writes
// until reopened, and reopening recovers what reached the files.
func TestFailedWriteStopsTheLog(t *testing.T) {
	ctx := context.Background()
	store := startFileStore(t, t.TempDir())
	l, err := partition.Open(ctx, store, fuzzKey, partition.Config{})
	if err != nil {
		t.Fatal(err)
	}
	frame := storagetest.Frame(1, []byte("payload"), nil)
	if _, err := l.Append(ctx, frame, 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(ctx); err != nil { // pulls the files from under the log
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, frame, 1, 2); err == nil {
		t.Fatal("append on closed files succeeded")
	}
	if _, err := l.Append(ctx, frame, 1, 2); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("second append: %v, want the sticky failure", err)
	}
	if err := l.Sync(ctx); err == nil {
		t.Fatal("sync after a failed write succeeded")
	}
	_ = l.Close()
}

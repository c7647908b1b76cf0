package metastore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSnapshotInstallsOnAnEmptyDirectory: the bytes Snapshot returns start
// a new directory at the same state and sequence number; later ops carry
// on from there. A directory with metadata, or damaged bytes, are refused.
func TestSnapshotInstallsOnAnEmptyDirectory(t *testing.T) {
	cfg := testConfig()
	s := openT(t, t.TempDir(), cfg)
	ops := workload(40)
	for _, op := range ops[:30] {
		submit(t, s, op)
	}
	seq, file := s.Snapshot()
	if seq != 30 {
		t.Fatalf("snapshot at seq %d, want 30", seq)
	}
	want := snapshotOf(s)

	dir := filepath.Join(t.TempDir(), "metadata") // missing: created
	if got, err := InstallSnapshot(dir, file, cfg); err != nil || got != seq {
		t.Fatalf("install: seq %d, %v", got, err)
	}
	if _, err := InstallSnapshot(dir, file, cfg); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("second install: %v, want ErrNotEmpty", err)
	}
	restored := openT(t, dir, cfg)
	if !bytes.Equal(snapshotOf(restored), want) || restored.Stats().Seq != seq {
		t.Fatalf("restored state differs or seq %d", restored.Stats().Seq)
	}
	for _, op := range ops[30:] {
		submit(t, restored, op)
	}
	if restored.Stats().Seq != 40 {
		t.Fatalf("seq %d after 10 more ops, want 40", restored.Stats().Seq)
	}

	// A directory whose only metadata is logged ops is not empty either.
	logged := t.TempDir()
	s2 := openT(t, logged, cfg)
	submit(t, s2, ops[0])
	closeT(t, s2)
	if _, err := InstallSnapshot(logged, file, cfg); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("install over a log: %v, want ErrNotEmpty", err)
	}

	bad := bytes.Clone(file)
	bad[len(bad)/2] ^= 1
	fresh := t.TempDir()
	if _, err := InstallSnapshot(fresh, bad, cfg); err == nil {
		t.Fatal("installed a damaged snapshot")
	}
	if _, err := os.Stat(filepath.Join(fresh, snapshotFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused snapshot left a file: %v", err)
	}
}

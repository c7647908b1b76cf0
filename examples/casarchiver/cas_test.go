package casarchiver_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/runnel-io/runnel/examples/casarchiver"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/archivertest"
	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/component"
)

// TestConformance runs the archiver suite in process.
func TestConformance(t *testing.T) {
	archivertest.Run(t, func(t *testing.T) archiver.Archiver {
		a, err := casarchiver.New(component.Env{DataDir: t.TempDir()}, casarchiver.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}

// TestConformanceOverRPC runs the same suite through the real go-plugin
// gRPC adapters, in process.
func TestConformanceOverRPC(t *testing.T) {
	bundletest.RunArchiver(t, casarchiver.Set(), casarchiver.Name, nil, archivertest.Run)
}

func TestSampleDecodes(t *testing.T) {
	var raw map[string]any
	if err := toml.Unmarshal(casarchiver.SampleTOML, &raw); err != nil {
		t.Fatal(err)
	}
	if _, err := casarchiver.DecodeConfig(raw); err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
}

func TestConfigRefused(t *testing.T) {
	f := casarchiver.Factory()
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"pth": "x"}, "unknown key pth"},
		{map[string]any{"max_object_bytes": int64(-1)}, "max_object_bytes"},
	} {
		_, err := f.New(context.Background(), component.Env{DataDir: t.TempDir()}, tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %q", tc.raw, err, tc.want)
		}
	}
}

// TestDedupAndSweep: identical content is stored once, a blob outlives a
// key while another key shares it, and Start sweeps orphans.
func TestDedupAndSweep(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := started(t, dir)
	b := bytes.Repeat([]byte("segment"), 1000)
	for _, k := range []archiver.Key{"x/1", "x/2"} {
		if _, err := a.Put(ctx, k, bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
	}
	if n := countBlobs(t, dir); n != 1 {
		t.Fatalf("%d blobs for two identical objects, want 1", n)
	}
	if err := a.Delete(ctx, "x/1"); err != nil {
		t.Fatal(err)
	}
	if n := countBlobs(t, dir); n != 1 {
		t.Fatalf("deleting one of two keys left %d blobs, want 1", n)
	}
	if err := a.Delete(ctx, "x/2"); err != nil {
		t.Fatal(err)
	}
	if n := countBlobs(t, dir); n != 0 {
		t.Fatalf("deleting both keys left %d blobs", n)
	}
	orphan := filepath.Join(dir, "blobs", "ab", strings.Repeat("c", 62))
	if err := os.MkdirAll(filepath.Dir(orphan), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orphan, []byte("left by a crash"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	started(t, dir)
	if n := countBlobs(t, dir); n != 0 {
		t.Fatalf("start left %d orphan blobs", n)
	}
}

// TestReopen: the index survives a restart.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := started(t, dir)
	info, err := a.Put(ctx, "k/v", strings.NewReader("hello"), 5)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close(ctx)
	got, err := started(t, dir).Stat(ctx, "k/v")
	if err != nil || got != info {
		t.Fatalf("after reopen: %+v %v, want %+v", got, err, info)
	}
}

func started(t *testing.T, dir string) *casarchiver.Archiver {
	t.Helper()
	a, err := casarchiver.New(component.Env{DataDir: dir}, casarchiver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a
}

func countBlobs(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

package mmapstore_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/mmapstore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

func newStore(t *testing.T, dir string) storage.Store {
	t.Helper()
	// A small headroom makes the suite remap often.
	s, err := mmapstore.New(component.Env{DataDir: dir}, mmapstore.Config{MapHeadroomBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, newStore)
}

func TestConformanceDefaultConfig(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dir string) storage.Store {
		s, err := mmapstore.New(component.Env{DataDir: dir}, mmapstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func decodeConfig(b []byte) (mmapstore.Config, error) {
	var cfg mmapstore.Config
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestSampleConfig(t *testing.T) {
	cfg, err := decodeConfig(mmapstore.SampleTOML)
	if err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
	if cfg.MapHeadroomBytes != 64<<20 {
		t.Fatalf("sample.toml: headroom %d", cfg.MapHeadroomBytes)
	}
	if _, err := mmapstore.New(component.Env{DataDir: t.TempDir()}, cfg); err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
	if _, err := decodeConfig([]byte("queue_depth = 64\n")); err == nil {
		t.Fatal("an unknown key was accepted")
	}
	if _, err := decodeConfig([]byte("map_headroom_bytes = -1\n")); err == nil {
		t.Fatal("a negative headroom was accepted")
	}
	if c, err := mmapstore.DecodeConfig(map[string]any{"map_headroom_bytes": int64(4096)}); err != nil || c.MapHeadroomBytes != 4096 {
		t.Fatalf("DecodeConfig: %+v %v", c, err)
	}
	for _, raw := range []map[string]any{{"nope": 1}, {"map_headroom_bytes": "big"}, {"map_headroom_bytes": int64(-5)}} {
		if _, err := mmapstore.DecodeConfig(raw); err == nil {
			t.Fatalf("DecodeConfig accepted %v", raw)
		}
	}
}

// TestGrowPastMapping reads across several remaps and after a truncate.
func TestGrowPastMapping(t *testing.T) {
	ctx := context.Background()
	s := storagetest.StartStore(t, newStore, t.TempDir())
	f, err := s.Open(ctx, storage.SegmentID{}, storage.FileLog, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []byte
	for i := range 50 {
		b := bytes.Repeat([]byte{byte(i)}, 1000+i*37)
		if _, err := f.Append(ctx, [][]byte{b}); err != nil {
			t.Fatal(err)
		}
		want = append(want, b...)
		got := make([]byte, len(want))
		if n, err := f.ReadAt(ctx, got, 0); err != nil || n != len(want) || !bytes.Equal(got, want) {
			t.Fatalf("read after append %d: n=%d err=%v", i, n, err)
		}
	}
	if err := f.Truncate(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append(ctx, [][]byte{[]byte("tail")}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 14)
	if n, err := f.ReadAt(ctx, got, 0); err != nil || n != 14 || string(got[10:]) != "tail" || !bytes.Equal(got[:10], want[:10]) {
		t.Fatalf("read after truncate: n=%d err=%v %q", n, err, got)
	}
}

// TestFaultIsAnError cuts a mapped file behind the store's back: the read
// must fail, not kill the process.
func TestFaultIsAnError(t *testing.T) {
	ctx := context.Background()
	s := storagetest.StartStore(t, newStore, t.TempDir())
	f, err := s.Open(ctx, storage.SegmentID{}, storage.FileLog, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Append(ctx, [][]byte{bytes.Repeat([]byte("x"), 3*os.Getpagesize())}); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 16)
	if _, err := f.ReadAt(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(s.Path(storage.SegmentID{}, storage.FileLog), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(ctx, p, int64(2*os.Getpagesize())); err == nil {
		t.Fatal("read of a page cut behind the store's back succeeded")
	}
}

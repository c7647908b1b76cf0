package directiostore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/directiostore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

func newStore(t *testing.T, dir string) storage.Store {
	t.Helper()
	// A small headroom makes the suite remap often.
	s, err := directiostore.New(component.Env{DataDir: dir}, directiostore.Config{ReadChunkBytes: 8192})
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
		s, err := directiostore.New(component.Env{DataDir: dir}, directiostore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func decodeConfig(b []byte) (directiostore.Config, error) {
	var cfg directiostore.Config
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestSampleConfig(t *testing.T) {
	cfg, err := decodeConfig(directiostore.SampleTOML)
	if err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
	if cfg.AlignmentBytes != 4096 || cfg.ReadChunkBytes != 1<<20 {
		t.Fatalf("sample.toml: %+v", cfg)
	}
	if _, err := directiostore.New(component.Env{DataDir: t.TempDir()}, cfg); err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
	for _, bad := range []string{"queue_depth = 64\n", "alignment_bytes = 1000\n", "alignment_bytes = 256\n", "read_chunk_bytes = 5000\n"} {
		if _, err := decodeConfig([]byte(bad)); err == nil {
			t.Fatalf("%q was accepted", bad)
		}
	}
	if c, err := directiostore.DecodeConfig(map[string]any{"alignment_bytes": int64(512), "read_chunk_bytes": 4096}); err != nil || c.AlignmentBytes != 512 {
		t.Fatalf("DecodeConfig: %+v %v", c, err)
	}
	for _, raw := range []map[string]any{{"nope": 1}, {"alignment_bytes": "big"}, {"alignment_bytes": int64(3000)}} {
		if _, err := directiostore.DecodeConfig(raw); err == nil {
			t.Fatalf("DecodeConfig accepted %v", raw)
		}
	}
}

// TestNoPadding appends odd sizes across block boundaries and checks,
// after every Append, that the file on disk is exactly what was appended
// (no padding) and that reads agree, also after a truncate and a reopen.
func TestNoPadding(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := storagetest.StartStore(t, newStore, dir)
	path := s.Path(storage.SegmentID{}, storage.FileLog)
	f, err := s.Open(ctx, storage.SegmentID{}, storage.FileLog, true)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	check := func(when string) {
		t.Helper()
		disk, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(disk, want) {
			t.Fatalf("%s: file holds %d bytes, want %d (%v)", when, len(disk), len(want), err)
		}
		got := make([]byte, len(want))
		if n, err := f.ReadAt(ctx, got, 0); err != nil || n != len(want) || !bytes.Equal(got, want) {
			t.Fatalf("%s: read n=%d err=%v", when, n, err)
		}
		for _, at := range []int{0, 1, 4095, 4096, 4097, 8191, 12000, len(want) - 3} {
			if at < 0 || at >= len(want) {
				continue
			}
			p := make([]byte, 7)
			n, _ := f.ReadAt(ctx, p, int64(at))
			if !bytes.Equal(p[:n], want[at:min(at+7, len(want))]) {
				t.Fatalf("%s: read at %d differs", when, at)
			}
		}
	}
	for i, size := range []int{1, 10, 4085, 1, 4095, 4096, 8193, 3, 20000, 4096 - 3, 1 << 20} {
		b := bytes.Repeat([]byte{byte(i + 1)}, size)
		if _, err := f.Append(ctx, [][]byte{b[:size/2], nil, b[size/2:]}); err != nil {
			t.Fatal(err)
		}
		want = append(want, b...)
		check("after append")
	}
	if err := f.Truncate(ctx, 5000); err != nil {
		t.Fatal(err)
	}
	want = want[:5000]
	check("after truncate")
	if _, err := f.Append(ctx, [][]byte{[]byte("more")}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "more"...)
	check("after append past truncate")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f, err = s.Open(ctx, storage.SegmentID{}, storage.FileLog, false); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	check("after reopen")
	if _, err := f.Append(ctx, [][]byte{bytes.Repeat([]byte("z"), 9000)}); err != nil {
		t.Fatal(err)
	}
	want = append(want, bytes.Repeat([]byte("z"), 9000)...)
	check("after append past reopen")
}

// TestUnavailableOnTmpfs: a filesystem without O_DIRECT fails Start with
// ErrUnavailable naming the fallback.
func TestUnavailableOnTmpfs(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "directio-test-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	defer os.RemoveAll(shm)
	s, err := directiostore.New(component.Env{DataDir: shm}, directiostore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start(context.Background())
	if err == nil {
		_ = s.Close(context.Background())
		t.Skip("this tmpfs accepts O_DIRECT")
	}
	if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), `backend "file"`) {
		t.Fatalf("start on tmpfs: %v", err)
	}
}

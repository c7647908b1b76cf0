package dirstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

// The file backend is the thinnest Backend; what these tests check is the
// directory handling every backend shares.
func newStore(t *testing.T, dir string) storage.Store {
	t.Helper()
	s, err := filestore.New(component.Env{DataDir: dir}, filestore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewDoesNoIO(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	s, err := filestore.New(component.Env{DataDir: dir}, filestore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New touched the disk: %v", err)
	}
	ctx := context.Background()
	if _, err := s.Open(ctx, storage.SegmentID{}, storage.FileLog, true); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("open before start: %v", err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("Start did not make the directory: %v", err)
	}
	if _, err := filestore.New(component.Env{}, filestore.Config{}); err == nil {
		t.Fatal("an empty data directory was accepted")
	}
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s := storagetest.StartStore(t, newStore, dir)
	id := storage.SegmentID{PartitionKey: storage.PartitionKey{Stream: 1, Topic: 22, Partition: 333}, BaseOffset: 4096}
	want := filepath.Join(dir, "streams", "1", "topics", "22", "partitions", "333", "00000000000000004096.log")
	if got := s.Path(id, storage.FileLog); got != want {
		t.Fatalf("path %s, want %s", got, want)
	}
	if got := s.Path(id, storage.FileIndex); got != want[:len(want)-len(".log")]+".index" {
		t.Fatalf("index path %s", got)
	}
	f, err := s.Open(context.Background(), id, storage.FileIndex, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := os.Stat(s.Path(id, storage.FileIndex)); err != nil {
		t.Fatal(err)
	}
	// Stray files in a partition directory are not segments.
	pdir := filepath.Dir(want)
	for _, name := range []string{"notes.log", "1.log", "00000000000000000001.log.tmp"} {
		if err := os.WriteFile(filepath.Join(pdir, name), nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if ids, err := s.Segments(context.Background(), id.PartitionKey); err != nil || len(ids) != 0 {
		t.Fatalf("segments %v %v", ids, err)
	}
}

package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/catalog"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

// TestStoreExternalSuite runs the whole storage suite against the file
// backend in the storage bundle, one child process per store (about 30 s
// on 2 cores, so only with RUNNEL_SLOW_TESTS=1; the same suite runs over
// the same adapters and shared memory in process in plugins/bundletest).
func TestStoreExternalSuite(t *testing.T) {
	if os.Getenv("RUNNEL_SLOW_TESTS") == "" {
		t.Skip("set RUNNEL_SLOW_TESTS=1 to run")
	}
	bundletest.RunStoreBinary(t, storageBinary, "file_ext", nil, storagetest.Run)
}

// TestStoreExternal drives the file backend in a child process: batches
// larger than a shared-memory slot, reads across slots, sync, truncate,
// reopen.
func TestStoreExternal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := bundletest.BinaryStoreFactory(t, storageBinary, "file_ext")
	s := startStore(t, f, dir)
	id := storage.SegmentID{PartitionKey: storage.PartitionKey{Stream: 1, Topic: 1, Partition: 1}}
	file, err := s.Open(ctx, id, storage.FileLog, true)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), (9<<20)/16) // > 2 slots
	pos, err := file.Append(ctx, [][]byte{[]byte("head"), big, []byte("tail")})
	if err != nil || pos != 0 || file.Size() != int64(len(big)+8) {
		t.Fatalf("append: pos %d size %d err %v", pos, file.Size(), err)
	}
	got := make([]byte, len(big)+8)
	if n, err := file.ReadAt(ctx, got, 0); n != len(got) || err != nil {
		t.Fatalf("read: %d %v", n, err)
	}
	if !bytes.Equal(got, append(append([]byte("head"), big...), "tail"...)) {
		t.Fatal("read back differs")
	}
	if n, err := file.ReadAt(ctx, make([]byte, 10), file.Size()-4); n != 4 || !errors.Is(err, io.EOF) {
		t.Fatalf("read past the end: %d %v", n, err)
	}
	if err := file.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := file.Truncate(ctx, 4); err != nil || file.Size() != 4 {
		t.Fatalf("truncate: %v, size %d", err, file.Size())
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Path(id, storage.FileLog), dir) {
		t.Fatalf("path %q outside %s", s.Path(id, storage.FileLog), dir)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = startStore(t, f, dir)
	if segs, err := s.Segments(ctx, id.PartitionKey); err != nil || len(segs) != 1 || segs[0] != id {
		t.Fatalf("segments after reopen: %v %v", segs, err)
	}
	if _, err := s.Open(ctx, storage.SegmentID{BaseOffset: 9}, storage.FileLog, false); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("open missing: %v", err)
	}
}

func startStore(t *testing.T, f component.Factory[storage.Store], dir string) storage.Store {
	t.Helper()
	s, err := f.New(context.Background(), component.Env{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStoreDeathIsUnavailable: storage is not relaunched (open files
// cannot be resumed); calls fail with ErrUnavailable and Close still
// cleans up.
func TestStoreDeathIsUnavailable(t *testing.T) {
	ctx := context.Background()
	cat, f := openStorageBundle(t)
	s, err := f.New(ctx, component.Env{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	file, err := s.Open(ctx, storage.SegmentID{}, storage.FileLog, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.Append(ctx, [][]byte{[]byte("hello")}); err != nil {
		t.Fatal(err)
	}
	pid := s.(*catalog.RemoteStore).PID()
	if inst := cat.Instances(); len(inst) != 1 || inst[0].Kind != component.KindStorage || inst[0].PID != pid {
		t.Fatalf("instances: %+v", inst)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := file.Append(ctx, [][]byte{[]byte("more")})
		if errors.Is(err, catalog.ErrUnavailable) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("append after kill: %v, want ErrUnavailable", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("close after death: %v", err)
	}
	waitGone(t, pid)
	if _, err := file.Append(ctx, [][]byte{[]byte("x")}); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if n := len(cat.Instances()); n != 0 {
		t.Fatalf("%d instances after close", n)
	}
	// Catalog.Close reaches stores the caller forgot.
	s, err = f.New(ctx, component.Env{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid = s.(*catalog.RemoteStore).PID()
	if err := cat.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

func openStorageBundle(t *testing.T) (*catalog.Catalog, component.Factory[storage.Store]) {
	t.Helper()
	sum, err := bundletest.FileSHA256(storageBinary)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), catalog.Config{Bundles: []catalog.BundleRef{{Name: "storage", File: storageBinary, SHA256: sum}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close(context.Background()) })
	sets := cat.Sets()
	if len(sets) != 1 || len(sets[0].Storage) != 4 || sets[0].Storage[0].Info.Name != "file_ext" {
		t.Fatalf("sets: %+v", sets)
	}
	return cat, sets[0].Storage[0]
}

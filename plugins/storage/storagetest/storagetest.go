package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/plugins/storage"
)

// NewStore builds a Store (not started) whose data lives in dir. Two calls
// with the same dir must see the same files: that is how the suite reopens.
type NewStore func(t *testing.T, dir string) storage.Store

// Run runs the whole suite against the backend newStore builds.
func Run(t *testing.T, newStore NewStore) {
	t.Run("file", func(t *testing.T) { runFile(t, newStore) })
	t.Run("store", func(t *testing.T) { runStore(t, newStore) })
	t.Run("log", func(t *testing.T) { runLog(t, newStore) })
	t.Run("crash", func(t *testing.T) { runCrash(t, newStore) })
}

// StartStore builds and starts a store in dir and closes it when the test
// ends.
func StartStore(t *testing.T, newStore NewStore, dir string) storage.Store {
	t.Helper()
	s := newStore(t, dir)
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("start store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

var (
	testKey = storage.PartitionKey{Stream: 1, Topic: 2, Partition: 3}
	testSeg = storage.SegmentID{PartitionKey: testKey, BaseOffset: 0}
)

func openFile(t *testing.T, s storage.Store, id storage.SegmentID, kind storage.FileKind) storage.File {
	t.Helper()
	f, err := s.Open(context.Background(), id, kind, true)
	if err != nil {
		t.Fatalf("open %s %s: %v", id, kind, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func mustAppend(t *testing.T, f storage.File, bufs ...[]byte) int64 {
	t.Helper()
	pos, err := f.Append(context.Background(), bufs)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return pos
}

func readAll(t *testing.T, f storage.File) []byte {
	t.Helper()
	b := make([]byte, f.Size())
	if n, err := f.ReadAt(context.Background(), b, 0); err != nil || n != len(b) {
		t.Fatalf("read %d bytes: n=%d err=%v", len(b), n, err)
	}
	return b
}

func runFile(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t.Run("append-read", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		if f.Size() != 0 {
			t.Fatalf("new file size %d", f.Size())
		}
		if pos := mustAppend(t, f, []byte("hello "), []byte("wide "), []byte("world")); pos != 0 {
			t.Fatalf("first append at %d", pos)
		}
		if pos := mustAppend(t, f, []byte("!"), nil, []byte("?")); pos != 16 {
			t.Fatalf("second append at %d, want 16", pos)
		}
		if pos := mustAppend(t, f); pos != 18 {
			t.Fatalf("empty append at %d, want 18", pos)
		}
		if f.Size() != 18 {
			t.Fatalf("size %d, want 18", f.Size())
		}
		if got := readAll(t, f); string(got) != "hello wide world!?" {
			t.Fatalf("read %q", got)
		}
		mid := make([]byte, 4)
		if n, err := f.ReadAt(ctx, mid, 6); n != 4 || err != nil || string(mid) != "wide" {
			t.Fatalf("read at 6: %d %v %q", n, err, mid)
		}
	})
	t.Run("append-many-buffers", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		var bufs [][]byte
		var want []byte
		for i := range 3000 { // more than IOV_MAX
			b := bytes.Repeat([]byte{byte(i)}, i%7)
			bufs = append(bufs, b)
			want = append(want, b...)
		}
		big := bytes.Repeat([]byte("x"), 3<<20)
		bufs = append(bufs, big)
		want = append(want, big...)
		keep := make([][]byte, len(bufs))
		copy(keep, bufs)
		mustAppend(t, f, bufs...)
		if !bytes.Equal(readAll(t, f), want) {
			t.Fatal("bytes differ after a many-buffer append")
		}
		for i := range bufs {
			if len(bufs[i]) != len(keep[i]) {
				t.Fatalf("Append changed the caller's buffer %d", i)
			}
		}
	})
	t.Run("read-past-end", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		mustAppend(t, f, []byte("0123456789"))
		p := make([]byte, 8)
		n, err := f.ReadAt(ctx, p, 6)
		if n != 4 || !errors.Is(err, io.EOF) || string(p[:n]) != "6789" {
			t.Fatalf("read across the end: n=%d err=%v %q", n, err, p[:n])
		}
		if n, err := f.ReadAt(ctx, p, 10); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("read at the end: n=%d err=%v", n, err)
		}
		if n, err := f.ReadAt(ctx, p, 100); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("read past the end: n=%d err=%v", n, err)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		mustAppend(t, f, []byte("0123456789"))
		if err := f.Truncate(ctx, 4); err != nil {
			t.Fatal(err)
		}
		if f.Size() != 4 {
			t.Fatalf("size %d after truncate", f.Size())
		}
		p := make([]byte, 8)
		if n, err := f.ReadAt(ctx, p, 0); n != 4 || !errors.Is(err, io.EOF) {
			t.Fatalf("read after truncate: n=%d err=%v", n, err)
		}
		if pos := mustAppend(t, f, []byte("xy")); pos != 4 {
			t.Fatalf("append after truncate at %d", pos)
		}
		if got := readAll(t, f); string(got) != "0123xy" {
			t.Fatalf("read %q", got)
		}
		if err := f.Truncate(ctx, 7); err == nil {
			t.Fatal("truncate past the end succeeded")
		}
		if err := f.Truncate(ctx, 0); err != nil || f.Size() != 0 {
			t.Fatalf("truncate to 0: %v size %d", err, f.Size())
		}
	})
	t.Run("sync", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		if err := f.Sync(ctx); err != nil {
			t.Fatalf("sync empty: %v", err)
		}
		mustAppend(t, f, []byte("durable"))
		if err := f.Sync(ctx); err != nil {
			t.Fatalf("sync: %v", err)
		}
		if got := readAll(t, f); string(got) != "durable" {
			t.Fatalf("read %q", got)
		}
	})
	t.Run("close", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f, err := s.Open(ctx, testSeg, storage.FileLog, true)
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, f, []byte("abc"))
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if _, err := f.Append(ctx, [][]byte{[]byte("x")}); !errors.Is(err, storage.ErrClosed) {
			t.Fatalf("append after close: %v", err)
		}
		if _, err := f.ReadAt(ctx, make([]byte, 1), 0); !errors.Is(err, storage.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
		if err := f.Sync(ctx); !errors.Is(err, storage.ErrClosed) {
			t.Fatalf("sync after close: %v", err)
		}
		if err := f.Truncate(ctx, 0); !errors.Is(err, storage.ErrClosed) {
			t.Fatalf("truncate after close: %v", err)
		}
	})
	t.Run("open-missing", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
			if _, err := s.Open(ctx, testSeg, kind, false); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("open missing %s: %v, want ErrNotFound", kind, err)
			}
		}
	})
	t.Run("reopen-preserves", func(t *testing.T) {
		dir := t.TempDir()
		s := StartStore(t, newStore, dir)
		for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
			f := openFile(t, s, testSeg, kind)
			mustAppend(t, f, []byte(kind.String()), []byte("-bytes"))
			if err := f.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		s2 := StartStore(t, newStore, dir)
		for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
			f, err := s2.Open(ctx, testSeg, kind, false)
			if err != nil {
				t.Fatalf("reopen %s: %v", kind, err)
			}
			if got := string(readAll(t, f)); got != kind.String()+"-bytes" {
				t.Fatalf("%s holds %q", kind, got)
			}
			if pos := mustAppend(t, f, []byte("+")); pos != int64(len(kind.String())+6) {
				t.Fatalf("append after reopen at %d", pos)
			}
			_ = f.Close()
		}
	})
	t.Run("concurrent-read", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		chunk := bytes.Repeat([]byte{7}, 4096)
		mustAppend(t, f, chunk)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, len(chunk))
			for range 200 {
				if n, err := f.ReadAt(ctx, p, 0); err != nil || n != len(p) || !bytes.Equal(p, chunk) {
					t.Errorf("concurrent read: n=%d err=%v", n, err)
					return
				}
			}
		}()
		for range 200 {
			mustAppend(t, f, chunk)
		}
		wg.Wait()
	})
	t.Run("concurrent-sync", func(t *testing.T) {
		// Group commit fsyncs while later batches are appended.
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		chunk := bytes.Repeat([]byte{9}, 4096)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if err := f.Sync(ctx); err != nil {
					t.Errorf("concurrent sync: %v", err)
					return
				}
			}
		}()
		for range 200 {
			mustAppend(t, f, chunk)
		}
		wg.Wait()
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, f); len(got) != 200*len(chunk) {
			t.Fatalf("read %d bytes after concurrent syncs, want %d", len(got), 200*len(chunk))
		}
	})

	t.Run("context", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		f := openFile(t, s, testSeg, storage.FileLog)
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := f.Append(canceled, [][]byte{[]byte("x")}); !errors.Is(err, context.Canceled) {
			t.Fatalf("append with canceled context: %v", err)
		}
		if f.Size() != 0 {
			t.Fatalf("canceled append wrote %d bytes", f.Size())
		}
		if _, err := f.ReadAt(canceled, make([]byte, 1), 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("read with canceled context: %v", err)
		}
		if err := f.Sync(canceled); !errors.Is(err, context.Canceled) {
			t.Fatalf("sync with canceled context: %v", err)
		}
		if _, err := s.Open(canceled, testSeg, storage.FileIndex, true); !errors.Is(err, context.Canceled) {
			t.Fatalf("open with canceled context: %v", err)
		}
		if _, err := s.Segments(canceled, testKey); !errors.Is(err, context.Canceled) {
			t.Fatalf("segments with canceled context: %v", err)
		}
		if err := s.RemoveSegment(canceled, testSeg); !errors.Is(err, context.Canceled) {
			t.Fatalf("remove segment with canceled context: %v", err)
		}
		if err := s.RemovePartition(canceled, testKey); !errors.Is(err, context.Canceled) {
			t.Fatalf("remove partition with canceled context: %v", err)
		}
	})
}

func runStore(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t.Run("segments", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		if ids, err := s.Segments(ctx, testKey); err != nil || len(ids) != 0 {
			t.Fatalf("unknown partition: %v %v", ids, err)
		}
		bases := []uint64{1 << 40, 0, 99, 100, 1 << 33, 7}
		for _, b := range bases {
			openFile(t, s, storage.SegmentID{PartitionKey: testKey, BaseOffset: b}, storage.FileLog)
		}
		// An index without its log is not a segment; other partitions are apart.
		openFile(t, s, storage.SegmentID{PartitionKey: testKey, BaseOffset: 5}, storage.FileIndex)
		other := storage.PartitionKey{Stream: 1, Topic: 2, Partition: 4}
		openFile(t, s, storage.SegmentID{PartitionKey: other, BaseOffset: 3}, storage.FileLog)
		ids, err := s.Segments(ctx, testKey)
		if err != nil {
			t.Fatal(err)
		}
		want := []uint64{0, 7, 99, 100, 1 << 33, 1 << 40}
		if len(ids) != len(want) {
			t.Fatalf("segments %v, want bases %v", ids, want)
		}
		for i, id := range ids {
			if id.BaseOffset != want[i] || id.PartitionKey != testKey {
				t.Fatalf("segment %d is %s, want base %d", i, id, want[i])
			}
		}
	})
	t.Run("remove-segment", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		a := storage.SegmentID{PartitionKey: testKey, BaseOffset: 0}
		b := storage.SegmentID{PartitionKey: testKey, BaseOffset: 10}
		for _, id := range []storage.SegmentID{a, b} {
			for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
				f := openFile(t, s, id, kind)
				mustAppend(t, f, []byte("data"))
				_ = f.Close()
			}
		}
		if err := s.RemoveSegment(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveSegment(ctx, a); err != nil {
			t.Fatalf("removing a missing segment: %v", err)
		}
		ids, err := s.Segments(ctx, testKey)
		if err != nil || len(ids) != 1 || ids[0] != b {
			t.Fatalf("after removal: %v %v", ids, err)
		}
		for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
			if _, err := s.Open(ctx, a, kind, false); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("removed %s still opens: %v", kind, err)
			}
			if _, err := s.Open(ctx, b, kind, false); err != nil {
				t.Fatalf("kept %s: %v", kind, err)
			}
		}
	})
	t.Run("remove-partition", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		other := storage.PartitionKey{Stream: 1, Topic: 2, Partition: 4}
		for _, p := range []storage.PartitionKey{testKey, other} {
			for _, base := range []uint64{0, 5} {
				f := openFile(t, s, storage.SegmentID{PartitionKey: p, BaseOffset: base}, storage.FileLog)
				_ = f.Close()
			}
		}
		if err := s.RemovePartition(ctx, testKey); err != nil {
			t.Fatal(err)
		}
		if err := s.RemovePartition(ctx, testKey); err != nil {
			t.Fatalf("removing a missing partition: %v", err)
		}
		if ids, err := s.Segments(ctx, testKey); err != nil || len(ids) != 0 {
			t.Fatalf("removed partition lists %v %v", ids, err)
		}
		if ids, err := s.Segments(ctx, other); err != nil || len(ids) != 2 {
			t.Fatalf("other partition lists %v %v", ids, err)
		}
		// The partition can be made again.
		openFile(t, s, testSeg, storage.FileLog)
	})
	t.Run("path", func(t *testing.T) {
		s := StartStore(t, newStore, t.TempDir())
		logPath, indexPath := s.Path(testSeg, storage.FileLog), s.Path(testSeg, storage.FileIndex)
		if logPath == indexPath || logPath == "" {
			t.Fatalf("paths %q and %q", logPath, indexPath)
		}
		if s.Path(storage.SegmentID{PartitionKey: testKey, BaseOffset: 1}, storage.FileLog) == logPath {
			t.Fatal("two segments share a path")
		}
		f := openFile(t, s, testSeg, storage.FileLog)
		mustAppend(t, f, []byte("12345"))
		if st, err := os.Stat(logPath); err != nil || st.Size() != 5 {
			t.Fatalf("Path does not name the file: %v", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		s := newStore(t, t.TempDir())
		if err := s.Close(ctx); err != nil {
			t.Fatalf("close before start: %v", err)
		}
		s = newStore(t, t.TempDir())
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if _, err := s.Open(ctx, testSeg, storage.FileLog, true); !errors.Is(err, storage.ErrClosed) {
			t.Fatalf("open after close: %v", err)
		}
		if _, err := s.Segments(ctx, testKey); !errors.Is(err, storage.ErrClosed) {
			t.Fatalf("segments after close: %v", err)
		}
	})
}

package archivertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
)

// New returns a fresh, unstarted archiver with nothing stored. Run starts
// it and closes it when the subtest ends.
type New func(t *testing.T) archiver.Archiver

// Run checks every rule of the archiver contract against new.
func Run(t *testing.T, newArchiver New) {
	t.Run("PutGetStat", func(t *testing.T) { testPutGetStat(t, start(t, newArchiver)) })
	t.Run("PutIsIdempotentAndReplaces", func(t *testing.T) { testPutReplaces(t, start(t, newArchiver)) })
	t.Run("SizeMismatchStoresNothing", func(t *testing.T) { testSizeMismatch(t, start(t, newArchiver)) })
	t.Run("FailingReaderStoresNothing", func(t *testing.T) { testFailingReader(t, start(t, newArchiver)) })
	t.Run("RangedGet", func(t *testing.T) { testRangedGet(t, start(t, newArchiver)) })
	t.Run("EmptyObject", func(t *testing.T) { testEmpty(t, start(t, newArchiver)) })
	t.Run("LargeObject", func(t *testing.T) { testLarge(t, start(t, newArchiver)) })
	t.Run("ListByPrefix", func(t *testing.T) { testList(t, start(t, newArchiver)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, start(t, newArchiver)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, start(t, newArchiver)) })
	t.Run("BadKeys", func(t *testing.T) { testBadKeys(t, start(t, newArchiver)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, start(t, newArchiver)) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelled(t, start(t, newArchiver)) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newArchiver) })
}

func start(t *testing.T, newArchiver New) archiver.Archiver {
	t.Helper()
	a := newArchiver(t)
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return a
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func put(t *testing.T, a archiver.Archiver, key archiver.Key, b []byte) archiver.ObjectInfo {
	t.Helper()
	info, err := a.Put(context.Background(), key, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	if info.Key != key || info.SizeBytes != int64(len(b)) || info.SHA256 != digest(b) {
		t.Fatalf("put %s returned %+v, want size %d sha256 %s", key, info, len(b), digest(b))
	}
	return info
}

func get(t *testing.T, a archiver.Archiver, key archiver.Key, position, length int64) []byte {
	t.Helper()
	r, err := a.Get(context.Background(), key, position, length)
	if err != nil {
		t.Fatalf("get %s [%d,+%d): %v", key, position, length, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func testPutGetStat(t *testing.T, a archiver.Archiver) {
	key := archiver.SegmentKey(storage.SegmentID{PartitionKey: storage.PartitionKey{Stream: 1, Topic: 2, Partition: 3}, BaseOffset: 1000}, storage.FileLog)
	b := payload(10_000, 1)
	want := put(t, a, key, b)
	if got := get(t, a, key, 0, -1); !bytes.Equal(got, b) {
		t.Fatalf("get returned %d bytes that differ from the %d put", len(got), len(b))
	}
	info, err := a.Stat(context.Background(), key)
	if err != nil || info != want {
		t.Fatalf("stat: %+v %v, want %+v", info, err, want)
	}
}

func testPutReplaces(t *testing.T, a archiver.Archiver) {
	b := payload(3000, 2)
	put(t, a, "k/obj", b)
	put(t, a, "k/obj", b) // a retried upload
	c := payload(1000, 3)
	put(t, a, "k/obj", c)
	if got := get(t, a, "k/obj", 0, -1); !bytes.Equal(got, c) {
		t.Fatal("a second Put with other bytes did not replace the object")
	}
}

func testSizeMismatch(t *testing.T, a archiver.Archiver) {
	old := payload(100, 4)
	put(t, a, "m/obj", old)
	for _, tc := range []struct {
		what string
		r    io.Reader
		size int64
	}{
		{"short reader", bytes.NewReader(payload(50, 5)), 100},
		{"long reader", bytes.NewReader(payload(150, 5)), 100},
	} {
		_, err := a.Put(context.Background(), "m/obj", tc.r, tc.size)
		if !errors.Is(err, archiver.ErrSizeMismatch) {
			t.Fatalf("%s: got %v, want ErrSizeMismatch", tc.what, err)
		}
		if got := get(t, a, "m/obj", 0, -1); !bytes.Equal(got, old) {
			t.Fatalf("%s: the earlier object changed", tc.what)
		}
	}
	if _, err := a.Put(context.Background(), "m/new", bytes.NewReader(payload(10, 1)), 20); !errors.Is(err, archiver.ErrSizeMismatch) {
		t.Fatalf("short reader for a new key: got %v", err)
	}
	if _, err := a.Stat(context.Background(), "m/new"); !errors.Is(err, archiver.ErrNotFound) {
		t.Fatalf("a failed Put left an object: %v", err)
	}
}

func testFailingReader(t *testing.T, a archiver.Archiver) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(bytes.NewReader(payload(500, 6)), iotest.ErrReader(boom))
	if _, err := a.Put(context.Background(), "f/obj", r, 1000); err == nil {
		t.Fatal("Put succeeded with a failing reader")
	}
	if _, err := a.Stat(context.Background(), "f/obj"); !errors.Is(err, archiver.ErrNotFound) {
		t.Fatalf("a failed Put left an object: %v", err)
	}
}

func testRangedGet(t *testing.T, a archiver.Archiver) {
	b := payload(4096, 7)
	put(t, a, "r/obj", b)
	for _, tc := range []struct{ position, length int64 }{
		{0, 1}, {100, 200}, {4000, 96}, {4000, 1000}, {4095, -1}, {4096, 10}, {5000, 10}, {0, 0},
	} {
		end := len(b)
		if tc.length >= 0 {
			end = min(int(tc.position+tc.length), len(b))
		}
		want := []byte{}
		if int(tc.position) < end {
			want = b[tc.position:end]
		}
		if got := get(t, a, "r/obj", tc.position, tc.length); !bytes.Equal(got, want) {
			t.Fatalf("get [%d,+%d): %d bytes, want %d", tc.position, tc.length, len(got), len(want))
		}
	}
	if _, err := a.Get(context.Background(), "r/obj", -1, 10); err == nil {
		t.Fatal("negative position accepted")
	}
}

func testEmpty(t *testing.T, a archiver.Archiver) {
	put(t, a, "e/obj", nil)
	if got := get(t, a, "e/obj", 0, -1); len(got) != 0 {
		t.Fatalf("empty object read back as %d bytes", len(got))
	}
}

func testLarge(t *testing.T, a archiver.Archiver) {
	b := payload(9<<20+123, 8) // several chunks of any sane transfer size
	put(t, a, "l/obj", b)
	if got := get(t, a, "l/obj", 0, -1); !bytes.Equal(got, b) {
		t.Fatal("large object differs")
	}
	if got := get(t, a, "l/obj", 5<<20, 1<<20); !bytes.Equal(got, b[5<<20:6<<20]) {
		t.Fatal("range of a large object differs")
	}
}

func testList(t *testing.T, a archiver.Archiver) {
	keys := []archiver.Key{"a/2", "a/1", "a/b/3", "ab/4", "b/5"}
	for i, k := range keys {
		put(t, a, k, payload(i+1, byte(i)))
	}
	for _, tc := range []struct {
		prefix archiver.Key
		want   []archiver.Key
	}{
		{"", []archiver.Key{"a/1", "a/2", "a/b/3", "ab/4", "b/5"}},
		{"a/", []archiver.Key{"a/1", "a/2", "a/b/3"}},
		{"a", []archiver.Key{"a/1", "a/2", "a/b/3", "ab/4"}},
		{"c/", nil},
	} {
		infos, err := a.List(context.Background(), tc.prefix)
		if err != nil {
			t.Fatalf("list %q: %v", tc.prefix, err)
		}
		var got []archiver.Key
		for _, info := range infos {
			got = append(got, info.Key)
			if info.SizeBytes <= 0 || len(info.SHA256) != 64 {
				t.Fatalf("list %q: incomplete info %+v", tc.prefix, info)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("list %q = %v, want %v", tc.prefix, got, tc.want)
		}
	}
}

func testDelete(t *testing.T, a archiver.Archiver) {
	put(t, a, "d/obj", payload(10, 9))
	for range 2 { // deleting a missing object succeeds
		if err := a.Delete(context.Background(), "d/obj"); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	if _, err := a.Stat(context.Background(), "d/obj"); !errors.Is(err, archiver.ErrNotFound) {
		t.Fatalf("stat after delete: %v", err)
	}
	if infos, _ := a.List(context.Background(), "d/"); len(infos) != 0 {
		t.Fatalf("list after delete: %v", infos)
	}
}

func testNotFound(t *testing.T, a archiver.Archiver) {
	ctx := context.Background()
	if _, err := a.Stat(ctx, "no/such"); !errors.Is(err, archiver.ErrNotFound) {
		t.Fatalf("stat: %v", err)
	}
	if _, err := a.Get(ctx, "no/such", 0, -1); !errors.Is(err, archiver.ErrNotFound) {
		t.Fatalf("get: %v", err)
	}
}

func testBadKeys(t *testing.T, a archiver.Archiver) {
	ctx := context.Background()
	for _, k := range []archiver.Key{"", "/abs", "a//b", "a/../b", "..", "a/./b", "sp ace", "a\\b", archiver.Key(strings.Repeat("x", 1025))} {
		if _, err := a.Put(ctx, k, bytes.NewReader(nil), 0); !errors.Is(err, archiver.ErrBadKey) {
			t.Errorf("put %q: %v, want ErrBadKey", k, err)
		}
		if _, err := a.Stat(ctx, k); !errors.Is(err, archiver.ErrBadKey) {
			t.Errorf("stat %q: %v, want ErrBadKey", k, err)
		}
	}
}

func testConcurrent(t *testing.T, a archiver.Archiver) {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := payload(20_000+i, byte(i))
			key := archiver.Key(fmt.Sprintf("c/%02d", i%4)) // writers share keys
			if _, err := a.Put(context.Background(), key, bytes.NewReader(b), int64(len(b))); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent put: %v", err)
	}
	infos, err := a.List(context.Background(), "c/")
	if err != nil || len(infos) != 4 {
		t.Fatalf("list: %d objects, %v", len(infos), err)
	}
	for _, info := range infos { // each object is one writer's whole bytes
		b := get(t, a, info.Key, 0, -1)
		if int64(len(b)) != info.SizeBytes || digest(b) != info.SHA256 || (len(b)-20_000)%4 != int(info.Key[len(info.Key)-1]-'0') {
			t.Fatalf("%s holds a mix of writers", info.Key)
		}
	}
}

func testCancelled(t *testing.T, a archiver.Archiver) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Put(ctx, "x/obj", bytes.NewReader(payload(10, 1)), 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with a cancelled context: %v", err)
	}
}

func testLifecycle(t *testing.T, newArchiver New) {
	a := newArchiver(t)
	if err := a.Close(context.Background()); err != nil { // never started
		t.Fatalf("close before start: %v", err)
	}
	b := newArchiver(t)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	put(t, b, "z/obj", payload(5, 1))
	for range 2 {
		if err := b.Close(context.Background()); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
	if _, err := b.Stat(context.Background(), "z/obj"); !errors.Is(err, archiver.ErrClosed) {
		t.Fatalf("stat after close: %v, want ErrClosed", err)
	}
}

package server

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

// gatedStore is the real file backend with the log files' Sync counted and,
// while gate is open, held until the test releases it.
type gatedStore struct {
	storage.Store
	logSyncs atomic.Int32
	gate     chan struct{} // the first log Sync waits for it to close
}

type gatedFile struct {
	storage.File
	store *gatedStore
	kind  storage.FileKind
}

func (s *gatedStore) Open(ctx context.Context, id storage.SegmentID, kind storage.FileKind, create bool) (storage.File, error) {
	f, err := s.Store.Open(ctx, id, kind, create)
	if err != nil {
		return nil, err
	}
	return &gatedFile{File: f, store: s, kind: kind}, nil
}

func (f *gatedFile) Sync(ctx context.Context) error {
	if f.kind == storage.FileLog {
		if f.store.logSyncs.Add(1) == 1 {
			<-f.store.gate
		}
	}
	return f.File.Sync(ctx)
}

// TestGroupCommitSharesOneFsync holds the first fsync while seven more
// producers append; all seven must then be covered by a single fsync.
func TestGroupCommitSharesOneFsync(t *testing.T) {
	ctx := context.Background()
	fs, err := filestore.New(component.Env{DataDir: t.TempDir()}, filestore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	store := &gatedStore{Store: fs, gate: make(chan struct{})}
	if err := store.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(ctx) })
	ps := newPartitions(store, partition.Config{SegmentBytesMax: 1 << 20}, config.FsyncAlways, config.Dedup{})
	pl, err := ps.open(ctx, storage.PartitionKey{}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.closeAll)

	appendOne := func(wg *sync.WaitGroup) {
		defer wg.Done()
		frame := storagetest.Frame(0, []byte("payload"), nil)
		if _, err := pl.append(ctx, frame, 1, 1); err != nil {
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go appendOne(&wg)
	waitFor(t, "first fsync to start", func() bool { return store.logSyncs.Load() == 1 })

	const followers = 7
	wg.Add(followers)
	for range followers {
		go appendOne(&wg)
	}
	waitFor(t, "followers to append", func() bool {
		pl.mu.Lock()
		defer pl.mu.Unlock()
		return pl.appendSeq == 1+followers
	})
	close(store.gate)
	wg.Wait()
	if got := store.logSyncs.Load(); got != 2 {
		t.Fatalf("%d fsyncs for 1+%d concurrent appends, want 2 (group commit)", got, followers)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

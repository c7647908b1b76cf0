//go:build linux && iouring

package iouringstore_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/iouringstore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

func newStore(t *testing.T, dir string) storage.Store {
	t.Helper()
	// A shallow ring makes batches wait for slots and split into rounds.
	s, err := iouringstore.New(component.Env{DataDir: dir}, iouringstore.Config{QueueDepth: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, newStore)
}

// TestSharedRing drives many files of one store from many goroutines at
// once, with syncs beside the appends, through a ring of depth 4.
func TestSharedRing(t *testing.T) {
	ctx := context.Background()
	s := storagetest.StartStore(t, newStore, t.TempDir())
	var wg sync.WaitGroup
	for p := range 8 {
		id := storage.SegmentID{PartitionKey: storage.PartitionKey{Stream: 1, Topic: 1, Partition: uint32(p)}}
		f, err := s.Open(ctx, id, storage.FileLog, true)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		wg.Add(2)
		go func() {
			defer wg.Done()
			var want []byte
			for i := range 100 {
				b := bytes.Repeat([]byte{byte(p*7 + i)}, 100+i*31)
				if _, err := f.Append(ctx, [][]byte{b, b[:i]}); err != nil {
					t.Errorf("append: %v", err)
					return
				}
				want = append(append(want, b...), b[:i]...)
			}
			got := make([]byte, len(want))
			if n, err := f.ReadAt(ctx, got, 0); err != nil || n != len(want) || !bytes.Equal(got, want) {
				t.Errorf("partition %d: read n=%d err=%v", p, n, err)
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				if err := f.Sync(ctx); err != nil {
					t.Errorf("sync: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestSyncAfterClose: group commit may sync a file its owner just closed.
func TestSyncAfterClose(t *testing.T) {
	ctx := context.Background()
	s := storagetest.StartStore(t, newStore, t.TempDir())
	f, err := s.Open(ctx, storage.SegmentID{}, storage.FileLog, true)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if err := f.Sync(ctx); err != nil {
				if !errors.Is(err, storage.ErrClosed) {
					t.Errorf("sync racing close: %v", err)
				}
				return
			}
		}
	}()
	if _, err := f.Append(ctx, [][]byte{[]byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

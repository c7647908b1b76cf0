package partition_test

import (
	"context"
	"errors"

	"github.com/runnel-io/runnel/plugins/storage"
)

var errInjected = errors.New("injected fault")

// faultStore counts the mutating calls made through it (creating opens,
// removals, and Append, Truncate and Sync on its files) and fails call
// number failAt: before doing it, or, with after, once it is done (the
// write reached the disk but its caller sees an error). 0 never fails.
// Faults are errors the process sees, not power loss: whatever was
// written stays.
//
// It also tracks which files hold appended bytes not synced since, by path.
type faultStore struct {
	storage.Store
	calls  int
	failAt int
	after  bool
	fired  bool
	dirty  map[string]bool
}

// unsynced lists the files appended to and not synced since.
func (s *faultStore) unsynced() []string {
	var paths []string
	for p, d := range s.dirty {
		if d {
			paths = append(paths, p)
		}
	}
	return paths
}

var (
	_ storage.Store = (*faultStore)(nil)
	_ storage.File  = faultFile{}
)

// arm makes the n-th mutating call from now fail.
func (s *faultStore) arm(n int, after bool) {
	s.calls, s.failAt, s.after, s.fired = 0, n, after, false
}

func (s *faultStore) disarm() { s.failAt = 0 }

func (s *faultStore) mutate(do func() error) error {
	s.calls++
	if s.failAt == 0 || s.calls != s.failAt {
		return do()
	}
	s.fired = true
	if s.after {
		if err := do(); err != nil {
			return err
		}
	}
	return errInjected
}

func (s *faultStore) Open(ctx context.Context, id storage.SegmentID, kind storage.FileKind, create bool) (storage.File, error) {
	if !create {
		f, err := s.Store.Open(ctx, id, kind, false)
		if err != nil {
			return nil, err
		}
		return faultFile{File: f, s: s, path: s.Path(id, kind)}, nil
	}
	var f storage.File
	err := s.mutate(func() error {
		var err error
		f, err = s.Store.Open(ctx, id, kind, true)
		return err
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, err
	}
	return faultFile{File: f, s: s, path: s.Path(id, kind)}, nil
}

func (s *faultStore) RemoveSegment(ctx context.Context, id storage.SegmentID) error {
	return s.mutate(func() error {
		if err := s.Store.RemoveSegment(ctx, id); err != nil {
			return err
		}
		delete(s.dirty, s.Path(id, storage.FileLog))
		delete(s.dirty, s.Path(id, storage.FileIndex))
		return nil
	})
}

type faultFile struct {
	storage.File
	s    *faultStore
	path string
}

func (f faultFile) Append(ctx context.Context, bufs [][]byte) (int64, error) {
	var pos int64
	err := f.s.mutate(func() error {
		var err error
		pos, err = f.File.Append(ctx, bufs)
		if f.s.dirty == nil {
			f.s.dirty = map[string]bool{}
		}
		f.s.dirty[f.path] = true // even on error: some bytes may be there
		return err
	})
	return pos, err
}

func (f faultFile) Truncate(ctx context.Context, size int64) error {
	return f.s.mutate(func() error { return f.File.Truncate(ctx, size) })
}

func (f faultFile) Sync(ctx context.Context) error {
	return f.s.mutate(func() error {
		if err := f.File.Sync(ctx); err != nil {
			return err
		}
		delete(f.s.dirty, f.path)
		return nil
	})
}

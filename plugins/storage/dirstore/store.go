package dirstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

const (
	dirMode  fs.FileMode = 0o750
	fileMode fs.FileMode = 0o640

	// baseOffsetDigits is the width of a segment file name's offset:
	// enough for any uint64, so names sort as numbers.
	baseOffsetDigits = 20
	logExt           = ".log"
	indexExt         = ".index"
)

// Backend is what a storage backend adds to the shared directory handling.
type Backend interface {
	// Start runs once, after the data directory exists. A machine that
	// cannot run the backend gets an error wrapping storage.ErrUnavailable
	// that names the fallback.
	Start(ctx context.Context, dir string) error
	// NewFile wraps f, an open read-write descriptor of the segment file at
	// path holding size bytes. The returned File owns f; its Close must be
	// idempotent.
	NewFile(f *os.File, path string, kind storage.FileKind, size int64) (storage.File, error)
	// Close releases what Start made. Called once, after every File is closed.
	Close() error
}

var (
	_ storage.Store       = (*Store)(nil)
	_ storage.File        = (*trackedFile)(nil)
	_ component.Component = (*Store)(nil)
)

// Store is a storage.Store over a local directory. Its zero value is not
// usable; call New.
type Store struct {
	name    string // error prefix: the backend's package name
	dir     string
	backend Backend

	mu      sync.Mutex
	started bool
	closed  bool
	files   map[*trackedFile]struct{} // open files, closed with the Store
}

// New returns a Store rooted at env.DataDir whose files b makes; name
// prefixes its errors. It does no I/O; Start creates the directory.
func New(env component.Env, name string, b Backend) (*Store, error) {
	if env.DataDir == "" {
		return nil, fmt.Errorf("%s: data directory is empty", name)
	}
	dir, err := filepath.Abs(env.DataDir)
	if err != nil {
		return nil, fmt.Errorf("%s: data directory: %w", name, err)
	}
	return &Store{name: name, dir: dir, backend: b, files: make(map[*trackedFile]struct{})}, nil
}

// Start creates the data directory (and its parents) if missing and starts
// the backend.
func (s *Store) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: start: %w", s.name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%s: start: %w", s.name, storage.ErrClosed)
	}
	if s.started {
		return nil
	}
	if err := os.MkdirAll(s.dir, dirMode); err != nil {
		return fmt.Errorf("%s: start: %w", s.name, err)
	}
	if err := s.backend.Start(ctx, s.dir); err != nil {
		return fmt.Errorf("%s: start: %w", s.name, err)
	}
	s.started = true
	return nil
}

// Close closes every file still open, then the backend. Idempotent.
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	files := s.files
	s.files = nil
	wasStarted := s.started && !s.closed
	s.closed = true
	s.mu.Unlock()
	var errs []error
	for f := range files {
		errs = append(errs, f.File.Close())
	}
	if wasStarted {
		errs = append(errs, s.backend.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: close: %w", s.name, err)
	}
	return nil
}

// usable returns nil if the Store is started and not closed.
func (s *Store) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return storage.ErrClosed
	case !s.started:
		return fmt.Errorf("not started: %w", storage.ErrClosed)
	}
	return nil
}

// Path returns the file's location under the data directory.
func (s *Store) Path(id storage.SegmentID, kind storage.FileKind) string {
	ext := logExt
	if kind == storage.FileIndex {
		ext = indexExt
	}
	return filepath.Join(s.partitionDir(id.PartitionKey), fmt.Sprintf("%0*d%s", baseOffsetDigits, id.BaseOffset, ext))
}

func (s *Store) partitionDir(p storage.PartitionKey) string {
	return filepath.Join(s.dir,
		"streams", strconv.FormatUint(uint64(p.Stream), 10),
		"topics", strconv.FormatUint(uint64(p.Topic), 10),
		"partitions", strconv.FormatUint(uint64(p.Partition), 10))
}

// Open opens (or with create, makes) one file of a segment. A new file's
// directory entry, and any directory created for it, is fsynced before
// Open returns.
func (s *Store) Open(ctx context.Context, id storage.SegmentID, kind storage.FileKind, create bool) (storage.File, error) {
	if kind != storage.FileLog && kind != storage.FileIndex {
		return nil, fmt.Errorf("%s: open %s: bad file kind %s", s.name, id, kind)
	}
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("%s: open %s %s: %w", s.name, id, kind, err)
	}
	path := s.Path(id, kind)
	f, err := openFile(path, create)
	if err != nil {
		return nil, fmt.Errorf("%s: open %s: %w", s.name, path, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: stat %s: %w", s.name, path, err)
	}
	inner, err := s.backend.NewFile(f, path, kind, st.Size())
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: open %s: %w", s.name, path, err)
	}
	h := &trackedFile{File: inner, store: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = inner.Close()
		return nil, fmt.Errorf("%s: open %s: %w", s.name, path, storage.ErrClosed)
	}
	s.files[h] = struct{}{}
	return h, nil
}

func openFile(path string, create bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if !create {
		return nil, storage.ErrNotFound
	}
	dir := filepath.Dir(path)
	if err := mkdirDurable(dir); err != nil {
		return nil, err
	}
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		// Someone else made it between our two opens; theirs is as good.
		return os.OpenFile(path, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, err
	}
	if err := SyncDir(dir); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// mkdirDurable creates dir and its missing parents, fsyncing each parent
// after the entry is added, so the whole path survives power loss.
func mkdirDurable(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		_, err := os.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := SyncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

// Segments lists the partition's segments that have a log file, by base offset.
func (s *Store) Segments(ctx context.Context, p storage.PartitionKey) ([]storage.SegmentID, error) {
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("%s: segments %s: %w", s.name, p, err)
	}
	entries, err := os.ReadDir(s.partitionDir(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: segments %s: %w", s.name, p, err)
	}
	var ids []storage.SegmentID
	for _, e := range entries {
		base, ok := parseLogName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		ids = append(ids, storage.SegmentID{PartitionKey: p, BaseOffset: base})
	}
	slices.SortFunc(ids, func(a, b storage.SegmentID) int { return cmp.Compare(a.BaseOffset, b.BaseOffset) })
	return ids, nil
}

// parseLogName reads the base offset out of "<20 digits>.log".
func parseLogName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, logExt)
	if !ok || len(digits) != baseOffsetDigits {
		return 0, false
	}
	base, err := strconv.ParseUint(digits, 10, 64)
	return base, err == nil
}

// RemoveSegment deletes the index, then the log, then syncs the directory.
// Index first: a crash in between leaves a log without an index, which
// recovery rebuilds, never an index without its log.
func (s *Store) RemoveSegment(ctx context.Context, id storage.SegmentID) error {
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("%s: remove %s: %w", s.name, id, err)
	}
	for _, kind := range []storage.FileKind{storage.FileIndex, storage.FileLog} {
		if err := os.Remove(s.Path(id, kind)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: remove %s: %w", s.name, id, err)
		}
	}
	if err := SyncDir(s.partitionDir(id.PartitionKey)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: remove %s: %w", s.name, id, err)
	}
	return nil
}

// RemovePartition deletes the partition's directory and everything in it.
func (s *Store) RemovePartition(ctx context.Context, p storage.PartitionKey) error {
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("%s: remove partition %s: %w", s.name, p, err)
	}
	dir := s.partitionDir(p)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("%s: remove partition %s: %w", s.name, p, err)
	}
	if err := SyncDir(filepath.Dir(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: remove partition %s: %w", s.name, p, err)
	}
	return nil
}

// SyncDir fsyncs a directory: creations, removals and renames inside it
// become durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// trackedFile is a backend's File that leaves the Store's open set when
// closed, so Store.Close closes only what is still open.
type trackedFile struct {
	storage.File
	store *Store
}

func (h *trackedFile) Close() error {
	h.store.mu.Lock()
	delete(h.store.files, h)
	h.store.mu.Unlock()
	return h.File.Close()
}

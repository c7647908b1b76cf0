package filestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

// Name is the backend's name in the registry and in config
// (storage.backend = "file").
const Name = "file"

const (
	dirMode  fs.FileMode = 0o750
	fileMode fs.FileMode = 0o640

	// baseOffsetDigits is the width of a segment file name's offset:
	// enough for any uint64, so names sort as numbers.
	baseOffsetDigits = 20
	logExt           = ".log"
	indexExt         = ".index"
)

var (
	_ storage.Store       = (*Store)(nil)
	_ storage.File        = (*file)(nil)
	_ component.Component = (*Store)(nil)
)

// Store is the file backend. Its zero value is not usable; call New.
type Store struct {
	dir string

	mu      sync.Mutex
	started bool
	closed  bool
	files   map[*file]struct{} // open files, closed with the Store
}

// New checks cfg and returns a Store rooted at env.DataDir. It does no I/O;
// Start creates the directory.
func New(env component.Env, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("filestore: config: %w", err)
	}
	if env.DataDir == "" {
		return nil, errors.New("filestore: data directory is empty")
	}
	dir, err := filepath.Abs(env.DataDir)
	if err != nil {
		return nil, fmt.Errorf("filestore: data directory: %w", err)
	}
	return &Store{dir: dir, files: make(map[*file]struct{})}, nil
}

// Start creates the data directory (and its parents) if missing.
func (s *Store) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: start: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("filestore: start: %w", storage.ErrClosed)
	}
	if err := os.MkdirAll(s.dir, dirMode); err != nil {
		return fmt.Errorf("filestore: start: %w", err)
	}
	s.started = true
	return nil
}

// Close closes every file still open. Idempotent.
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	files := s.files
	s.files = nil
	s.closed = true
	s.mu.Unlock()
	var first error
	for f := range files {
		if err := f.close(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("filestore: close: %w", first)
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
		return nil, fmt.Errorf("filestore: open %s: bad file kind %s", id, kind)
	}
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("filestore: open %s %s: %w", id, kind, err)
	}
	path := s.Path(id, kind)
	f, err := s.openFile(path, create)
	if err != nil {
		return nil, fmt.Errorf("filestore: open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("filestore: stat %s: %w", path, err)
	}
	h := &file{store: s, f: f, path: path}
	h.size.Store(st.Size())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = f.Close()
		return nil, fmt.Errorf("filestore: open %s: %w", path, storage.ErrClosed)
	}
	s.files[h] = struct{}{}
	return h, nil
}

func (s *Store) openFile(path string, create bool) (*os.File, error) {
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
	if err := s.mkdirDurable(dir); err != nil {
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
	if err := syncDir(dir); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// mkdirDurable creates dir and its missing parents, fsyncing each parent
// after the entry is added, so the whole path survives power loss.
func (s *Store) mkdirDurable(dir string) error {
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
		if err := syncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

// Segments lists the partition's segments that have a log file, by base offset.
func (s *Store) Segments(ctx context.Context, p storage.PartitionKey) ([]storage.SegmentID, error) {
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("filestore: segments %s: %w", p, err)
	}
	dir := s.partitionDir(p)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: segments %s: %w", p, err)
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
		return fmt.Errorf("filestore: remove %s: %w", id, err)
	}
	for _, kind := range []storage.FileKind{storage.FileIndex, storage.FileLog} {
		if err := os.Remove(s.Path(id, kind)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("filestore: remove %s: %w", id, err)
		}
	}
	if err := syncDir(s.partitionDir(id.PartitionKey)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("filestore: remove %s: %w", id, err)
	}
	return nil
}

// RemovePartition deletes the partition's directory and everything in it.
func (s *Store) RemovePartition(ctx context.Context, p storage.PartitionKey) error {
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("filestore: remove partition %s: %w", p, err)
	}
	dir := s.partitionDir(p)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("filestore: remove partition %s: %w", p, err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("filestore: remove partition %s: %w", p, err)
	}
	return nil
}

func (s *Store) forget(f *file) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, f)
}

func syncDir(dir string) error {
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

// file is one open segment file. size is the logical end: appends go there
// and reads stop there, so a failed append's stray bytes are never seen.
type file struct {
	store  *Store
	f      *os.File
	path   string
	size   atomic.Int64
	closed atomic.Bool
}

func (h *file) Size() int64 { return h.size.Load() }

func (h *file) check(ctx context.Context) error {
	if h.closed.Load() {
		return storage.ErrClosed
	}
	return ctx.Err()
}

// Append writes bufs at the logical end with positional vectored writes.
// On error the logical size is unchanged and the file is cut back to it.
func (h *file) Append(ctx context.Context, bufs [][]byte) (int64, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("filestore: append %s: %w", h.path, err)
	}
	position := h.size.Load()
	n, err := pwritevAll(h.f, bufs, position)
	if err != nil {
		if n > 0 {
			_ = h.f.Truncate(position)
		}
		return 0, fmt.Errorf("filestore: append %s: %w", h.path, err)
	}
	h.size.Store(position + n)
	return position, nil
}

// ReadAt reads up to the logical size; past it, io.EOF.
func (h *file) ReadAt(ctx context.Context, p []byte, position int64) (int, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("filestore: read %s: %w", h.path, err)
	}
	if position < 0 {
		return 0, fmt.Errorf("filestore: read %s: negative position %d", h.path, position)
	}
	size := h.size.Load()
	if position >= size {
		return 0, io.EOF
	}
	want := p
	if int64(len(p)) > size-position {
		want = p[:size-position]
	}
	n, err := h.f.ReadAt(want, position)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("filestore: read %s: %w", h.path, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (h *file) Sync(ctx context.Context) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("filestore: sync %s: %w", h.path, err)
	}
	if err := datasync(h.f); err != nil {
		return fmt.Errorf("filestore: sync %s: %w", h.path, err)
	}
	return nil
}

// Truncate cuts the file and fsyncs it (a full fsync: the size is metadata).
func (h *file) Truncate(ctx context.Context, size int64) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("filestore: truncate %s: %w", h.path, err)
	}
	if size < 0 || size > h.size.Load() {
		return fmt.Errorf("filestore: truncate %s: size %d outside [0, %d]", h.path, size, h.size.Load())
	}
	if err := h.f.Truncate(size); err != nil {
		return fmt.Errorf("filestore: truncate %s: %w", h.path, err)
	}
	h.size.Store(size)
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("filestore: truncate %s: %w", h.path, err)
	}
	return nil
}

func (h *file) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	h.store.forget(h)
	return h.closeDescriptor()
}

// close is Close called by the Store, which already dropped h from its set.
func (h *file) close() error {
	if h.closed.Swap(true) {
		return nil
	}
	return h.closeDescriptor()
}

func (h *file) closeDescriptor() error {
	if err := h.f.Close(); err != nil {
		return fmt.Errorf("filestore: close %s: %w", h.path, err)
	}
	return nil
}

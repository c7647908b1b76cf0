package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// Name is the backend's name in the registry and in config
// (storage.backend = "file").
const Name = "file"

var (
	_ storage.File     = (*file)(nil)
	_ dirstore.Backend = backend{}
)

// New checks cfg and returns a Store rooted at env.DataDir. It does no I/O;
// Start creates the directory.
func New(env component.Env, cfg Config) (*dirstore.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("filestore: config: %w", err)
	}
	return dirstore.New(env, "filestore", backend{})
}

// backend makes plain files; it has no state of its own.
type backend struct{}

func (backend) Start(context.Context, string) error { return nil }

func (backend) Close() error { return nil }

func (backend) NewFile(f *os.File, path string, _ storage.FileKind, size int64) (storage.File, error) {
	h := &file{f: f, path: path}
	h.size.Store(size)
	return h, nil
}

// file is one open segment file. size is the logical end: appends go there
// and reads stop there, so a failed append's stray bytes are never seen.
type file struct {
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
	n, err := dirstore.WriteVectorAt(h.f, bufs, position)
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
	if err := dirstore.DataSync(h.f); err != nil {
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
	if err := h.f.Close(); err != nil {
		return fmt.Errorf("filestore: close %s: %w", h.path, err)
	}
	return nil
}

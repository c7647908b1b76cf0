package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/runnel-io/runnel/plugins/storage"
)

var _ storage.File = (*PlainFile)(nil)

// NewPlainFile wraps f, the open segment file at path holding size bytes;
// name prefixes its errors.
func NewPlainFile(name string, f *os.File, path string, size int64) *PlainFile {
	h := &PlainFile{F: f, name: name, path: path}
	h.size.Store(size)
	return h
}

// PlainFile is a segment file written and read with plain system calls:
// pwritev of a whole batch at the tracked end, pread, fdatasync. size is
// the logical end: appends go there and reads stop there, so a failed
// append's stray bytes are never seen. The file backend uses it as is; a
// backend that only reads differently (mmap) embeds it.
type PlainFile struct {
	// F is the open descriptor, for embedders that read it their own way.
	F      *os.File
	name   string // error prefix: the backend's package name
	path   string
	size   atomic.Int64
	closed atomic.Bool
}

func (h *PlainFile) Size() int64 { return h.size.Load() }

// Path is the file's location, for error messages.
func (h *PlainFile) Path() string { return h.path }

// Check reports ErrClosed after Close, else ctx's error: the first step of
// every call.
func (h *PlainFile) Check(ctx context.Context) error {
	if h.closed.Load() {
		return storage.ErrClosed
	}
	return ctx.Err()
}

// Append writes bufs at the logical end with positional vectored writes.
// On error the logical size is unchanged and the file is cut back to it.
func (h *PlainFile) Append(ctx context.Context, bufs [][]byte) (int64, error) {
	if err := h.Check(ctx); err != nil {
		return 0, fmt.Errorf("%s: append %s: %w", h.name, h.path, err)
	}
	position := h.size.Load()
	n, err := WriteVectorAt(h.F, bufs, position)
	if err != nil {
		if n > 0 {
			_ = h.F.Truncate(position)
		}
		return 0, fmt.Errorf("%s: append %s: %w", h.name, h.path, err)
	}
	h.size.Store(position + n)
	return position, nil
}

// ReadAt reads up to the logical size; past it, io.EOF.
func (h *PlainFile) ReadAt(ctx context.Context, p []byte, position int64) (int, error) {
	if err := h.Check(ctx); err != nil {
		return 0, fmt.Errorf("%s: read %s: %w", h.name, h.path, err)
	}
	if position < 0 {
		return 0, fmt.Errorf("%s: read %s: negative position %d", h.name, h.path, position)
	}
	size := h.size.Load()
	if position >= size {
		return 0, io.EOF
	}
	want := p
	if int64(len(p)) > size-position {
		want = p[:size-position]
	}
	n, err := h.F.ReadAt(want, position)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("%s: read %s: %w", h.name, h.path, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (h *PlainFile) Sync(ctx context.Context) error {
	if err := h.Check(ctx); err != nil {
		return fmt.Errorf("%s: sync %s: %w", h.name, h.path, err)
	}
	if err := DataSync(h.F); err != nil {
		return fmt.Errorf("%s: sync %s: %w", h.name, h.path, err)
	}
	return nil
}

// Truncate cuts the file and fsyncs it (a full fsync: the size is metadata).
func (h *PlainFile) Truncate(ctx context.Context, size int64) error {
	if err := h.Check(ctx); err != nil {
		return fmt.Errorf("%s: truncate %s: %w", h.name, h.path, err)
	}
	if size < 0 || size > h.size.Load() {
		return fmt.Errorf("%s: truncate %s: size %d outside [0, %d]", h.name, h.path, size, h.size.Load())
	}
	if err := h.F.Truncate(size); err != nil {
		return fmt.Errorf("%s: truncate %s: %w", h.name, h.path, err)
	}
	h.size.Store(size)
	if err := h.F.Sync(); err != nil {
		return fmt.Errorf("%s: truncate %s: %w", h.name, h.path, err)
	}
	return nil
}

// Close closes the descriptor; later calls fail with ErrClosed. Idempotent.
func (h *PlainFile) Close() error {
	if !h.MarkClosed() {
		return nil
	}
	return h.CloseDescriptor()
}

// MarkClosed makes later calls fail with ErrClosed; false if it was already
// closed. An embedder that must release something first (a mapping) calls
// it, releases, then CloseDescriptor.
func (h *PlainFile) MarkClosed() bool { return !h.closed.Swap(true) }

// CloseDescriptor closes F.
func (h *PlainFile) CloseDescriptor() error {
	if err := h.F.Close(); err != nil {
		return fmt.Errorf("%s: close %s: %w", h.name, h.path, err)
	}
	return nil
}

package mmapstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// populateBytesMin: reads this large map their pages in one madvise call
// first; smaller ones take the odd page fault.
const populateBytesMin = 64 << 10

// backend makes mmap files; it has no state beyond its config.
type backend struct{ cfg Config }

func (*backend) Start(context.Context, string) error { return nil }

func (*backend) Close() error { return nil }

// file is one open segment file. Appends are pwritev at the tracked end;
// reads copy out of a read-only shared mapping of the file. The mapping
// reaches MapHeadroomBytes past the size it was made at, so a growing file
// is remapped once per headroom, and a sealed file is mapped once.
type file struct {
	f        *os.File
	path     string
	headroom int64
	size     atomic.Int64
	closed   atomic.Bool

	// mu is held shared while a reader copies out of m, and exclusively to
	// replace or unmap it, so no copy ever touches an unmapped page.
	mu sync.RWMutex
	m  []byte // nil until the first read of a non-empty file
}

func (b *backend) NewFile(f *os.File, path string, _ storage.FileKind, size int64) (storage.File, error) {
	h := &file{f: f, path: path, headroom: b.cfg.MapHeadroomBytes}
	h.size.Store(size)
	return h, nil
}

func (h *file) Size() int64 { return h.size.Load() }

func (h *file) check(ctx context.Context) error {
	if h.closed.Load() {
		return storage.ErrClosed
	}
	return ctx.Err()
}

// Append writes bufs at the logical end with positional vectored writes:
// pwritev beat stores into a mapped, preallocated segment here (page
// faults dominate those; see README). On error the logical size is
// unchanged and the file is cut back to it.
func (h *file) Append(ctx context.Context, bufs [][]byte) (int64, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("mmapstore: append %s: %w", h.path, err)
	}
	position := h.size.Load()
	n, err := dirstore.WriteVectorAt(h.f, bufs, position)
	if err != nil {
		if n > 0 {
			_ = h.f.Truncate(position)
		}
		return 0, fmt.Errorf("mmapstore: append %s: %w", h.path, err)
	}
	h.size.Store(position + n)
	return position, nil
}

// ReadAt copies out of the mapping, up to the logical size; past it, io.EOF.
func (h *file) ReadAt(ctx context.Context, p []byte, position int64) (int, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("mmapstore: read %s: %w", h.path, err)
	}
	if position < 0 {
		return 0, fmt.Errorf("mmapstore: read %s: negative position %d", h.path, position)
	}
	size := h.size.Load()
	if position >= size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), size-position)
	n, err := h.copyOut(p[:want], position, size)
	if err != nil {
		return n, fmt.Errorf("mmapstore: read %s: %w", h.path, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// copyOut copies len(p) bytes at position (all below size) out of the
// mapping, remapping first if the mapping is too short.
func (h *file) copyOut(p []byte, position, size int64) (int, error) {
	end := position + int64(len(p))
	h.mu.RLock()
	if int64(len(h.m)) < end {
		h.mu.RUnlock()
		if err := h.remap(size); err != nil {
			return 0, err
		}
		h.mu.RLock()
	}
	defer h.mu.RUnlock()
	if h.closed.Load() {
		return 0, storage.ErrClosed
	}
	if int64(len(h.m)) < end {
		return 0, fmt.Errorf("mapping of %d bytes is short of %d", len(h.m), end)
	}
	if len(p) >= populateBytesMin {
		populate(h.m[position&^int64(os.Getpagesize()-1) : end])
	}
	return copyGuarded(p, h.m[position:end])
}

// copyGuarded copies src to dst, turning a fault on the mapping (the file
// cut short behind our back, a disk error) into an error instead of a
// crash of the process.
func copyGuarded(dst, src []byte) (n int, err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("fault reading the mapping: %v", r)
		}
	}()
	return copy(dst, src), nil
}

// remap replaces the mapping with one covering size plus the headroom.
func (h *file) remap(size int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		return storage.ErrClosed
	}
	if int64(len(h.m)) >= size {
		return nil // another reader remapped first
	}
	length := roundUp(size+h.headroom, int64(os.Getpagesize()))
	if length > mapBytesMax {
		length = max(size, mapBytesMax)
	}
	m, err := unix.Mmap(int(h.f.Fd()), 0, int(length), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap %d bytes: %w", length, err)
	}
	old := h.m
	h.m = m
	if old != nil {
		if err := unix.Munmap(old); err != nil {
			return fmt.Errorf("munmap: %w", err)
		}
	}
	return nil
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

func (h *file) Sync(ctx context.Context) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("mmapstore: sync %s: %w", h.path, err)
	}
	if err := dirstore.DataSync(h.f); err != nil {
		return fmt.Errorf("mmapstore: sync %s: %w", h.path, err)
	}
	return nil
}

// Truncate cuts the file and fsyncs it. The mapping stays: reads never go
// past the logical size, so the pages beyond the new end are not touched.
func (h *file) Truncate(ctx context.Context, size int64) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("mmapstore: truncate %s: %w", h.path, err)
	}
	if size < 0 || size > h.size.Load() {
		return fmt.Errorf("mmapstore: truncate %s: size %d outside [0, %d]", h.path, size, h.size.Load())
	}
	if err := h.f.Truncate(size); err != nil {
		return fmt.Errorf("mmapstore: truncate %s: %w", h.path, err)
	}
	h.size.Store(size)
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("mmapstore: truncate %s: %w", h.path, err)
	}
	return nil
}

func (h *file) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	return h.release()
}

// release unmaps (after every reader is out) and closes the descriptor.
func (h *file) release() error {
	h.mu.Lock()
	m := h.m
	h.m = nil
	h.mu.Unlock()
	var errs []error
	if m != nil {
		errs = append(errs, unix.Munmap(m))
	}
	errs = append(errs, h.f.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mmapstore: close %s: %w", h.path, err)
	}
	return nil
}

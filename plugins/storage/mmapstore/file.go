package mmapstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

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

// file is one open segment file. Appends, Sync and Truncate are the plain
// file's (pwritev at the tracked end; it beat stores into a mapped,
// preallocated segment here, where page faults dominate: see README);
// reads copy out of a read-only shared mapping of the file. The mapping
// reaches MapHeadroomBytes past the size it was made at, so a growing file
// is remapped once per headroom, and a sealed file is mapped once.
// Truncate leaves the mapping: reads never go past the logical size, so
// pages beyond the new end are not touched.
type file struct {
	*dirstore.PlainFile
	headroom int64

	// mu is held shared while a reader copies out of m, and exclusively to
	// replace or unmap it, so no copy ever touches an unmapped page.
	mu sync.RWMutex
	m  []byte // nil until the first read of a non-empty file
}

func (b *backend) NewFile(f *os.File, path string, _ storage.FileKind, size int64) (storage.File, error) {
	return &file{PlainFile: dirstore.NewPlainFile("mmapstore", f, path, size), headroom: b.cfg.MapHeadroomBytes}, nil
}

// ReadAt copies out of the mapping, up to the logical size; past it, io.EOF.
func (h *file) ReadAt(ctx context.Context, p []byte, position int64) (int, error) {
	if err := h.Check(ctx); err != nil {
		return 0, fmt.Errorf("mmapstore: read %s: %w", h.Path(), err)
	}
	if position < 0 {
		return 0, fmt.Errorf("mmapstore: read %s: negative position %d", h.Path(), position)
	}
	size := h.Size()
	if position >= size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), size-position)
	n, err := h.copyOut(p[:want], position, size)
	if err != nil {
		return n, fmt.Errorf("mmapstore: read %s: %w", h.Path(), err)
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
	if err := h.Check(context.Background()); err != nil {
		return 0, err
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
	if err := h.Check(context.Background()); err != nil {
		return err
	}
	if int64(len(h.m)) >= size {
		return nil // another reader remapped first
	}
	length := roundUp(size+h.headroom, int64(os.Getpagesize()))
	if length > mapBytesMax {
		length = max(size, mapBytesMax)
	}
	m, err := unix.Mmap(int(h.F.Fd()), 0, int(length), unix.PROT_READ, unix.MAP_SHARED)
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

// Close unmaps (after every reader is out), then closes the descriptor.
func (h *file) Close() error {
	if !h.MarkClosed() {
		return nil
	}
	h.mu.Lock()
	m := h.m
	h.m = nil
	h.mu.Unlock()
	var unmapErr error
	if m != nil {
		if err := unix.Munmap(m); err != nil {
			unmapErr = fmt.Errorf("mmapstore: close %s: munmap: %w", h.Path(), err)
		}
	}
	return errors.Join(unmapErr, h.CloseDescriptor())
}

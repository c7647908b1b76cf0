//go:build linux

package directiostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

var _ storage.File = (*file)(nil)

// stagingBytesKept: an Append staging buffer grown past this by one huge
// batch is dropped afterwards rather than kept for the file's life.
const stagingBytesKept = 4 << 20

// backend holds what every file of the store shares; Start fills it.
type backend struct {
	cfg       Config
	align     int64
	readChunk int64
	readPool  *sync.Pool // aligned buffers of readChunk bytes
}

// startBackend checks that the data directory's filesystem takes O_DIRECT
// (tmpfs, for one, does not) by writing one aligned block to a probe file.
func (b *backend) Start(_ context.Context, dir string) error {
	b.align, b.readChunk = b.cfg.AlignmentBytes, b.cfg.ReadChunkBytes
	b.readPool = &sync.Pool{New: func() any {
		buf := alignedBuffer(int(b.readChunk), int(b.align))
		return &buf
	}}
	probe := filepath.Join(dir, ".directio-probe")
	fd, err := unix.Open(probe, unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC|unix.O_DIRECT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return unavailable(dir, err)
	}
	defer os.Remove(probe)
	defer unix.Close(fd)
	if _, err := unix.Pwrite(fd, alignedBuffer(int(b.align), int(b.align)), 0); err != nil {
		return unavailable(dir, err)
	}
	return nil
}

func unavailable(dir string, err error) error {
	return fmt.Errorf("O_DIRECT on %s: %w (%w); use backend \"file\"", dir, err, storage.ErrUnavailable)
}

func (*backend) Close() error { return nil }

// alignedBuffer returns n bytes starting at a multiple of align.
func alignedBuffer(n, align int) []byte {
	raw := make([]byte, n+align)
	off := int(uintptr(unsafe.Pointer(&raw[0])) & uintptr(align-1))
	if off != 0 {
		off = align - off
	}
	return raw[off : off+n : off+n]
}

// file is one open segment file, written through two descriptors on the
// same inode: whole blocks with O_DIRECT (d), the partial last block
// through the page cache (f). The file's size is always the logical size,
// never padded.
//
// An Append stages the partial last block (kept in memory) followed by the
// new bytes in an aligned buffer, writes every whole block of that with
// one O_DIRECT pwrite (rewriting the old partial block now completed), and
// the new partial block with a buffered pwrite. Before the direct write the
// kernel writes back and drops the old partial block's cached page, so the
// device sees the file in append order: after a crash it holds a prefix of
// what was appended, possibly followed by zeros.
type file struct {
	f      *os.File // page cache: partial last block, Sync, Truncate
	d      *os.File // O_DIRECT: whole blocks, reads; nil for an index file
	path   string
	b      *backend
	size   atomic.Int64
	closed atomic.Bool

	// mu guards tail, and makes (size, tail) change together for readers.
	mu   sync.Mutex
	tail []byte // bytes [size&^(align-1), size) of the file, in an align-sized buffer

	staging []byte // Append's aligned buffer; only the appending goroutine uses it
}

func (b *backend) NewFile(f *os.File, path string, kind storage.FileKind, size int64) (storage.File, error) {
	if kind == storage.FileIndex {
		// Index files stay in the page cache: a lookup reads 16 bytes,
		// which with O_DIRECT is a device read of a whole block, and
		// appends are a few entries. They are derived data that recovery
		// rebuilds.
		h := &file{f: f, path: path, b: b}
		h.size.Store(size)
		return h, nil
	}
	d, err := os.OpenFile(path, os.O_RDWR|unix.O_DIRECT, 0)
	if err != nil {
		return nil, fmt.Errorf("O_DIRECT: %w", err)
	}
	h := &file{f: f, d: d, path: path, b: b, tail: alignedBuffer(int(b.align), int(b.align))}
	if err := h.loadTail(size); err != nil {
		_ = d.Close()
		return nil, err
	}
	return h, nil
}

// loadTail reads the partial last block of a file of size bytes into tail.
func (h *file) loadTail(size int64) error {
	start := size &^ (h.b.align - 1)
	n, err := h.d.ReadAt(h.tail, start)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read last block: %w", err)
	}
	if int64(n) < size-start {
		return fmt.Errorf("read last block: %d bytes at %d, file size %d", n, start, size)
	}
	h.mu.Lock()
	h.size.Store(size)
	h.mu.Unlock()
	return nil
}

func (h *file) Size() int64 { return h.size.Load() }

func (h *file) check(ctx context.Context) error {
	if h.closed.Load() {
		return storage.ErrClosed
	}
	return ctx.Err()
}

// Append writes bufs at the logical end (see file). On error the logical
// size is unchanged and the file is cut back to it.
func (h *file) Append(ctx context.Context, bufs [][]byte) (int64, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("directiostore: append %s: %w", h.path, err)
	}
	position := h.size.Load()
	var n int64
	for _, b := range bufs {
		n += int64(len(b))
	}
	if n == 0 {
		return position, nil
	}
	if h.d == nil {
		return h.appendCached(bufs, position, n)
	}
	tailStart := position &^ (h.b.align - 1)
	tailLen := position - tailStart
	total := tailLen + n
	stage := h.stage(total)
	copy(stage, h.tail[:tailLen])
	at := tailLen
	for _, b := range bufs {
		at += int64(copy(stage[at:], b))
	}
	whole := total &^ (h.b.align - 1)
	if err := h.write(stage[:total], tailStart, tailLen, whole); err != nil {
		_ = h.f.Truncate(position)
		return 0, fmt.Errorf("directiostore: append %s: %w", h.path, err)
	}
	h.mu.Lock()
	copy(h.tail, stage[whole:total])
	h.size.Store(position + n)
	h.mu.Unlock()
	if cap(h.staging) > stagingBytesKept {
		h.staging = nil
	}
	return position, nil
}

// appendCached appends through the page cache (index files).
func (h *file) appendCached(bufs [][]byte, position, n int64) (int64, error) {
	at := position
	for _, b := range bufs {
		if err := pwriteAll(h.f, b, at); err != nil {
			_ = h.f.Truncate(position)
			return 0, fmt.Errorf("directiostore: append %s: %w", h.path, err)
		}
		at += int64(len(b))
	}
	h.size.Store(position + n)
	return position, nil
}

// stage returns the aligned staging buffer, at least total bytes rounded up
// to the alignment.
func (h *file) stage(total int64) []byte {
	need := int((total + h.b.align - 1) &^ (h.b.align - 1))
	if len(h.staging) < need {
		h.staging = alignedBuffer(max(need, 2*len(h.staging)), int(h.b.align))
	}
	return h.staging
}

// write puts staged bytes (the old partial block, tailLen bytes, then the
// new ones) at tailStart: [0, whole) with O_DIRECT, the rest buffered.
func (h *file) write(stage []byte, tailStart, tailLen, whole int64) error {
	if whole > 0 {
		if err := pwriteAll(h.d, stage[:whole], tailStart); err != nil {
			return fmt.Errorf("O_DIRECT write: %w", err)
		}
	}
	from := whole
	if whole == 0 {
		from = tailLen // the old partial bytes are already in the file
	}
	if from < int64(len(stage)) {
		if err := pwriteAll(h.f, stage[from:], tailStart+from); err != nil {
			return err
		}
	}
	return nil
}

// pwriteAll writes b at position, resuming after short writes (which
// O_DIRECT makes in whole blocks).
func pwriteAll(f *os.File, b []byte, position int64) error {
	for len(b) > 0 {
		n, err := f.WriteAt(b, position)
		if err != nil {
			return err
		}
		b, position = b[n:], position+int64(n)
	}
	return nil
}

// ReadAt serves the partial last block from memory and everything before
// it with aligned O_DIRECT reads; past the logical size, io.EOF.
func (h *file) ReadAt(ctx context.Context, p []byte, position int64) (int, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("directiostore: read %s: %w", h.path, err)
	}
	if position < 0 {
		return 0, fmt.Errorf("directiostore: read %s: negative position %d", h.path, position)
	}
	if h.d == nil {
		return h.readCached(p, position)
	}
	h.mu.Lock()
	size := h.size.Load()
	if position >= size {
		h.mu.Unlock()
		return 0, io.EOF
	}
	end := min(position+int64(len(p)), size)
	tailStart := size &^ (h.b.align - 1)
	if end > tailStart {
		from := max(position, tailStart)
		copy(p[from-position:end-position], h.tail[from-tailStart:end-tailStart])
	}
	h.mu.Unlock()
	// Blocks before tailStart are whole and never rewritten, so they need
	// no lock: a concurrent Append only writes at or after it.
	if position < tailStart {
		if err := h.readDirect(p[:min(end, tailStart)-position], position); err != nil {
			return 0, fmt.Errorf("directiostore: read %s: %w", h.path, err)
		}
	}
	n := int(end - position)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readCached reads through the page cache (index files).
func (h *file) readCached(p []byte, position int64) (int, error) {
	size := h.size.Load()
	if position >= size {
		return 0, io.EOF
	}
	want := p[:min(int64(len(p)), size-position)]
	n, err := h.f.ReadAt(want, position)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("directiostore: read %s: %w", h.path, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readDirect fills p from position with aligned O_DIRECT reads through a
// pooled bounce buffer, one chunk at a time.
func (h *file) readDirect(p []byte, position int64) error {
	bufp := h.b.readPool.Get().(*[]byte)
	defer h.b.readPool.Put(bufp)
	buf := *bufp
	for len(p) > 0 {
		start := position &^ (h.b.align - 1)
		skip := position - start
		want := min(int64(len(buf)), (skip+int64(len(p))+h.b.align-1)&^(h.b.align-1))
		n, err := h.d.ReadAt(buf[:want], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if int64(n) <= skip {
			return fmt.Errorf("file ends at %d, before %d", start+int64(n), position)
		}
		c := copy(p, buf[skip:n])
		p, position = p[c:], position+int64(c)
	}
	return nil
}

func (h *file) Sync(ctx context.Context) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("directiostore: sync %s: %w", h.path, err)
	}
	// fdatasync on the inode covers both descriptors: the cached partial
	// block, the size, and a device cache flush for the direct writes.
	if err := dirstore.DataSync(h.f); err != nil {
		return fmt.Errorf("directiostore: sync %s: %w", h.path, err)
	}
	return nil
}

// Truncate cuts the file, fsyncs it, and reloads the partial last block.
func (h *file) Truncate(ctx context.Context, size int64) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("directiostore: truncate %s: %w", h.path, err)
	}
	if size < 0 || size > h.size.Load() {
		return fmt.Errorf("directiostore: truncate %s: size %d outside [0, %d]", h.path, size, h.size.Load())
	}
	if err := h.f.Truncate(size); err != nil {
		return fmt.Errorf("directiostore: truncate %s: %w", h.path, err)
	}
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("directiostore: truncate %s: %w", h.path, err)
	}
	if h.d == nil {
		h.size.Store(size)
		return nil
	}
	if err := h.loadTail(size); err != nil {
		return fmt.Errorf("directiostore: truncate %s: %w", h.path, err)
	}
	return nil
}

func (h *file) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	return h.release()
}

func (h *file) release() error {
	var derr error
	if h.d != nil {
		derr = h.d.Close()
	}
	if err := errors.Join(derr, h.f.Close()); err != nil {
		return fmt.Errorf("directiostore: close %s: %w", h.path, err)
	}
	return nil
}

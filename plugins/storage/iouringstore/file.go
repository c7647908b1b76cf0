//go:build linux && iouring

package iouringstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"

	"github.com/runnel-io/runnel/plugins/storage"
)

const (
	// iovecsMax is IOV_MAX: the most buffers one writev SQE takes.
	iovecsMax = 1024
	// readBytesMax bounds one read SQE (its length is a u32).
	readBytesMax = 1 << 30
)

// backend owns the ring every file of the store submits to; Start makes it.
type backend struct {
	cfg  Config
	ring *ring
}

func (b *backend) Start(context.Context, string) error {
	rg, err := newRing(uint32(b.cfg.QueueDepth))
	if err != nil {
		return err
	}
	b.ring = rg
	return nil
}

func (b *backend) Close() error {
	if b.ring == nil {
		return nil
	}
	return b.ring.close()
}

// file is one open segment file; every read, write and fsync goes through
// the store's ring. size is the logical end: appends go there and reads
// stop there.
type file struct {
	f      *os.File
	fd     int
	path   string
	ring   *ring
	size   atomic.Int64
	closed atomic.Bool

	// inflight is held shared by every operation on fd and exclusively by
	// Close, so the descriptor number is never reused under a queued SQE
	// (Sync may race with Close in group commit).
	inflight sync.RWMutex
}

func (b *backend) NewFile(f *os.File, path string, _ storage.FileKind, size int64) (storage.File, error) {
	if b.ring == nil {
		return nil, fmt.Errorf("not started: %w", storage.ErrClosed)
	}
	h := &file{f: f, fd: int(f.Fd()), path: path, ring: b.ring}
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

// enter takes the in-flight lock; false if the file closed meanwhile.
func (h *file) enter() bool {
	h.inflight.RLock()
	if h.closed.Load() {
		h.inflight.RUnlock()
		return false
	}
	return true
}

// Append writes bufs at the logical end: one writev SQE per IOV_MAX
// buffers, linked so the kernel runs them in order (a kill mid-append
// leaves a prefix, never a hole), all in one submission. On error the
// logical size is unchanged and the file is cut back to it.
func (h *file) Append(ctx context.Context, bufs [][]byte) (int64, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("iouringstore: append %s: %w", h.path, err)
	}
	if !h.enter() {
		return 0, fmt.Errorf("iouringstore: append %s: %w", h.path, storage.ErrClosed)
	}
	defer h.inflight.RUnlock()
	position := h.size.Load()
	n, err := h.writeAll(iovecs(bufs), position)
	if err != nil {
		if n > 0 {
			_ = h.f.Truncate(position)
		}
		return 0, fmt.Errorf("iouringstore: append %s: %w", h.path, err)
	}
	h.size.Store(position + n)
	return position, nil
}

// iovecs lists the non-empty buffers as iovecs. The slice is on the heap
// and the caller keeps bufs alive until the writes complete.
func iovecs(bufs [][]byte) []unix.Iovec {
	vs := make([]unix.Iovec, 0, len(bufs))
	for _, b := range bufs {
		if len(b) > 0 {
			v := unix.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			vs = append(vs, v)
		}
	}
	return vs
}

// writeAll writes every iovec at position, resubmitting after a short
// write (which cancels the rest of the linked chain). It returns the bytes
// written, always a prefix of the data.
func (h *file) writeAll(vs []unix.Iovec, position int64) (int64, error) {
	var written int64
	for len(vs) > 0 {
		preps, lens := h.writePreps(vs, position+written)
		res, err := h.ring.run(preps, true)
		runtime.KeepAlive(vs)
		if err != nil {
			return written, err
		}
		n, err := chainWritten(res, lens)
		written += n
		if err != nil {
			return written, err
		}
		vs = advance(vs, n)
	}
	return written, nil
}

// writePreps makes one writev SQE per IOV_MAX iovecs, as many as half the
// ring takes in one submission, and returns the bytes each should write.
func (h *file) writePreps(vs []unix.Iovec, at int64) ([]prep, []int64) {
	batchMax := max(1, cap(h.ring.slots)/2)
	var preps []prep
	var lens []int64
	for i := 0; i < len(vs) && len(preps) < batchMax; i += iovecsMax {
		chunk := vs[i:min(i+iovecsMax, len(vs))]
		var l int64
		for _, v := range chunk {
			l += int64(v.Len)
		}
		off := at
		preps = append(preps, func(sqe *giouring.SubmissionQueueEntry) {
			sqe.PrepareWritev(h.fd, uintptr(unsafe.Pointer(&chunk[0])), uint32(len(chunk)), uint64(off))
		})
		lens = append(lens, l)
		at += l
	}
	return preps, lens
}

// chainWritten sums the bytes a linked chain of writes wrote, in order,
// up to its first short write.
func chainWritten(res []int32, lens []int64) (int64, error) {
	var n int64
	for i, r := range res {
		if r < 0 {
			if syscall.Errno(-r) == syscall.ECANCELED && i > 0 {
				return n, nil // the chain stopped after a short write
			}
			return n, syscall.Errno(-r)
		}
		n += int64(r)
		if int64(r) < lens[i] {
			if r == 0 {
				return n, errors.New("writev wrote nothing")
			}
			return n, nil
		}
	}
	return n, nil
}

// advance drops the first n bytes of vs, copying rather than changing the
// caller's slice.
func advance(vs []unix.Iovec, n int64) []unix.Iovec {
	for n > 0 && len(vs) > 0 {
		if n < int64(vs[0].Len) {
			rest := make([]unix.Iovec, len(vs))
			copy(rest, vs)
			rest[0].Base = (*byte)(unsafe.Add(unsafe.Pointer(rest[0].Base), n))
			rest[0].SetLen(int(int64(rest[0].Len) - n))
			return rest
		}
		n -= int64(vs[0].Len)
		vs = vs[1:]
	}
	return vs
}

// ReadAt reads up to the logical size through the ring; past it, io.EOF.
func (h *file) ReadAt(ctx context.Context, p []byte, position int64) (int, error) {
	if err := h.check(ctx); err != nil {
		return 0, fmt.Errorf("iouringstore: read %s: %w", h.path, err)
	}
	if position < 0 {
		return 0, fmt.Errorf("iouringstore: read %s: negative position %d", h.path, position)
	}
	size := h.size.Load()
	if position >= size {
		return 0, io.EOF
	}
	want := p[:min(int64(len(p)), size-position)]
	if !h.enter() {
		return 0, fmt.Errorf("iouringstore: read %s: %w", h.path, storage.ErrClosed)
	}
	n, err := h.readAll(want, position)
	h.inflight.RUnlock()
	if err != nil {
		return n, fmt.Errorf("iouringstore: read %s: %w", h.path, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readAll fills p from position, one read SQE per round (the usual read
// completes in one).
func (h *file) readAll(p []byte, position int64) (int, error) {
	done := 0
	for done < len(p) {
		rest := p[done:min(len(p), done+readBytesMax)]
		off := position + int64(done)
		res, err := h.ring.run([]prep{func(sqe *giouring.SubmissionQueueEntry) {
			sqe.PrepareRead(h.fd, uintptr(unsafe.Pointer(&rest[0])), uint32(len(rest)), uint64(off))
		}}, false)
		runtime.KeepAlive(rest)
		if err != nil {
			return done, err
		}
		switch r := res[0]; {
		case r < 0:
			return done, syscall.Errno(-r)
		case r == 0:
			return done, fmt.Errorf("file ends at %d, before its logical size", off)
		default:
			done += int(r)
		}
	}
	return done, nil
}

// Sync is fdatasync through the ring. Several files' syncs (group commit
// across partitions) run side by side in the kernel's workers.
func (h *file) Sync(ctx context.Context) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("iouringstore: sync %s: %w", h.path, err)
	}
	if !h.enter() {
		return fmt.Errorf("iouringstore: sync %s: %w", h.path, storage.ErrClosed)
	}
	err := h.fsync(giouring.FsyncDatasync)
	h.inflight.RUnlock()
	if err != nil {
		return fmt.Errorf("iouringstore: sync %s: %w", h.path, err)
	}
	return nil
}

func (h *file) fsync(flags uint32) error {
	res, err := h.ring.run([]prep{func(sqe *giouring.SubmissionQueueEntry) {
		sqe.PrepareFsync(h.fd, flags)
	}}, false)
	if err != nil {
		return err
	}
	if res[0] < 0 {
		return syscall.Errno(-res[0])
	}
	return nil
}

// Truncate cuts the file (ftruncate: this io_uring has no truncate op) and
// fsyncs it through the ring (a full fsync: the size is metadata).
func (h *file) Truncate(ctx context.Context, size int64) error {
	if err := h.check(ctx); err != nil {
		return fmt.Errorf("iouringstore: truncate %s: %w", h.path, err)
	}
	if size < 0 || size > h.size.Load() {
		return fmt.Errorf("iouringstore: truncate %s: size %d outside [0, %d]", h.path, size, h.size.Load())
	}
	if !h.enter() {
		return fmt.Errorf("iouringstore: truncate %s: %w", h.path, storage.ErrClosed)
	}
	defer h.inflight.RUnlock()
	if err := h.f.Truncate(size); err != nil {
		return fmt.Errorf("iouringstore: truncate %s: %w", h.path, err)
	}
	h.size.Store(size)
	if err := h.fsync(0); err != nil {
		return fmt.Errorf("iouringstore: truncate %s: %w", h.path, err)
	}
	return nil
}

func (h *file) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	return h.release()
}

// release waits for the operations in flight, then closes the descriptor.
func (h *file) release() error {
	h.inflight.Lock()
	defer h.inflight.Unlock()
	if err := h.f.Close(); err != nil {
		return fmt.Errorf("iouringstore: close %s: %w", h.path, err)
	}
	return nil
}

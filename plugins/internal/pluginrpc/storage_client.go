package pluginrpc

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/runnel-io/runnel/plugins/storage"
)

// pathTimeout bounds the Path call, which has no context of its own.
const pathTimeout = 5 * time.Second

// StorageClient is the host side of a remote storage instance. Bulk bytes
// go through the shared Region given to Configure.
type StorageClient struct {
	conn   grpc.ClientConnInterface
	region *Region

	// mu is held shared by every call that touches the region, and
	// exclusively by Detach, so the region is unmapped only when no call
	// is copying through it.
	mu       sync.RWMutex
	detached atomic.Bool
}

var _ storage.Store = (*StorageClient)(nil)

// NewStorageClient talks to the storage service on conn.
func NewStorageClient(conn grpc.ClientConnInterface) *StorageClient {
	return &StorageClient{conn: conn}
}

func (c *StorageClient) call(ctx context.Context, name string, req, resp any) error {
	if c.detached.Load() {
		return fmt.Errorf("pluginrpc: store: %s: %w", name, storage.ErrClosed)
	}
	return invokeJSON(ctx, c.conn, storageMethod(name), name, req, resp)
}

// Configure has the plugin map region and take its data socket (shmFD
// and dataFD are their descriptors in the plugin's process) and build its
// instance with its own Factory.New.
func (c *StorageClient) Configure(ctx context.Context, name string, raw map[string]any, dataDir string, region *Region, shmFD, dataFD int) error {
	c.region = region
	return c.call(ctx, "Configure", storageConfigure{
		Name: name, Config: raw, DataDir: dataDir, ShmFD: shmFD, ShmBytes: int64(region.SizeBytes()), DataFD: dataFD,
	}, nil)
}

// Start starts the remote store.
func (c *StorageClient) Start(ctx context.Context) error { return c.call(ctx, "Start", none{}, nil) }

// Close closes the remote store and any file left open.
func (c *StorageClient) Close(ctx context.Context) error { return c.call(ctx, "Close", none{}, nil) }

// Open opens a remote file.
func (c *StorageClient) Open(ctx context.Context, id storage.SegmentID, kind storage.FileKind, create bool) (storage.File, error) {
	var rep openReply
	if err := c.call(ctx, "Open", openRequest{Seg: toSegWire(id), Kind: uint8(kind), Create: create}, &rep); err != nil {
		return nil, err
	}
	f := &remoteFile{c: c, id: rep.File}
	f.size.Store(rep.Size)
	return f, nil
}

// Segments lists a partition's segments.
func (c *StorageClient) Segments(ctx context.Context, p storage.PartitionKey) ([]storage.SegmentID, error) {
	var offsets []uint64
	if err := c.call(ctx, "Segments", toSegWire(storage.SegmentID{PartitionKey: p}), &offsets); err != nil {
		return nil, err
	}
	ids := make([]storage.SegmentID, len(offsets))
	for i, o := range offsets {
		ids[i] = storage.SegmentID{PartitionKey: p, BaseOffset: o}
	}
	return ids, nil
}

// RemoveSegment deletes a segment's files.
func (c *StorageClient) RemoveSegment(ctx context.Context, id storage.SegmentID) error {
	return c.call(ctx, "RemoveSegment", toSegWire(id), nil)
}

// RemovePartition deletes a partition's files.
func (c *StorageClient) RemovePartition(ctx context.Context, p storage.PartitionKey) error {
	return c.call(ctx, "RemovePartition", toSegWire(storage.SegmentID{PartitionKey: p}), nil)
}

// Path asks the plugin where a file lives; it is only for messages, so a
// failure is described in the returned string.
func (c *StorageClient) Path(id storage.SegmentID, kind storage.FileKind) string {
	ctx, cancel := context.WithTimeout(context.Background(), pathTimeout)
	defer cancel()
	var rep pathReply
	if err := c.call(ctx, "Path", openRequest{Seg: toSegWire(id), Kind: uint8(kind)}, &rep); err != nil {
		return fmt.Sprintf("<%s %s: %v>", id, kind, err)
	}
	return rep.Path
}

// Detach ends the client's use of the region: it waits for calls in
// flight and makes later ones fail with storage.ErrClosed. Kill the
// plugin process first so that calls in flight end.
func (c *StorageClient) Detach() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.detached.Store(true)
}

// enter admits one region user; call the returned func when done.
func (c *StorageClient) enter() (func(), error) {
	c.mu.RLock()
	if c.detached.Load() {
		c.mu.RUnlock()
		return nil, fmt.Errorf("pluginrpc: store: %w", storage.ErrClosed)
	}
	return c.mu.RUnlock, nil
}

// remoteFile is a File in the plugin. Size is kept here: one goroutine
// appends, and every Append reply says where the file now ends.
type remoteFile struct {
	c      *StorageClient
	id     uint64
	size   atomic.Int64
	closed atomic.Bool
}

func (f *remoteFile) Size() int64 { return f.size.Load() }

func (f *remoteFile) check(ctx context.Context) error {
	// A cancelled call must not start: the plugin side never sees the
	// host's context on the data path.
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.closed.Load() {
		return fmt.Errorf("pluginrpc: file %d: %w", f.id, storage.ErrClosed)
	}
	return nil
}

// Append copies bufs into region slots and has the plugin append from
// them, pipelined: the plugin appends one slot while the next is copied.
// A batch larger than a slot goes in several submissions, in order.
func (f *remoteFile) Append(ctx context.Context, bufs [][]byte) (int64, error) {
	if err := f.check(ctx); err != nil {
		return 0, err
	}
	leave, err := f.c.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	bufs = slices.Clone(bufs) // consumed below; the caller's slice stays intact
	first, firstErr := int64(-1), error(nil)
	p := &pipeline{ctx: ctx, region: f.c.region, data: f.c.region.data, done: func(in inflight, rep dataRep) {
		switch {
		case rep.status == statusError:
			firstErr = cmp.Or(firstErr, rep.err)
		case firstErr == nil:
			if first < 0 {
				first = rep.value
			}
			f.size.Store(rep.value + in.req.length)
		}
	}}
	for len(bufs) > 0 && firstErr == nil {
		slot, err := p.slot()
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			break
		}
		used := fill(f.c.region.slot(slot), &bufs)
		if err := p.send(slot, dataReq{op: opAppend, file: f.id, length: int64(used)}, nil); err != nil {
			firstErr = cmp.Or(firstErr, err)
		}
	}
	p.drain()
	if firstErr != nil {
		return 0, firstErr
	}
	if first < 0 {
		first = f.size.Load()
	}
	return first, nil
}

// fill copies as much of *bufs as fits into slot and consumes it.
func fill(slot []byte, bufs *[][]byte) int {
	used := 0
	for len(*bufs) > 0 && used < len(slot) {
		b := (*bufs)[0]
		n := copy(slot[used:], b)
		used += n
		if n == len(b) {
			*bufs = (*bufs)[1:]
		} else {
			(*bufs)[0] = b[n:]
		}
	}
	return used
}

// ReadAt has the plugin read into region slots, pipelined, and copies
// out of them in order.
func (f *remoteFile) ReadAt(ctx context.Context, p []byte, position int64) (int, error) {
	if err := f.check(ctx); err != nil {
		return 0, err
	}
	leave, err := f.c.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	done, eof, firstErr := 0, false, error(nil)
	pl := &pipeline{ctx: ctx, region: f.c.region, data: f.c.region.data, done: func(in inflight, rep dataRep) {
		switch {
		case eof || firstErr != nil:
		case rep.status == statusError:
			firstErr = rep.err
		default:
			done += copy(in.dst, f.c.region.slot(in.slot)[:rep.value])
			eof = rep.status == statusEOF || rep.value < in.req.length
		}
	}}
	slotBytes := f.c.region.SlotBytes()
	for sent := 0; sent < len(p) && !eof && firstErr == nil; {
		slot, err := pl.slot()
		if err != nil {
			firstErr = err
			break
		}
		n := min(len(p)-sent, slotBytes)
		req := dataReq{op: opRead, file: f.id, length: int64(n), position: position + int64(sent)}
		if err := pl.send(slot, req, p[sent:sent+n]); err != nil {
			firstErr = err
			break
		}
		sent += n
	}
	pl.drain()
	switch {
	case firstErr != nil:
		return done, firstErr
	case eof:
		return done, io.EOF
	}
	return done, nil
}

func (f *remoteFile) Sync(ctx context.Context) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	leave, err := f.c.enter()
	if err != nil {
		return err
	}
	defer leave()
	return f.c.region.data.roundTrip(ctx, dataReq{op: opSync, file: f.id})
}

func (f *remoteFile) Truncate(ctx context.Context, size int64) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	if err := f.c.call(ctx, "Truncate", truncateRequest{File: f.id, Size: size}, nil); err != nil {
		return err
	}
	f.size.Store(size)
	return nil
}

// Close closes the remote file. Idempotent.
func (f *remoteFile) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), pathTimeout)
	defer cancel()
	return f.c.call(ctx, "CloseFile", fileRequest{File: f.id}, nil)
}

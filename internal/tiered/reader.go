package tiered

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Defaults and limits of ReaderConfig.
const (
	BlockBytesDefault = 1 << 20
	blockBytesMin     = 4 << 10
	blockBytesMax     = 64 << 20
	// readEntriesMax bounds the index entries one read step loads (64 KiB),
	// as the local log does.
	readEntriesMax = 4096
	// prefetchesMax bounds read-ahead GETs in flight across all readers;
	// their bytes are bounded too (prefetchBytesMax).
	prefetchesMax = 8
)

// ReaderConfig sizes the L3 reader.
type ReaderConfig struct {
	// CacheBytesMax is the block cache's budget; 0 caches nothing (every
	// read is a GET, and there is no read-ahead).
	CacheBytesMax int64
	// ReadAheadBytes is how far past a read the following blocks of the
	// same object are fetched in the background; 0 disables it.
	ReadAheadBytes int64
	// BlockBytes is the unit of fetching and caching; 0 means 1 MiB.
	BlockBytes int64
}

// Reader serves reads of archived segments (L3). Safe for concurrent use.
type Reader struct {
	cat       *Catalog
	archivers map[string]archiver.Archiver
	cfg       ReaderConfig
	cache     *blockCache

	bg               context.Context
	stop             context.CancelFunc
	mu               sync.Mutex // orders wg.Add against Close's Wait
	closed           bool
	wg               sync.WaitGroup
	prefetches       int   // read-ahead GETs in flight, under mu
	prefetchBytes    int64 // their bytes, under mu
	prefetchBytesMax int64
}

// NewReader reads the segments cat lists from archivers (by name). Close
// it to stop read-ahead.
func NewReader(cat *Catalog, archivers map[string]archiver.Archiver, cfg ReaderConfig) (*Reader, error) {
	if cfg.BlockBytes == 0 {
		cfg.BlockBytes = BlockBytesDefault
	}
	if cfg.BlockBytes < blockBytesMin || cfg.BlockBytes > blockBytesMax || cfg.CacheBytesMax < 0 || cfg.ReadAheadBytes < 0 {
		return nil, fmt.Errorf("tiered: reader config %+v: block size outside [%d, %d] or a negative size", cfg, blockBytesMin, blockBytesMax)
	}
	bg, stop := context.WithCancel(context.Background())
	// Read-ahead lands in the cache: with more than half of it in flight,
	// arriving blocks would push out blocks fetched ahead and not read yet.
	prefetchBytesMax := max(cfg.CacheBytesMax/2, cfg.ReadAheadBytes)
	return &Reader{cat: cat, archivers: archivers, cfg: cfg, cache: newBlockCache(cfg.CacheBytesMax, cfg.BlockBytes),
		bg: bg, stop: stop, prefetchBytesMax: prefetchBytesMax}, nil
}

// Close stops read-ahead, waits for its GETs to end and drops the cache.
// Idempotent.
func (r *Reader) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.stop()
	r.wg.Wait()
	r.cache.reset()
}

// Prefetching is the number of read-ahead GETs in flight.
func (r *Reader) Prefetching() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.prefetches
}

// CacheStats reports the block cache's bytes, hits and misses.
func (r *Reader) CacheStats() (bytes int64, hits, misses uint64) { return r.cache.stats() }

// CorruptionError says that an archived segment holds bytes that are not
// what the log wrote; the read stops before them rather than serve them.
type CorruptionError struct {
	Key    archiver.Key
	Offset uint64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("tiered: corrupt archived data in %s at message offset %d: %s", e.Key, e.Offset, e.Reason)
}

// Read appends to dst up to countMax consecutive archived messages of key
// from offset on, below the offset before (where the local log starts), and
// at most bytesMax bytes of them but always the first whole message, as
// partition.Log.Read does. It reads nothing when offset is not archived. A
// failure after some messages returns those without an error; the next
// read, starting at the failure, reports it.
func (r *Reader) Read(ctx context.Context, key storage.PartitionKey, offset, before uint64, countMax uint32, bytesMax uint64, dst []byte) ([]byte, uint32, error) {
	rd := segmentRead{r: r, dst: dst, countMax: countMax, bytesMax: bytesMax}
	for !rd.done() && offset < before {
		seg, holders, err := r.cat.Find(key, offset)
		if errors.Is(err, ErrNotArchived) {
			break
		}
		n, err := rd.segment(ctx, seg, holders, offset, before)
		if err != nil {
			if rd.count > 0 {
				break
			}
			return dst, 0, fmt.Errorf("tiered: read %s at %d: %w", key, offset, err)
		}
		if n == 0 {
			break
		}
		offset += uint64(n)
	}
	return rd.dst, rd.count, nil
}

// object is one archived file and who holds it.
type object struct {
	key     archiver.Key
	size    int64
	holders []string
}

// segmentRead is one Read call in progress.
type segmentRead struct {
	r        *Reader
	dst      []byte
	countMax uint32
	bytesMax uint64
	count    uint32
	bytes    uint64
	full     bool
	entries  []byte
}

func (rd *segmentRead) done() bool { return rd.full || rd.count >= rd.countMax }

func (rd *segmentRead) segment(ctx context.Context, seg Segment, holders []string, offset, before uint64) (uint32, error) {
	logObj := object{archiver.SegmentKey(seg.ID, storage.FileLog), seg.LogBytes, holders}
	indexObj := object{archiver.SegmentKey(seg.ID, storage.FileIndex), seg.IndexBytes, holders}
	rel := uint32(offset - seg.ID.BaseOffset)
	segCount := uint32(seg.Count())
	stop := uint32(min(before, seg.Next) - seg.ID.BaseOffset)
	var added uint32
	for !rd.done() && rel < stop {
		n, err := rd.step(ctx, seg, logObj, indexObj, rel, stop, segCount)
		if err != nil {
			if added > 0 {
				rd.full = true
				return added, nil
			}
			return 0, err
		}
		if n == 0 {
			break
		}
		added += n
		rel += n
	}
	return added, nil
}

// step reads at most readEntriesMax messages from rel.
func (rd *segmentRead) step(ctx context.Context, seg Segment, logObj, indexObj object, rel, stop, segCount uint32) (uint32, error) {
	k := min(rd.countMax-rd.count, stop-rel, readEntriesMax)
	loaded := k
	if rel+k < segCount {
		loaded++ // the next entry's position ends the last message
	}
	rd.entries = slices.Grow(rd.entries[:0], int(loaded)*wire.IndexEntrySize)[:int(loaded)*wire.IndexEntrySize]
	if err := rd.r.readAt(ctx, indexObj, rd.entries, int64(rel)*wire.IndexEntrySize); err != nil {
		return 0, err
	}
	start := uint64(partition.IndexPosition(rd.entries, 0))
	end, take, err := rd.plan(seg, indexObj.key, rel, k)
	if err != nil || take == 0 {
		return 0, err
	}
	at := len(rd.dst)
	rd.dst = slices.Grow(rd.dst, int(end-start))[:at+int(end-start)]
	if err := rd.r.readAt(ctx, logObj, rd.dst[at:], int64(start)); err != nil {
		rd.dst = rd.dst[:at]
		return 0, err
	}
	rd.r.prefetchNext(seg, int64(end))
	good, n, cerr := rd.check(seg, logObj.key, rel, rd.dst[at:], start, take)
	rd.dst = rd.dst[:at+int(good)]
	if cerr != nil && (rd.count > 0 || n > 0) {
		rd.full, cerr = true, nil // deliver what is good; the next read reports the bad frame
	}
	if cerr != nil {
		return 0, cerr
	}
	rd.count += n
	rd.bytes += good
	return n, nil
}

// plan checks k index entries from rel and decides how many messages fit
// the byte budget and where the last one ends.
func (rd *segmentRead) plan(seg Segment, indexKey archiver.Key, rel, k uint32) (end uint64, take uint32, err error) {
	entries := rd.entries
	first := uint64(partition.IndexPosition(entries, 0))
	end = first
	for j := range k {
		e := entries[int(j)*wire.IndexEntrySize:]
		if got := binary.LittleEndian.Uint32(e); got != rel+j || uint64(partition.IndexPosition(entries, j)) != end {
			return 0, 0, &CorruptionError{Key: indexKey, Offset: seg.ID.BaseOffset + uint64(rel+j),
				Reason: fmt.Sprintf("entry (relative offset %d, position %d) does not continue the index (want %d at %d)", got, partition.IndexPosition(entries, j), rel+j, end)}
		}
		next := uint64(seg.LogBytes)
		if int(j+1)*wire.IndexEntrySize < len(entries) {
			next = uint64(partition.IndexPosition(entries, j+1))
		}
		if next <= end || next > uint64(seg.LogBytes) {
			return 0, 0, &CorruptionError{Key: indexKey, Offset: seg.ID.BaseOffset + uint64(rel+j+1),
				Reason: fmt.Sprintf("next message position %d outside (%d, %d]", next, end, seg.LogBytes)}
		}
		if !(rd.count == 0 && take == 0) && rd.bytes+(next-first) > rd.bytesMax {
			rd.full = true
			break
		}
		end = next
		take++
	}
	return end, take, nil
}

// check verifies the take frames in b, read from the archived log at
// start, as a local read does (partition.CheckFrames).
func (rd *segmentRead) check(seg Segment, logKey archiver.Key, rel uint32, b []byte, start uint64, take uint32) (uint64, uint32, error) {
	good, n, fault := partition.CheckFrames(b, start, rd.entries, seg.ID.BaseOffset+uint64(rel), take)
	if fault != nil {
		return good, n, &CorruptionError{Key: logKey, Offset: fault.Offset, Reason: fault.Reason}
	}
	return good, n, nil
}

// readAt fills p from obj at off through the block cache, fetching missing
// runs of blocks with one ranged GET each. Read-ahead past p starts first,
// so that its GET runs while this one does.
func (r *Reader) readAt(ctx context.Context, obj object, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	if off+int64(len(p)) > obj.size {
		return fmt.Errorf("read [%d, %d) of %s past its %d bytes", off, off+int64(len(p)), obj.key, obj.size)
	}
	bs := r.cfg.BlockBytes
	first, last := off/bs, (off+int64(len(p))-1)/bs
	r.readAhead(obj, last+1)
	for b := first; b <= last; {
		cb, wait := r.cache.get(blockKey{obj.key, b})
		if cb != nil {
			copyBlock(p, off, b*bs, cb.b)
			r.cache.release(cb)
			b++
			continue
		}
		if wait != nil {
			select {
			case <-wait:
				continue // cached now, or the fetch failed and this reader tries
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		end := r.cache.claim(obj.key, b, last+1)
		if end == b {
			continue // another reader claimed it first
		}
		err := r.fetch(ctx, obj, b, end, func(block int64, data []byte) {
			copyBlock(p, off, block*bs, data)
		})
		if err != nil {
			return err
		}
		b = end
	}
	r.readAhead(obj, last+1) // in case every slot was busy before
	return nil
}

// copyBlock copies the part of block data (starting at object position
// at) that overlaps p (at object position off).
func copyBlock(p []byte, off, at int64, data []byte) {
	lo, hi := max(off, at), min(off+int64(len(p)), at+int64(len(data)))
	if lo < hi {
		copy(p[lo-off:hi-off], data[lo-at:hi-at])
	}
}

// fetch GETs blocks [from, to) of obj, claimed by the caller, with one
// ranged request from the first holder that answers (resuming where a
// failed holder stopped). Each block goes to deliver and then to the
// cache, waking its waiters, as soon as it has arrived; blocks not fetched
// are released.
func (r *Reader) fetch(ctx context.Context, obj object, from, to int64, deliver func(block int64, data []byte)) error {
	next := from
	defer func() { r.cache.finish(obj.key, next, to, nil) }()
	got := func(data []byte) {
		if deliver != nil {
			deliver(next, data) // before the cache owns (and may reuse) data
		}
		r.cache.finish(obj.key, next, next+1, [][]byte{data})
		next++
	}
	bs := r.cfg.BlockBytes
	var errs []error
	for _, name := range obj.holders {
		a := r.archivers[name]
		if a == nil {
			continue
		}
		err := r.readBlocks(ctx, a, obj.key, next*bs, min(to*bs, obj.size), got)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("archiver %q: %w", name, err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return fmt.Errorf("get %s: no configured archiver holds it", obj.key)
	}
	return errors.Join(errs...)
}

// readBlocks reads [start, end) of key in blocks, straight from the
// response body into reused buffers, handing each to got.
func (r *Reader) readBlocks(ctx context.Context, a archiver.Archiver, key archiver.Key, start, end int64, got func([]byte)) error {
	if start >= end {
		return nil
	}
	body, err := a.Get(ctx, key, start, end-start)
	if err != nil {
		return err
	}
	defer body.Close()
	bs := r.cfg.BlockBytes
	for at := start; at < end; at += bs {
		b := r.cache.alloc(min(bs, end-at))
		if _, err := io.ReadFull(body, b); err != nil {
			r.cache.giveBack(b)
			return fmt.Errorf("get %s [%d, %d): %w", key, start, end, err)
		}
		got(b)
	}
	return nil
}

// readAhead keeps the read-ahead window after block from filled: once
// less than half of it is cached or in flight, the first missing block and
// a whole window's worth after it are fetched in the background with one
// GET, so a sequential reader meets few, large requests, and two requests
// of one reader overlap. It skips when the read-ahead slots or bytes are
// used up: read-ahead must never queue behind itself.
func (r *Reader) readAhead(obj object, from int64) {
	if r.cfg.ReadAheadBytes == 0 || r.cfg.CacheBytesMax == 0 {
		return
	}
	bs := r.cfg.BlockBytes
	blocksInObject := (obj.size + bs - 1) / bs
	window := (r.cfg.ReadAheadBytes + bs - 1) / bs
	b := from
	for b < min(from+window, blocksInObject) && r.cache.present(blockKey{obj.key, b}) {
		b++
	}
	if b >= blocksInObject || b-from > window/2 {
		return
	}
	end := min(b+window, blocksInObject)
	bytes := min(end*bs, obj.size) - b*bs
	if !r.startPrefetch(bytes) {
		return
	}
	end = r.cache.claim(obj.key, b, end)
	if end == b {
		r.endPrefetch(bytes)
		return
	}
	go func() {
		defer r.endPrefetch(bytes)
		// A failure is not reported here: a foreground read of the same
		// blocks tries again and reports it.
		_ = r.fetch(r.bg, obj, b, end, nil)
	}()
}

// startPrefetch takes a read-ahead slot for bytes, unless none is free,
// the bytes in flight would pass their bound, or the reader is closed.
func (r *Reader) startPrefetch(bytes int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.prefetches >= prefetchesMax || r.prefetchBytes+bytes > r.prefetchBytesMax {
		return false
	}
	r.prefetches++
	r.prefetchBytes += bytes
	r.wg.Add(1)
	return true
}

func (r *Reader) endPrefetch(bytes int64) {
	r.mu.Lock()
	r.prefetches--
	r.prefetchBytes -= bytes
	r.mu.Unlock()
	r.wg.Done()
}

// prefetchNext starts read-ahead of the segment after seg (its index and
// the start of its log) when a sequential read has come within one
// read-ahead window of seg's end, so the next segment's first poll does
// not wait for two round trips.
func (r *Reader) prefetchNext(seg Segment, logPos int64) {
	if r.cfg.ReadAheadBytes == 0 || r.cfg.CacheBytesMax == 0 || seg.LogBytes-logPos > r.cfg.ReadAheadBytes {
		return
	}
	next, holders, err := r.cat.Find(seg.ID.PartitionKey, seg.Next)
	if err != nil || next.ID.BaseOffset != seg.Next {
		return
	}
	r.readAhead(object{archiver.SegmentKey(next.ID, storage.FileIndex), next.IndexBytes, holders}, 0)
	r.readAhead(object{archiver.SegmentKey(next.ID, storage.FileLog), next.LogBytes, holders}, 0)
}

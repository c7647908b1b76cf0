package partition

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	// readEntriesMax bounds the index entries one Read step loads (64 KiB).
	readEntriesMax = 4096
	// indexPendingBytesMax: buffered index entries are written once this
	// many bytes of them gather (4096 entries).
	indexPendingBytesMax = 64 << 10
)

// Log is one partition's segmented log. It is not safe for concurrent use:
// the owner serializes calls. After a failed write or sync every mutating
// call returns that error until the Log is closed and opened again (which
// recovers): the files' state is then unknown, and guessing could ack data
// that is not there.
type Log struct {
	store storage.Store
	key   storage.PartitionKey
	cfg   Config

	segs          []*segment // ascending base offsets, contiguous; the last is active
	next          uint64     // offset of the next message
	lastTimestamp uint64     // newest stamp; stamps never go down
	sizeBytes     uint64     // bytes of every segment's log
	sealedOpen    int        // sealed segments with open files
	tick          uint64     // use counter for least-recently-used closing
	recovery      Recovery

	failed error
	closed bool
}

// AppendResult says where an appended batch landed.
type AppendResult struct {
	FirstOffset, LastOffset uint64
	// TimestampMicros is the stamp every message of the batch carries.
	TimestampMicros uint64
}

// Stats is a snapshot of the log's size.
type Stats struct {
	FirstOffset uint64 // oldest kept message; equals NextOffset when empty
	LastOffset  uint64 // newest message; meaningful when MessagesCount > 0
	NextOffset  uint64
	// MessagesCount is NextOffset - FirstOffset.
	MessagesCount uint64
	// SizeBytes counts the .log files (message frames), not the indexes.
	SizeBytes         uint64
	SegmentsCount     int
	OpenSegmentsCount int // segments holding descriptors, the active one included
	// LastTimestampMicros is the newest stamp, 0 if nothing was appended.
	LastTimestampMicros uint64
}

func (l *Log) active() *segment { return l.segs[len(l.segs)-1] }

// FirstOffset is the offset of the oldest message kept.
func (l *Log) FirstOffset() uint64 { return l.segs[0].base() }

// NextOffset is the offset the next appended message gets.
func (l *Log) NextOffset() uint64 { return l.next }

// SealedSegments lists the sealed segments, oldest first. Their files no
// longer change, so a copy of them (an archive) is final.
func (l *Log) SealedSegments() []storage.SegmentID {
	var ids []storage.SegmentID
	for _, seg := range l.segs {
		if seg.sealed {
			ids = append(ids, seg.id)
		}
	}
	return ids
}

// Empty reports whether the log holds no message.
func (l *Log) Empty() bool { return l.next == l.FirstOffset() }

// Recovery reports what Open found and fixed in the active segment.
func (l *Log) Recovery() Recovery { return l.recovery }

// Stats returns counts and sizes; it does no I/O.
func (l *Log) Stats() Stats {
	s := Stats{
		FirstOffset:         l.FirstOffset(),
		NextOffset:          l.next,
		MessagesCount:       l.next - l.FirstOffset(),
		SizeBytes:           l.sizeBytes,
		SegmentsCount:       len(l.segs),
		OpenSegmentsCount:   l.sealedOpen + 1,
		LastTimestampMicros: l.lastTimestamp,
	}
	if s.MessagesCount > 0 {
		s.LastOffset = l.next - 1
	}
	return s
}

func (l *Log) usable() error {
	if l.closed {
		return ErrClosed
	}
	return nil
}

func (l *Log) writable() error {
	if l.closed {
		return ErrClosed
	}
	return l.failed
}

// fail records a write error that leaves the files in an unknown state.
func (l *Log) fail(err error) error {
	if l.failed == nil {
		l.failed = fmt.Errorf("partition %s: stopped after a failed write (reopen to recover): %w", l.key, err)
	}
	return err
}

// Append stamps and writes count complete frames that lie back to back in
// frames: offsets continue from NextOffset, every message gets the stamp
// max(timestampMicros, last stamp), and checksums are rewritten in place.
// The frames go to the active segment's log in one write; their index
// entries are buffered and written once indexPendingBytesMax of them
// gather, at Sync, at rotation and at Close (a crash loses only entries
// that recovery rebuilds from the log). A batch that would push the segment
// past SegmentBytesMax starts a new segment first. When Append returns the
// frames have reached the store; Sync makes them durable. A malformed batch
// is refused before anything is written, but its frames may have been
// stamped.
func (l *Log) Append(ctx context.Context, frames []byte, count uint32, timestampMicros uint64) (AppendResult, error) {
	res, err := l.append(ctx, frames, count, timestampMicros)
	if err != nil {
		return AppendResult{}, fmt.Errorf("partition: append %s: %w", l.key, err)
	}
	return res, nil
}

func (l *Log) append(ctx context.Context, frames []byte, count uint32, timestampMicros uint64) (AppendResult, error) {
	if err := l.writable(); err != nil {
		return AppendResult{}, err
	}
	if count == 0 || uint64(len(frames)) > segmentBytesLimit {
		return AppendResult{}, fmt.Errorf("batch of %d messages in %d bytes: need 1 or more in at most %d", count, len(frames), uint64(segmentBytesLimit))
	}
	if err := ctx.Err(); err != nil {
		return AppendResult{}, err
	}
	seg := l.active()
	rotate := seg.sizeBytes > 0 && (seg.sizeBytes+uint64(len(frames)) > l.cfg.SegmentBytesMax ||
		uint64(seg.count)+uint64(count) > math.MaxUint32)
	timestamp := max(timestampMicros, l.lastTimestamp)
	// The entries go straight into the pending buffer of the segment that
	// will hold the batch: the active one, or a fresh buffer for the next.
	var fresh []byte
	entries, rel, position := &seg.pending, seg.count, seg.sizeBytes
	if rotate {
		entries, rel, position = &fresh, 0, 0
	}
	mark := len(*entries)
	*entries = slices.Grow(*entries, int(count)*entrySize)[:mark+int(count)*entrySize]
	if err := stampBatch(frames, count, l.next, timestamp, rel, position, (*entries)[mark:]); err != nil {
		*entries = (*entries)[:mark]
		return AppendResult{}, err
	}
	if rotate {
		if err := l.rotate(ctx); err != nil {
			return AppendResult{}, fmt.Errorf("rotate: %w", err)
		}
		seg = l.active()
		seg.pending = fresh
	}
	if err := l.writeLog(ctx, seg, frames); err != nil {
		seg.pending = seg.pending[:mark]
		return AppendResult{}, l.fail(err)
	}
	res := AppendResult{FirstOffset: l.next, LastOffset: l.next + uint64(count) - 1, TimestampMicros: timestamp}
	l.advance(seg, count, uint64(len(frames)), timestamp)
	if len(seg.pending) >= indexPendingBytesMax {
		// The frames are in the log, so the append stands; the index file
		// is now in doubt, so the next call fails (and reopening rebuilds).
		if err := seg.flushIndex(ctx); err != nil {
			l.fail(err)
		}
	}
	return res, nil
}

// advance accounts for count messages of sizeBytes appended to seg.
func (l *Log) advance(seg *segment, count uint32, sizeBytes, timestamp uint64) {
	if seg.count == 0 {
		seg.firstTimestamp = timestamp
	}
	seg.count += count
	seg.sizeBytes += sizeBytes
	seg.lastTimestamp, seg.timestampsKnown = timestamp, true
	seg.dirty = true
	l.sizeBytes += sizeBytes
	l.next += uint64(count)
	l.lastTimestamp = timestamp
}

func (l *Log) writeLog(ctx context.Context, seg *segment, frames []byte) error {
	pos, err := seg.log.Append(ctx, [][]byte{frames})
	if err != nil {
		return err
	}
	if uint64(pos) != seg.sizeBytes {
		return fmt.Errorf("log %s appended at byte %d, expected %d", l.store.Path(seg.id, storage.FileLog), pos, seg.sizeBytes)
	}
	return nil
}

// stampBatch checks, stamps and indexes the count frames of a batch in one
// pass: frames must be exactly count frames within the limits recovery
// accepts. Message i gets offset next+i and the index entry (rel+i, its
// position counted from position) in entries.
func stampBatch(frames []byte, count uint32, next, timestamp uint64, rel uint32, position uint64, entries []byte) error {
	return eachFrame(frames, count, func(i uint32, p, size uint64) {
		wire.StampMessage(frames[p:p+size], next+uint64(i), timestamp)
		putEntry(entries[int(i)*entrySize:], entry{rel: rel + i, position: uint32(position + p), timestamp: timestamp})
	})
}

// rotate seals the active segment, durable first so only the newest
// segment can ever have a torn tail, and starts an empty one at NextOffset.
func (l *Log) rotate(ctx context.Context) error {
	old := l.active()
	if err := old.flushIndex(ctx); err != nil {
		return l.fail(err)
	}
	if err := l.syncSegment(ctx, old); err != nil {
		return l.fail(err)
	}
	seg, err := l.createSegment(ctx, l.next)
	if err != nil {
		return err
	}
	old.sealed = true
	l.segs = append(l.segs, seg)
	l.sealedOpen++
	l.tick++
	old.lastUsed = l.tick
	for l.sealedOpen > l.cfg.SealedSegmentsOpenMax {
		l.closeLeastRecentlyUsed(nil)
	}
	return nil
}

// Sync makes every appended message durable: the active segment's log,
// then its index (sealed segments were synced when sealed).
func (l *Log) Sync(ctx context.Context) error {
	point, err := l.PrepareSync(ctx)
	if err != nil {
		return err
	}
	if err := point.Sync(ctx); err != nil {
		return l.SyncFailed(err)
	}
	return nil
}

// SyncPoint holds the files whose appended bytes a sync must make durable.
// It lets the caller fsync without holding the lock that serialises the
// Log, so appends continue during the fsync and the next fsync covers all
// of them (group commit).
type SyncPoint struct {
	files []storage.File
}

// PrepareSync writes buffered index entries and returns the files to sync.
// Everything appended before PrepareSync is durable once the returned
// point's Sync succeeds. Call it under the same serialisation as Append.
func (l *Log) PrepareSync(ctx context.Context) (SyncPoint, error) {
	if err := l.writable(); err != nil {
		return SyncPoint{}, fmt.Errorf("partition: sync %s: %w", l.key, err)
	}
	seg := l.active()
	if !seg.dirty {
		return SyncPoint{}, nil
	}
	if err := seg.flushIndex(ctx); err != nil {
		return SyncPoint{}, fmt.Errorf("partition: sync %s: %w", l.key, l.fail(err))
	}
	seg.dirty = false
	seg.pending = nil // an idle partition keeps no buffer
	return SyncPoint{files: []storage.File{seg.log, seg.index}}, nil
}

// Sync makes the point durable. It may run concurrently with Append and
// ReadAt on the same Log (storage.File allows Sync beside them). A file
// closed meanwhile was sealed (and synced) by rotation or removed, so
// storage.ErrClosed is not a failure here.
func (p SyncPoint) Sync(ctx context.Context) error {
	for _, f := range p.files {
		if err := f.Sync(ctx); err != nil && !errors.Is(err, storage.ErrClosed) {
			return err
		}
	}
	return nil
}

// SyncFailed records that a SyncPoint's Sync failed: the log stops taking
// writes until it is reopened, because what reached the disk is unknown.
// Call it under the same serialisation as Append.
func (l *Log) SyncFailed(err error) error {
	return fmt.Errorf("partition: sync %s: %w", l.key, l.fail(err))
}

func (l *Log) syncSegment(ctx context.Context, seg *segment) error {
	// Unconditional: a SyncPoint taken before this rotation may still be in
	// flight with the segment marked clean, and its file may be closed (LRU)
	// before that fsync runs. Sealing must not depend on it.
	if err := seg.flushIndex(ctx); err != nil {
		return err
	}
	if err := seg.log.Sync(ctx); err != nil {
		return err
	}
	if err := seg.index.Sync(ctx); err != nil {
		return err
	}
	seg.dirty = false
	seg.pending = nil // an idle partition keeps no buffer
	return nil
}

// Read appends to dst up to countMax consecutive messages from offset on,
// crossing segments, and at most bytesMax bytes of them, but always the
// first whole message if one exists. An offset below FirstOffset reads
// from FirstOffset (older messages were removed by retention, as in Iggy);
// at or past NextOffset reads nothing. Every frame is checked (length,
// offset, checksum) against the index before it is returned: a bad first
// frame is a *CorruptionError; a bad later one ends the read before it, so
// the next Read, starting there, reports it.
func (l *Log) Read(ctx context.Context, offset uint64, countMax uint32, bytesMax uint64, dst []byte) ([]byte, uint32, error) {
	if err := l.usable(); err != nil {
		return dst, 0, fmt.Errorf("partition: read %s: %w", l.key, err)
	}
	offset = max(offset, l.FirstOffset())
	r := reader{l: l, dst: dst, countMax: countMax, bytesMax: bytesMax}
	for i := l.segmentFor(offset); i < len(l.segs) && !r.done() && offset < l.next; i++ {
		seg := l.segs[i]
		if offset >= seg.next() {
			continue
		}
		n, err := r.readSegment(ctx, seg, offset)
		if err != nil {
			return dst, 0, err
		}
		offset += uint64(n)
	}
	return r.dst, r.count, nil
}

// segmentFor returns the index of the segment holding offset, or of the
// first segment if offset is older than every segment.
func (l *Log) segmentFor(offset uint64) int {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base() > offset })
	return max(i-1, 0)
}

// reader is one Read call in progress.
type reader struct {
	l        *Log
	dst      []byte
	countMax uint32
	bytesMax uint64
	count    uint32
	bytes    uint64
	full     bool // the byte budget stopped the read
	entries  []byte
}

func (r *reader) done() bool { return r.full || r.count >= r.countMax }

// readSegment reads from offset to the end of seg or the read's limits and
// returns how many messages it added.
func (r *reader) readSegment(ctx context.Context, seg *segment, offset uint64) (uint32, error) {
	if err := r.l.use(ctx, seg); err != nil {
		return 0, fmt.Errorf("partition: read %s: %w", r.l.key, err)
	}
	rel := uint32(offset - seg.base())
	var added uint32
	for !r.done() && rel < seg.count {
		n, err := r.readStep(ctx, seg, rel)
		if err != nil || n == 0 {
			return added, err
		}
		added += n
		rel += n
	}
	return added, nil
}

// readStep reads at most readEntriesMax messages starting at rel.
func (r *reader) readStep(ctx context.Context, seg *segment, rel uint32) (uint32, error) {
	k := min(r.countMax-r.count, seg.count-rel, readEntriesMax)
	loaded := k
	if rel+k < seg.count {
		loaded++ // the next entry's position ends the last message
	}
	if cap(r.entries) < int(loaded)*entrySize {
		r.entries = make([]byte, int(loaded)*entrySize)
	}
	entries := r.entries[:int(loaded)*entrySize]
	if err := seg.readEntries(ctx, entries, rel); err != nil {
		return 0, fmt.Errorf("partition: read %s: %w", r.l.key, err)
	}
	start := uint64(getEntry(entries).position)
	end, take, err := r.plan(seg, rel, entries, k)
	if err != nil || take == 0 {
		return 0, err
	}
	at := len(r.dst)
	r.dst = slices.Grow(r.dst, int(end-start))[:at+int(end-start)]
	if _, err := seg.log.ReadAt(ctx, r.dst[at:], int64(start)); err != nil {
		r.dst = r.dst[:at]
		return 0, fmt.Errorf("partition: read %s: %w", r.l.key, err)
	}
	good, n, cerr := r.check(seg, rel, entries, r.dst[at:], start, take)
	r.dst = r.dst[:at+int(good)]
	if cerr != nil && (r.count > 0 || n > 0) {
		r.full = true // deliver what is good; the next Read reports the bad frame
		cerr = nil
	}
	if cerr != nil {
		return 0, cerr
	}
	r.count += n
	r.bytes += good
	return n, nil
}

// plan decides from the index how many of k messages fit the budget and
// where the last one ends.
func (r *reader) plan(seg *segment, rel uint32, entries []byte, k uint32) (end uint64, take uint32, err error) {
	idxPath := r.l.store.Path(seg.id, storage.FileIndex)
	end = uint64(getEntry(entries).position)
	for j := range k {
		e := getEntry(entries[int(j)*entrySize:])
		if e.rel != rel+j || uint64(e.position) != end {
			return 0, 0, &CorruptionError{Path: idxPath, Position: int64(rel+j) * entrySize, Offset: seg.base() + uint64(rel+j),
				Reason: fmt.Sprintf("entry (relative offset %d, position %d) does not continue the index (want %d at %d)", e.rel, e.position, rel+j, end)}
		}
		next := seg.sizeBytes
		if int(j+1)*entrySize < len(entries) {
			next = uint64(getEntry(entries[int(j+1)*entrySize:]).position)
		}
		if next <= end || next > seg.sizeBytes {
			return 0, 0, &CorruptionError{Path: idxPath, Position: int64(rel+j+1) * entrySize, Offset: seg.base() + uint64(rel+j+1),
				Reason: fmt.Sprintf("next message position %d outside (%d, %d]", next, end, seg.sizeBytes)}
		}
		first := r.count == 0 && take == 0
		if !first && r.bytes+(next-uint64(getEntry(entries).position)) > r.bytesMax {
			r.full = true
			break
		}
		end = next
		take++
	}
	return end, take, nil
}

// check verifies the take frames in b, read from the log at start, against
// their index entries. It returns the bytes and count of the good frames
// before the first bad one, and the error for that one.
func (r *reader) check(seg *segment, rel uint32, entries, b []byte, start uint64, take uint32) (uint64, uint32, error) {
	good, n, fault := CheckFrames(b, start, entries, seg.base()+uint64(rel), take)
	if fault != nil {
		return good, n, &CorruptionError{Path: r.l.store.Path(seg.id, storage.FileLog), Position: int64(start + good), Offset: fault.Offset, Reason: fault.Reason}
	}
	return good, n, nil
}

// Close releases every descriptor. It does not sync: call Sync first.
// Idempotent.
func (l *Log) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	if l.failed == nil && len(l.segs) > 0 && l.active().isOpen() {
		// Saves recovery the rebuild; not a sync.
		errs = append(errs, l.active().flushIndex(context.Background()))
	}
	errs = append(errs, l.closeSegments())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("partition: close %s: %w", l.key, err)
	}
	return nil
}

func (l *Log) closeSegments() error {
	var errs []error
	for _, seg := range l.segs {
		errs = append(errs, seg.close())
	}
	l.sealedOpen = 0
	return errors.Join(errs...)
}

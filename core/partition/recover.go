package partition

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/runnel-io/runnel/plugins/storage"
)

// Recovery reports what Open found in the active segment and what it fixed.
type Recovery struct {
	Segment storage.SegmentID
	// VerifiedMessages is how many messages Open checked (checksum, offset,
	// index entry); FullScan is set when it checked the whole segment.
	VerifiedMessages uint32
	FullScan         bool
	// LogBytesTruncated is the torn tail cut from the log, TailReason why
	// the first byte of it is not a valid message.
	LogBytesTruncated uint64
	TailReason        string
	// IndexEntriesDropped counts index entries removed (torn, past the log,
	// or not matching it); IndexEntriesRebuilt the entries written back from
	// the log.
	IndexEntriesDropped uint64
	IndexEntriesRebuilt uint32
}

// Changed reports whether Open had to modify any file.
func (r Recovery) Changed() bool {
	return r.LogBytesTruncated > 0 || r.IndexEntriesDropped > 0 || r.IndexEntriesRebuilt > 0
}

// Open opens the log of partition key in store, creating its first segment
// if it has none, and recovers the active (last) segment. Sealed segments
// are not read: Open learns their sizes and opens them on first use.
func Open(ctx context.Context, store storage.Store, key storage.PartitionKey, cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Log{store: store, key: key, cfg: cfg.WithDefaults()}
	if err := l.open(ctx); err != nil {
		_ = l.closeSegments()
		var ce *CorruptionError
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, fmt.Errorf("partition: open %s: %w", key, err)
	}
	return l, nil
}

func (l *Log) open(ctx context.Context) error {
	ids, err := l.store.Segments(ctx, l.key)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		seg, err := l.createSegment(ctx, 0)
		if err != nil {
			return err
		}
		l.segs = []*segment{seg}
		return nil
	}
	for i, id := range ids[:len(ids)-1] {
		count := ids[i+1].BaseOffset - id.BaseOffset
		if count > math.MaxUint32 {
			return fmt.Errorf("segment %s spans %d offsets, more than a segment can hold", l.store.Path(id, storage.FileLog), count)
		}
		size, err := l.logSize(ctx, id)
		if err != nil {
			return err
		}
		l.segs = append(l.segs, &segment{id: id, count: uint32(count), sizeBytes: size, sealed: true})
		l.sizeBytes += size
	}
	active, err := l.recoverActive(ctx, ids[len(ids)-1])
	if err != nil {
		return err
	}
	l.segs = append(l.segs, active)
	l.sizeBytes += active.sizeBytes
	l.next = active.next()
	return l.loadLastTimestamp(ctx)
}

// loadLastTimestamp restores the newest stamp so stamps never go down
// across a restart. An empty active segment takes it from the segment
// before, the one sealed segment Open reads (a single index entry).
func (l *Log) loadLastTimestamp(ctx context.Context) error {
	for i := len(l.segs) - 1; i >= 0; i-- {
		seg := l.segs[i]
		if seg.count == 0 {
			continue
		}
		if err := l.use(ctx, seg); err != nil {
			return err
		}
		l.lastTimestamp = seg.lastTimestamp
		return nil
	}
	return nil
}

// recoverActive opens the last segment and makes log and index agree:
// verify the tail, cut a torn tail, refuse damage in the middle, fix and
// complete the index.
func (l *Log) recoverActive(ctx context.Context, id storage.SegmentID) (*segment, error) {
	seg := &segment{id: id}
	var err error
	if seg.log, err = l.store.Open(ctx, id, storage.FileLog, false); err != nil {
		return nil, err
	}
	if seg.index, err = l.store.Open(ctx, id, storage.FileIndex, true); err != nil {
		_ = seg.close()
		return nil, err
	}
	if err := l.recoverSegment(ctx, seg); err != nil {
		_ = seg.close()
		return nil, err
	}
	return seg, nil
}

func (l *Log) recoverSegment(ctx context.Context, seg *segment) error {
	sc := newScan(l, seg)
	entries := uint32(min(uint64(seg.index.Size())/entrySize, segmentBytesLimit))
	seg.indexed = entries
	startRel, startPos, err := l.verifyStart(ctx, seg, sc, entries)
	if err != nil {
		return err
	}
	res, err := sc.verify(ctx, startRel, startPos, entries)
	if err != nil {
		return err
	}
	if startRel > 0 && (res.count == startRel || res.indexGood == startRel) {
		// The entry Open started from does not match the log, so no
		// entry before it is trusted either: verify everything.
		startRel = 0
		if res, err = sc.verify(ctx, 0, 0, entries); err != nil {
			return err
		}
	}
	if res.bad != "" {
		if err := l.refuseIfFollowed(ctx, sc, res); err != nil {
			return err
		}
	}
	l.recovery = Recovery{
		Segment:          seg.id,
		VerifiedMessages: res.verifiedCount,
		FullScan:         startRel == 0,
		TailReason:       res.bad,
	}
	return l.repair(ctx, seg, sc, res)
}

// verifyStart picks the message Open verifies from: the last indexed one
// that starts before the last RecoveryVerifyTailBytes of the log, found by
// binary search over the index (a few 16-byte reads).
func (l *Log) verifyStart(ctx context.Context, seg *segment, sc *scan, entries uint32) (uint32, uint64, error) {
	if entries == 0 || sc.log.size <= l.cfg.RecoveryVerifyTailBytes {
		return 0, 0, nil
	}
	target := sc.log.size - l.cfg.RecoveryVerifyTailBytes
	var ferr error
	j := sort.Search(int(entries), func(i int) bool {
		e, err := seg.readEntry(ctx, uint32(i))
		if err != nil {
			ferr = err
			return true
		}
		return uint64(e.position) >= target
	})
	if ferr != nil {
		return 0, 0, ferr
	}
	if j == 0 {
		return 0, 0, nil
	}
	start := uint32(j - 1)
	e, err := seg.readEntry(ctx, start)
	if err != nil {
		return 0, 0, err
	}
	if e.rel != start {
		return 0, 0, nil
	}
	return start, uint64(e.position), nil
}

// refuseIfFollowed returns a CorruptionError if a valid message follows the
// first bad frame: then the bad frame is damage in the middle of the log,
// and cutting there would drop good data.
func (l *Log) refuseIfFollowed(ctx context.Context, sc *scan, res verified) error {
	offset := sc.seg.base() + uint64(res.count)
	pos, followerOffset, found, err := sc.findFollower(ctx, res.end+1, offset)
	if err != nil || !found {
		return err
	}
	return &CorruptionError{
		Path: sc.logPath, Position: int64(res.end), Offset: offset,
		Reason: fmt.Sprintf("%s, and a valid message (offset %d) follows at byte %d", res.bad, followerOffset, pos),
	}
}

// repair cuts the log after the last valid message and makes the index
// exactly one matching entry per message. Each step is durable before the
// next, and repeating it finds nothing to do.
func (l *Log) repair(ctx context.Context, seg *segment, sc *scan, res verified) error {
	if res.end < uint64(seg.log.Size()) {
		l.recovery.LogBytesTruncated = uint64(seg.log.Size()) - res.end
		if err := seg.log.Truncate(ctx, int64(res.end)); err != nil {
			return err
		}
	}
	keep := int64(res.indexGood) * entrySize
	if seg.index.Size() > keep {
		l.recovery.IndexEntriesDropped = uint64(seg.index.Size()-keep+entrySize-1) / entrySize
		if err := seg.index.Truncate(ctx, keep); err != nil {
			return err
		}
	}
	if res.indexGood < res.count {
		l.recovery.IndexEntriesRebuilt = res.count - res.indexGood
		if err := sc.rebuildIndex(ctx, res.indexGood, res.indexGoodPosition, res.count); err != nil {
			return err
		}
		if err := seg.index.Sync(ctx); err != nil {
			return err
		}
	}
	seg.count, seg.sizeBytes, seg.indexed = res.count, res.end, res.count
	if seg.count > 0 {
		return l.loadTimestamps(ctx, seg)
	}
	return nil
}

package partition

import (
	"context"
	"fmt"

	"github.com/runnel-io/runnel/plugins/storage"
)

// SegmentInfo describes one segment for a caller that places segments in
// storage tiers (what is local, what is archived).
type SegmentInfo struct {
	ID storage.SegmentID
	// NextOffset is one past the segment's last message (its base when
	// empty).
	NextOffset uint64
	// SizeBytes is the size of the .log file.
	SizeBytes uint64
	Sealed    bool
}

// Segments lists every local segment, oldest first; it does no I/O.
func (l *Log) Segments() []SegmentInfo {
	out := make([]SegmentInfo, len(l.segs))
	for i, seg := range l.segs {
		out[i] = SegmentInfo{ID: seg.id, NextOffset: seg.next(), SizeBytes: seg.sizeBytes, Sealed: seg.sealed}
	}
	return out
}

// ApplyRetentionWhere is ApplyRetention for a log whose segments may only
// go once removable says so (they are safe in an archive): it stops at the
// oldest segment that breaks a rule but is not removable, so the local
// segments stay a contiguous suffix. A nil removable allows every removal.
func (l *Log) ApplyRetentionWhere(ctx context.Context, nowMicros, maxAgeMicros, maxBytes uint64, removable func(storage.SegmentID) bool) (int, error) {
	if err := l.writable(); err != nil {
		return 0, fmt.Errorf("partition: retention %s: %w", l.key, err)
	}
	removed := 0
	for len(l.segs) > 1 {
		expired, err := l.expired(ctx, l.segs[0], nowMicros, maxAgeMicros, maxBytes)
		if err != nil || !expired || (removable != nil && !removable(l.segs[0].id)) {
			return removed, err
		}
		if err := l.removeSegment(ctx, l.segs[0]); err != nil {
			return removed, fmt.Errorf("partition: retention %s: %w", l.key, err)
		}
		l.segs = l.segs[1:]
		removed++
	}
	return removed, nil
}

// RemoveSealedWhere removes the oldest sealed segments while removable says
// so, stopping at the first it refuses: the "active segment only" local
// policy, where sealed segments live in the archive alone.
func (l *Log) RemoveSealedWhere(ctx context.Context, removable func(storage.SegmentID) bool) (int, error) {
	if err := l.writable(); err != nil {
		return 0, fmt.Errorf("partition: remove sealed %s: %w", l.key, err)
	}
	removed := 0
	for len(l.segs) > 1 && removable(l.segs[0].id) {
		if err := l.removeSegment(ctx, l.segs[0]); err != nil {
			return removed, fmt.Errorf("partition: remove sealed %s: %w", l.key, err)
		}
		l.segs = l.segs[1:]
		removed++
	}
	return removed, nil
}

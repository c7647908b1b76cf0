package partition

import (
	"context"
	"fmt"
	"sort"
)

// DeleteOldestSegments removes the n oldest segments (Iggy's
// DeleteSegments) and returns how many went. Removing the active segment
// too first starts an empty one at NextOffset, so offsets never go back and
// a crash half way leaves a valid log. Segments go oldest first, so a crash
// leaves a contiguous suffix.
func (l *Log) DeleteOldestSegments(ctx context.Context, n int) (int, error) {
	if err := l.writable(); err != nil {
		return 0, fmt.Errorf("partition: delete segments %s: %w", l.key, err)
	}
	if n <= 0 {
		return 0, nil
	}
	k := min(n, len(l.segs))
	counted := 0
	if k == len(l.segs) {
		if l.active().sizeBytes == 0 {
			k-- // the empty active segment already is the fresh one
			counted = 1
		} else if err := l.rotate(ctx); err != nil {
			return 0, fmt.Errorf("partition: delete segments %s: %w", l.key, err)
		}
	}
	removed, err := l.removeOldest(ctx, k)
	if err != nil {
		return removed, fmt.Errorf("partition: delete segments %s: %w", l.key, err)
	}
	return removed + counted, nil
}

// removeOldest removes the k oldest segments; the active one must not be
// among them.
func (l *Log) removeOldest(ctx context.Context, k int) (int, error) {
	for i := range k {
		if err := l.removeSegment(ctx, l.segs[0]); err != nil {
			return i, err
		}
		l.segs = l.segs[1:]
	}
	return k, nil
}

func (l *Log) removeSegment(ctx context.Context, seg *segment) error {
	if seg.isOpen() {
		if seg.sealed {
			l.sealedOpen--
		}
		// The files are about to go; a close error changes nothing.
		_ = seg.close()
	}
	if err := l.store.RemoveSegment(ctx, seg.id); err != nil {
		return err
	}
	l.sizeBytes -= seg.sizeBytes
	return nil
}

// Purge removes every message (Iggy's purge): all segments go, oldest
// first, and offsets restart at 0 in a new empty segment.
func (l *Log) Purge(ctx context.Context) error {
	if err := l.writable(); err != nil {
		return fmt.Errorf("partition: purge %s: %w", l.key, err)
	}
	for len(l.segs) > 0 {
		if err := l.removeSegment(ctx, l.segs[0]); err != nil {
			if len(l.segs) == 1 {
				l.fail(err) // the active segment's files are closed
			}
			return fmt.Errorf("partition: purge %s: %w", l.key, err)
		}
		l.segs = l.segs[1:]
	}
	seg, err := l.createSegment(ctx, 0)
	if err != nil {
		l.fail(err)
		l.segs = []*segment{{}} // keeps accessors working on a failed log
		return fmt.Errorf("partition: purge %s: %w", l.key, err)
	}
	l.segs = []*segment{seg}
	l.next, l.lastTimestamp, l.sizeBytes, l.sealedOpen = 0, 0, 0, 0
	return nil
}

// ApplyRetention removes the oldest sealed segments while they break a
// rule: the newest message is at least maxAgeMicros older than nowMicros,
// or the log is larger than maxBytes. A zero limit disables its rule. The
// active segment is never removed. Iggy's topic-level rule (trim at 90 % of
// max_topic_size over all partitions) is the caller's: it passes the share
// of this partition.
func (l *Log) ApplyRetention(ctx context.Context, nowMicros, maxAgeMicros, maxBytes uint64) (int, error) {
	return l.ApplyRetentionWhere(ctx, nowMicros, maxAgeMicros, maxBytes, nil)
}

func (l *Log) expired(ctx context.Context, seg *segment, now, maxAge, maxBytes uint64) (bool, error) {
	if maxBytes > 0 && l.sizeBytes > maxBytes {
		return true, nil
	}
	if maxAge == 0 || now < maxAge {
		return false, nil
	}
	if err := l.use(ctx, seg); err != nil {
		return false, fmt.Errorf("partition: retention %s: %w", l.key, err)
	}
	return seg.timestampsKnown && seg.lastTimestamp <= now-maxAge, nil
}

// OffsetAtTimestamp returns the offset of the first message stamped at or
// after timestampMicros, and false if every message is older. Stamps never
// go down, so it binary searches the segments by their last stamp (opening
// O(log segments) of them), then the chosen segment's index.
func (l *Log) OffsetAtTimestamp(ctx context.Context, timestampMicros uint64) (uint64, bool, error) {
	if err := l.usable(); err != nil {
		return 0, false, fmt.Errorf("partition: find timestamp %s: %w", l.key, err)
	}
	var ferr error
	i := sort.Search(len(l.segs), func(i int) bool {
		seg := l.segs[i]
		if ferr != nil || seg.count == 0 {
			return true
		}
		if err := l.use(ctx, seg); err != nil {
			ferr = err
			return true
		}
		return seg.lastTimestamp >= timestampMicros
	})
	for ; ferr == nil && i < len(l.segs); i++ {
		seg := l.segs[i]
		if seg.count == 0 {
			continue
		}
		rel, err := l.searchSegment(ctx, seg, timestampMicros)
		if err != nil {
			ferr = err
			break
		}
		if rel < seg.count {
			return seg.base() + uint64(rel), true, nil
		}
	}
	if ferr != nil {
		return 0, false, fmt.Errorf("partition: find timestamp %s: %w", l.key, ferr)
	}
	return 0, false, nil
}

// searchSegment returns the first entry of seg stamped at or after ts, or
// seg.count.
func (l *Log) searchSegment(ctx context.Context, seg *segment, ts uint64) (uint32, error) {
	if err := l.use(ctx, seg); err != nil {
		return 0, err
	}
	var ferr error
	j := sort.Search(int(seg.count), func(j int) bool {
		e, err := seg.readEntry(ctx, uint32(j))
		if err != nil {
			ferr = err
			return true
		}
		return e.timestamp >= ts
	})
	return uint32(j), ferr
}

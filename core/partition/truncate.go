package partition

import (
	"context"
	"fmt"

	"github.com/runnel-io/runnel/plugins/storage"
)

// TruncateTo cuts the log so that NextOffset() == next, removing every
// message at or after next, durably: file truncations and removals are
// synced before it returns, and so is every message kept. It is how a
// replica that rebuilds the log from a checkpoint and a journal puts the
// log back where the checkpoint says it was, whatever a crash left on disk.
//
//   - next >= NextOffset(): nothing to do (a log shorter than the caller
//     expected is the caller's to handle).
//   - FirstOffset() <= next: the segments after the one holding next are
//     removed, newest first, and that one is cut at message next (log and
//     index) and becomes the active segment, writable again. When next is
//     a segment's base, that segment stays, emptied, as the active one,
//     like just after a rotation.
//   - next < FirstOffset() (retention removed the messages before it):
//     every segment goes and an empty one starts at base next.
//
// Afterwards the Log is what Open would make of its files: Append
// continues at next, older messages read back unchanged, and the newest
// stamp is the one of message next-1 (0 when the log is empty).
//
// The cut point is checked first (message next-1 must end exactly where
// the index says message next starts), so a corrupt segment is refused
// with a *CorruptionError before anything changes. A failed file operation
// after that stops the Log like a failed write (reopen to recover); every
// step leaves files Open accepts, and calling TruncateTo again after the
// reopen finishes the job. One window is left: when next < FirstOffset, a
// crash after the last old segment is removed and before the new one is
// made leaves no segment, and Open then starts an empty log at offset 0.
//
// The storage contract forbids Truncate beside Sync: do not call it while
// a SyncPoint's Sync is still running.
func (l *Log) TruncateTo(ctx context.Context, next uint64) error {
	if err := l.truncateTo(ctx, next); err != nil {
		return fmt.Errorf("partition: truncate %s to %d: %w", l.key, next, err)
	}
	return nil
}

func (l *Log) truncateTo(ctx context.Context, next uint64) error {
	if err := l.writable(); err != nil {
		return err
	}
	if next >= l.next {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if next < l.FirstOffset() {
		return l.restartAt(ctx, next)
	}
	i := l.segmentFor(next)
	seg := l.segs[i]
	rel := uint32(next - seg.base())
	pos, err := l.cutPosition(ctx, seg, rel)
	if err != nil {
		return err // nothing changed yet
	}
	if err := l.removeAfter(ctx, i); err != nil {
		return l.fail(err)
	}
	if err := l.cut(ctx, seg, rel, pos); err != nil {
		return l.fail(err)
	}
	return nil
}

// cutPosition returns the log position of message rel of seg, after
// checking that message rel-1 is valid and ends exactly there: a stale or
// damaged index must not decide where good data is cut.
func (l *Log) cutPosition(ctx context.Context, seg *segment, rel uint32) (uint64, error) {
	if rel == 0 {
		return 0, nil
	}
	if err := l.use(ctx, seg); err != nil {
		return 0, err
	}
	var entries [2 * entrySize]byte
	if err := seg.readEntries(ctx, entries[:], rel-1); err != nil {
		return 0, err
	}
	prev, at := getEntry(entries[:]), getEntry(entries[entrySize:])
	if prev.rel != rel-1 || at.rel != rel || at.position <= prev.position || uint64(at.position) > seg.sizeBytes {
		return 0, &CorruptionError{Path: l.store.Path(seg.id, storage.FileIndex), Position: int64(rel-1) * entrySize,
			Offset: seg.base() + uint64(rel-1),
			Reason: fmt.Sprintf("entries (%d at %d) and (%d at %d) do not bound a message inside the %d-byte log", prev.rel, prev.position, at.rel, at.position, seg.sizeBytes)}
	}
	frame := make([]byte, at.position-prev.position)
	if _, err := seg.log.ReadAt(ctx, frame, int64(prev.position)); err != nil {
		return 0, err
	}
	if _, _, fault := CheckFrames(frame, uint64(prev.position), entries[:entrySize], seg.base()+uint64(rel-1), 1); fault != nil {
		return 0, &CorruptionError{Path: l.store.Path(seg.id, storage.FileLog), Position: int64(prev.position),
			Offset: fault.Offset, Reason: "message before the cut: " + fault.Reason}
	}
	return uint64(at.position), nil
}

// removeAfter removes the segments after segs[i], newest first, so a crash
// leaves a contiguous prefix whose last segment Open recovers as active.
func (l *Log) removeAfter(ctx context.Context, i int) error {
	for len(l.segs) > i+1 {
		last := l.segs[len(l.segs)-1]
		if err := l.removeSegment(ctx, last); err != nil {
			return err
		}
		l.segs = l.segs[:len(l.segs)-1]
		l.next = l.active().next()
	}
	return nil
}

// cut makes seg, now the last segment, hold exactly rel messages in pos
// bytes and turns it into the active segment. The log is cut before the
// index: a crash in between leaves index entries past the log, which
// recovery drops.
func (l *Log) cut(ctx context.Context, seg *segment, rel uint32, pos uint64) error {
	if err := l.openForCut(ctx, seg); err != nil {
		return err
	}
	if uint64(seg.log.Size()) > pos {
		if err := seg.log.Truncate(ctx, int64(pos)); err != nil {
			return err
		}
	}
	l.sizeBytes -= seg.sizeBytes - pos
	seg.count, seg.sizeBytes = rel, pos
	keep := min(seg.indexed, rel)
	if seg.index.Size() > int64(keep)*entrySize {
		if err := seg.index.Truncate(ctx, int64(keep)*entrySize); err != nil {
			return err
		}
	}
	if rel > seg.indexed {
		seg.pending = seg.pending[:(rel-seg.indexed)*entrySize]
	} else {
		seg.pending = nil
	}
	seg.indexed = keep
	l.next = seg.next()
	if err := l.syncSegment(ctx, seg); err != nil {
		return err
	}
	seg.firstTimestamp, seg.lastTimestamp, seg.timestampsKnown = 0, 0, false
	if seg.count > 0 {
		if err := l.loadTimestamps(ctx, seg); err != nil {
			return err
		}
	}
	l.lastTimestamp = 0
	return l.loadLastTimestamp(ctx)
}

// openForCut gives seg the open files of an active segment. A sealed
// segment cut at its base was not opened (and so not verified) by
// cutPosition: its bytes all go.
func (l *Log) openForCut(ctx context.Context, seg *segment) error {
	if !seg.sealed {
		return nil
	}
	if seg.isOpen() {
		l.sealedOpen-- // becomes the active segment, which is not counted
		seg.sealed = false
		return nil
	}
	seg.sealed = false
	var err error
	if seg.log, err = l.store.Open(ctx, seg.id, storage.FileLog, false); err != nil {
		return err
	}
	if seg.index, err = l.store.Open(ctx, seg.id, storage.FileIndex, true); err != nil {
		_ = seg.close()
		return err
	}
	seg.indexed = seg.count // the log size was learnt at Open
	return nil
}

// restartAt removes every segment, oldest first (a crash leaves a
// contiguous suffix), and starts an empty active segment at base next.
func (l *Log) restartAt(ctx context.Context, next uint64) error {
	if _, err := l.removeOldest(ctx, len(l.segs)-1); err != nil {
		return l.fail(err)
	}
	if err := l.removeSegment(ctx, l.active()); err != nil {
		return l.fail(err) // the active segment's files are closed
	}
	// From here until createSegment returns, the partition has no segment
	// on disk: Open would start it empty at offset 0.
	l.segs = []*segment{{id: storage.SegmentID{PartitionKey: l.key, BaseOffset: next}}}
	l.next, l.lastTimestamp, l.sizeBytes, l.sealedOpen = next, 0, 0, 0
	seg, err := l.createSegment(ctx, next)
	if err != nil {
		return l.fail(err) // the placeholder keeps accessors working
	}
	l.segs[0] = seg
	return nil
}

package partition

import "fmt"

// CheckInvariants reports the first way l's in-memory state disagrees
// with itself: tests call it after every operation.
func CheckInvariants(l *Log) error {
	if len(l.segs) == 0 {
		return fmt.Errorf("no segment")
	}
	var size uint64
	open := 0
	for i, seg := range l.segs {
		size += seg.sizeBytes
		last := i == len(l.segs)-1
		if seg.sealed == last {
			return fmt.Errorf("segment %s: sealed %t, last %t", seg.id, seg.sealed, last)
		}
		if seg.sealed && seg.isOpen() {
			open++
		}
		if !last && seg.next() != l.segs[i+1].base() {
			return fmt.Errorf("segment %s ends at %d, the next starts at %d", seg.id, seg.next(), l.segs[i+1].base())
		}
		if seg.sealed && (seg.count == 0 || seg.pending != nil) {
			return fmt.Errorf("sealed segment %s: %d messages, %d pending bytes", seg.id, seg.count, len(seg.pending))
		}
	}
	a := l.active()
	switch {
	case size != l.sizeBytes:
		return fmt.Errorf("segments hold %d bytes, the log counts %d", size, l.sizeBytes)
	case open != l.sealedOpen || open > l.cfg.SealedSegmentsOpenMax:
		return fmt.Errorf("%d sealed segments open, the log counts %d (max %d)", open, l.sealedOpen, l.cfg.SealedSegmentsOpenMax)
	case !a.isOpen():
		return fmt.Errorf("active segment %s closed", a.id)
	case a.next() != l.next:
		return fmt.Errorf("active segment ends at %d, next is %d", a.next(), l.next)
	case uint64(a.log.Size()) != a.sizeBytes:
		return fmt.Errorf("active log holds %d bytes, the segment counts %d", a.log.Size(), a.sizeBytes)
	case a.index.Size() != int64(a.indexed)*entrySize || a.indexed+uint32(len(a.pending)/entrySize) != a.count:
		return fmt.Errorf("active index: %d bytes, %d indexed + %d pending, %d messages", a.index.Size(), a.indexed, len(a.pending)/entrySize, a.count)
	case a.count > 0 && (!a.timestampsKnown || a.lastTimestamp != l.lastTimestamp):
		return fmt.Errorf("active last stamp %d (known %t), log %d", a.lastTimestamp, a.timestampsKnown, l.lastTimestamp)
	}
	return nil
}

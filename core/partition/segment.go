package partition

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

const entrySize = wire.IndexEntrySize

// entry is one index entry: the message at BaseOffset+rel starts at byte
// position of the log and was stamped with timestamp.
type entry struct {
	rel       uint32
	position  uint32
	timestamp uint64
}

func putEntry(b []byte, e entry) {
	_ = b[entrySize-1]
	binary.LittleEndian.PutUint32(b[0:], e.rel)
	binary.LittleEndian.PutUint32(b[4:], e.position)
	binary.LittleEndian.PutUint64(b[8:], e.timestamp)
}

func getEntry(b []byte) entry {
	_ = b[entrySize-1]
	return entry{
		rel:       binary.LittleEndian.Uint32(b[0:]),
		position:  binary.LittleEndian.Uint32(b[4:]),
		timestamp: binary.LittleEndian.Uint64(b[8:]),
	}
}

// segment is what the log keeps in memory per segment: a few words, and the
// two files only while open. Sealed segments start closed and open on
// first use.
type segment struct {
	id        storage.SegmentID
	count     uint32 // messages
	sizeBytes uint64 // bytes of the .log
	sealed    bool

	log, index storage.File // nil while closed
	dirty      bool         // appended since the last Sync (active only)

	// The index file holds entries [0, indexed); pending holds the rest, not
	// written yet (active segment only). Recovery rebuilds entries a crash
	// loses from the log, so they need not reach the file with the frames.
	indexed  uint32
	pending  []byte
	lastUsed uint64 // Log.tick at last use, for closing the least recently used

	// firstTimestamp and lastTimestamp are the stamps of the first and last
	// message, valid when timestampsKnown (the segment was opened and has
	// messages).
	firstTimestamp, lastTimestamp uint64
	timestampsKnown               bool
}

func (s *segment) base() uint64 { return s.id.BaseOffset }
func (s *segment) next() uint64 { return s.id.BaseOffset + uint64(s.count) }
func (s *segment) isOpen() bool { return s.log != nil }

func (s *segment) close() error {
	var errs []error
	for _, f := range []storage.File{s.log, s.index} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	s.log, s.index = nil, nil
	return errors.Join(errs...)
}

// readEntry reads entry i of the segment's index.
func (s *segment) readEntry(ctx context.Context, i uint32) (entry, error) {
	var b [entrySize]byte
	if err := s.readEntries(ctx, b[:], i); err != nil {
		return entry{}, err
	}
	return getEntry(b[:]), nil
}

// readEntries reads entries [from, from+len(b)/entrySize) into b: from the
// index file, then from the entries not yet written to it.
func (s *segment) readEntries(ctx context.Context, b []byte, from uint32) error {
	if from < s.indexed {
		k := min(uint32(len(b)/entrySize), s.indexed-from)
		n, err := s.index.ReadAt(ctx, b[:k*entrySize], int64(from)*entrySize)
		if err != nil && !(errors.Is(err, io.EOF) && n == int(k)*entrySize) {
			return err
		}
		b, from = b[k*entrySize:], from+k
	}
	if len(b) == 0 {
		return nil
	}
	at := int(from-s.indexed) * entrySize
	if at+len(b) > len(s.pending) {
		return fmt.Errorf("index entry %d past the %d entries of segment %s", from+uint32(len(b)/entrySize)-1, uint32(len(s.pending)/entrySize)+s.indexed, s.id)
	}
	copy(b, s.pending[at:])
	return nil
}

// flushIndex writes the pending index entries to the index file. A buffer
// grown by an unusually large batch is dropped rather than kept.
func (s *segment) flushIndex(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	if _, err := s.index.Append(ctx, [][]byte{s.pending}); err != nil {
		return err
	}
	s.indexed += uint32(len(s.pending) / entrySize)
	s.pending = s.pending[:0]
	if cap(s.pending) > 2*indexPendingBytesMax {
		s.pending = nil
	}
	return nil
}

// createSegment makes the files of a new, empty segment at base. A stale
// index left by an interrupted removal is emptied; a log with data is an
// error, never overwritten.
func (l *Log) createSegment(ctx context.Context, base uint64) (*segment, error) {
	id := storage.SegmentID{PartitionKey: l.key, BaseOffset: base}
	log, err := l.store.Open(ctx, id, storage.FileLog, true)
	if err != nil {
		return nil, err
	}
	seg := &segment{id: id, log: log}
	if log.Size() != 0 {
		_ = seg.close()
		return nil, fmt.Errorf("new segment %s already holds %d bytes", l.store.Path(id, storage.FileLog), log.Size())
	}
	if seg.index, err = l.store.Open(ctx, id, storage.FileIndex, true); err != nil {
		_ = seg.close()
		return nil, err
	}
	if seg.index.Size() != 0 {
		if err := seg.index.Truncate(ctx, 0); err != nil {
			_ = seg.close()
			return nil, err
		}
	}
	return seg, nil
}

// logSize learns a sealed segment's size without keeping it open.
func (l *Log) logSize(ctx context.Context, id storage.SegmentID) (uint64, error) {
	f, err := l.store.Open(ctx, id, storage.FileLog, false)
	if err != nil {
		return 0, err
	}
	size := f.Size()
	if err := f.Close(); err != nil {
		return 0, err
	}
	return uint64(size), nil
}

// use marks seg as just used and opens it if closed, closing the least
// recently used sealed segment beyond the limit.
func (l *Log) use(ctx context.Context, seg *segment) error {
	l.tick++
	seg.lastUsed = l.tick
	if seg.isOpen() {
		return nil
	}
	if err := l.openSealed(ctx, seg); err != nil {
		return err
	}
	l.sealedOpen++
	for l.sealedOpen > l.cfg.SealedSegmentsOpenMax {
		l.closeLeastRecentlyUsed(seg)
	}
	return nil
}

func (l *Log) closeLeastRecentlyUsed(keep *segment) {
	var lru *segment
	for _, s := range l.segs {
		if s.sealed && s.isOpen() && s != keep && (lru == nil || s.lastUsed < lru.lastUsed) {
			lru = s
		}
	}
	if lru == nil {
		l.sealedOpen = 0
		return
	}
	// A close error on a read-only descriptor loses nothing.
	_ = lru.close()
	l.sealedOpen--
}

// openSealed opens a sealed segment and checks its index cheaply: the size
// must be one entry per message and the last entry must be the last
// message's. Otherwise the index is rebuilt from a full verification of the
// log, which must hold exactly the messages up to the next segment's base.
func (l *Log) openSealed(ctx context.Context, seg *segment) error {
	var err error
	if seg.log, err = l.store.Open(ctx, seg.id, storage.FileLog, false); err != nil {
		return err
	}
	seg.sizeBytes = uint64(seg.log.Size())
	if seg.index, err = l.store.Open(ctx, seg.id, storage.FileIndex, true); err != nil {
		_ = seg.close()
		return err
	}
	seg.indexed = seg.count
	ok, err := l.sealedIndexLooksRight(ctx, seg)
	if err == nil && !ok {
		err = l.rebuildSealed(ctx, seg)
	}
	if err == nil && seg.count > 0 {
		err = l.loadTimestamps(ctx, seg)
	}
	if err != nil {
		_ = seg.close()
		return err
	}
	return nil
}

func (l *Log) sealedIndexLooksRight(ctx context.Context, seg *segment) (bool, error) {
	if uint64(seg.index.Size()) != uint64(seg.count)*entrySize {
		return false, nil
	}
	if seg.count == 0 {
		return seg.sizeBytes == 0, nil
	}
	last, err := seg.readEntry(ctx, seg.count-1)
	if err != nil {
		return false, err
	}
	return last.rel == seg.count-1 && uint64(last.position)+wire.MessageHeaderSize <= seg.sizeBytes, nil
}

func (l *Log) loadTimestamps(ctx context.Context, seg *segment) error {
	first, err := seg.readEntry(ctx, 0)
	if err != nil {
		return err
	}
	last, err := seg.readEntry(ctx, seg.count-1)
	if err != nil {
		return err
	}
	seg.firstTimestamp, seg.lastTimestamp, seg.timestampsKnown = first.timestamp, last.timestamp, true
	return nil
}

// rebuildSealed verifies every message of a sealed segment and rewrites its
// index. Anything short of exactly count valid messages filling the log is
// corruption: a sealed segment was synced before its successor existed.
func (l *Log) rebuildSealed(ctx context.Context, seg *segment) error {
	sc := newScan(l, seg)
	res, err := sc.verify(ctx, 0, 0, 0)
	if err != nil {
		return err
	}
	logPath := l.store.Path(seg.id, storage.FileLog)
	switch {
	case res.bad != "":
		return &CorruptionError{Path: logPath, Position: int64(res.end), Offset: seg.base() + uint64(res.count),
			Reason: "sealed segment: " + res.bad}
	case res.count != seg.count:
		return &CorruptionError{Path: logPath, Position: int64(res.end), Offset: seg.base() + uint64(res.count),
			Reason: fmt.Sprintf("sealed segment holds %d messages, the next segment starts %d after it", res.count, seg.count)}
	}
	if err := seg.index.Truncate(ctx, 0); err != nil {
		return err
	}
	if err := sc.rebuildIndex(ctx, 0, 0, seg.count); err != nil {
		return err
	}
	return seg.index.Sync(ctx)
}

package vsrstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// ErrBroken is returned by every Persist after one failed: see Store.err.
var ErrBroken = errors.New("store failed earlier; reopen it")

// Persist makes rd's writes durable in the order core/vsr requires:
// checkpoint, then every superblock copy, then the journal writes (each
// prepare, then its redundant header). When it returns nil the host may
// send rd.Messages and call Advance. Any error is fatal for this replica
// incarnation: the disk holds a prefix of the ordered writes (exactly what
// a crash leaves), so the host drops the replica and Opens the store
// again; the store refuses further use (ErrBroken).
//
// Limits are checked before anything is written, so an oversized
// checkpoint or prepare leaves the disk untouched.
func (s *Store) Persist(ctx context.Context, rd vsr.Ready) error {
	if s.err != nil {
		return fmt.Errorf("vsrstore: %w (%w)", ErrBroken, s.err)
	}
	if err := s.check(&rd); err != nil {
		return err
	}
	if err := s.persist(ctx, &rd); err != nil {
		s.err = err
		return err
	}
	s.stats.Persists++
	return nil
}

func (s *Store) persist(ctx context.Context, rd *vsr.Ready) error {
	if c := rd.Checkpoint; c != nil {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("vsrstore: persist: %w", err)
		}
		if err := s.writeCheckpoint(c); err != nil {
			return fmt.Errorf("vsrstore: write checkpoint of op %d to slot %d: %w", c.Op, c.Slot, err)
		}
	}
	if rd.Superblock != nil {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("vsrstore: persist: %w", err)
		}
		for i := range vsr.SuperblockCopies {
			if err := s.writeSuperblockCopy(i, rd.Superblock); err != nil {
				return fmt.Errorf("vsrstore: %w", err)
			}
		}
	}
	if len(rd.Writes) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("vsrstore: persist: %w", err)
		}
		if err := s.writeJournal(rd.Writes); err != nil {
			return fmt.Errorf("vsrstore: journal: %w", err)
		}
	}
	return nil
}

// check validates rd against the layout before anything is written.
func (s *Store) check(rd *vsr.Ready) error {
	if c := rd.Checkpoint; c != nil {
		if c.Slot > 1 {
			return fmt.Errorf("vsrstore: checkpoint slot %d (want 0 or 1)", c.Slot)
		}
		if int64(len(c.Data)) > s.cfg.CheckpointSizeBytesMax {
			return fmt.Errorf("vsrstore: %w: checkpoint of op %d is %d bytes, over CheckpointSizeBytesMax %d",
				ErrCheckpointTooLarge, c.Op, len(c.Data), s.cfg.CheckpointSizeBytesMax)
		}
	}
	if n := len(rd.Superblock); n > superblockCopyBytes-superblockFrameBytes {
		return fmt.Errorf("vsrstore: superblock of %d bytes over its %d-byte area", n, superblockCopyBytes-superblockFrameBytes)
	}
	for _, w := range rd.Writes {
		switch {
		case w.Slot >= s.lay.slots || w.Slot != w.Op%s.lay.slots:
			return fmt.Errorf("vsrstore: op %d in slot %d of %d", w.Op, w.Slot, s.lay.slots)
		case len(w.Prepare) < vsr.HeaderSize:
			return fmt.Errorf("vsrstore: prepare of op %d is %d bytes, shorter than a header", w.Op, len(w.Prepare))
		case len(w.Prepare) > s.cfg.PrepareSizeBytesMax:
			return fmt.Errorf("vsrstore: %w: op %d is %d bytes, over PrepareSizeBytesMax %d", ErrPrepareTooLarge,
				w.Op, len(w.Prepare), s.cfg.PrepareSizeBytesMax)
		}
	}
	return nil
}

func (s *Store) writeCheckpoint(c *vsr.CheckpointWrite) error {
	if err := s.writeAt(c.Data, s.lay.checkpointOffset(c.Slot)); err != nil {
		return err
	}
	// Barrier 1: the superblock that follows references this checkpoint
	// (and stops referencing the other slot). Were it durable first, a
	// crash could leave a superblock naming a checkpoint that is torn,
	// and the replica could not restart.
	return s.sync()
}

// writeSuperblockCopy writes copy i and makes it durable.
func (s *Store) writeSuperblockCopy(i int, data []byte) error {
	s.frame = appendSuperblockFrame(s.frame[:0], data)
	if err := s.writeAt(s.frame, s.lay.superblockOffset(i)); err != nil {
		return fmt.Errorf("write superblock copy %d: %w", i, err)
	}
	// Barrier 2 (one per copy): copies land one at a time, so a crash
	// tears at most one of them. Until two copies of the new version are
	// durable, two copies of the previous one still are: some version
	// keeps its read quorum (vsr.SuperblockQuorum) whatever the crash.
	// Written together, all four could tear and the replica would never
	// start again. The last copy's sync also orders the superblock before
	// the journal writes, which may belong to the view it records.
	if err := s.sync(); err != nil {
		return fmt.Errorf("sync superblock copy %d: %w", i, err)
	}
	return nil
}

// writeJournal writes every prepare, then every redundant header.
func (s *Store) writeJournal(writes []vsr.JournalWrite) error {
	// One pwrite per prepare: slots are prepareSlotBytes apart and a
	// prepare usually fills a fraction of its slot, so joining two slots
	// into one pwritev would mean writing the gap (up to a MiB of zeros).
	for _, w := range writes {
		if err := s.writeAt(w.Prepare, s.lay.prepareOffset(w.Slot)); err != nil {
			return fmt.Errorf("write prepare of op %d: %w", w.Op, err)
		}
	}
	// Barrier 3: a redundant header must never be durable before its
	// prepare. A crash between them then leaves either nothing new (a
	// torn write: the op was never acknowledged and restart drops it) or
	// a readable prepare without its header (fine). The other order could
	// leave a fresh header over a torn prepare, which restart must treat
	// as "faulty: may have been acknowledged" — unrepairable in a cluster
	// of one, and a needless repair in a bigger one.
	if err := s.sync(); err != nil {
		return fmt.Errorf("sync prepares: %w", err)
	}
	if err := s.writeHeaders(writes); err != nil {
		return err
	}
	// Barrier 4: Advance lets the replica acknowledge (PrepareOk, replies)
	// and later the redundant header is what proves "this op was written"
	// should the prepare rot: once acknowledged, both must be durable.
	if err := s.sync(); err != nil {
		return fmt.Errorf("sync headers: %w", err)
	}
	return nil
}

// writeHeaders writes the redundant headers with one pwritev per run of
// consecutive slots (the usual batch is one run): each header is followed
// by zeros up to its block so the run is contiguous on disk.
func (s *Store) writeHeaders(writes []vsr.JournalWrite) error {
	for start := 0; start < len(writes); {
		end := start + 1
		for end < len(writes) && writes[end].Slot == writes[end-1].Slot+1 {
			end++
		}
		iov := s.iov[:0]
		for i, w := range writes[start:end] {
			if i > 0 {
				iov = append(iov, s.pad)
			}
			iov = append(iov, w.Prepare[:vsr.HeaderSize])
		}
		n, err := dirstore.WriteVectorAt(s.f, iov, s.lay.headerOffset(writes[start].Slot))
		s.stats.WriteCalls++
		s.stats.BytesWritten += uint64(n)
		clear(iov) // do not keep prepares alive through the scratch slice
		if cap(iov) <= iovScratchMax {
			s.iov = iov[:0]
		}
		if err != nil {
			return fmt.Errorf("write headers of ops %d..%d: %w", writes[start].Op, writes[end-1].Op, err)
		}
		start = end
	}
	return nil
}

func (s *Store) writeAt(b []byte, off int64) error {
	n, err := s.f.WriteAt(b, off)
	s.stats.WriteCalls++
	s.stats.BytesWritten += uint64(n)
	return err
}

// sync is fdatasync: the data and the metadata needed to read it back.
// The file is preallocated and never grows, so no size change is at
// stake. A failure is never retried (see Store.err).
func (s *Store) sync() error {
	s.stats.Syncs++
	return dirstore.DataSync(s.f)
}

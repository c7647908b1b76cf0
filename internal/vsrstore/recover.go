package vsrstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/runnel-io/runnel/core/vsr"
)

func (s *Store) recover(ctx context.Context) (*Recovered, error) {
	rec := &Recovered{}
	sb, repairs, err := s.openSuperblock()
	if err != nil {
		return nil, err
	}
	rec.Superblock, rec.SuperblockRepairs = sb, repairs
	if sb.CheckpointOp > 0 {
		if rec.Checkpoint, err = s.readCheckpoint(sb); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec.Records, err = s.readJournal(ctx, sb.CheckpointOp)
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// openSuperblock reads the copies, lets core/vsr pick the version, and
// performs the repair writes it asks for. Each repair is made durable
// before the next: core/vsr orders them so that a crash during one of
// them never breaks the quorum of the chosen version, which holds only if
// at most one write is in flight at a time.
func (s *Store) openSuperblock() (vsr.Superblock, int, error) {
	copies := make([][]byte, vsr.SuperblockCopies)
	for i := range copies {
		area := make([]byte, superblockCopyBytes)
		if _, err := s.f.ReadAt(area, s.lay.superblockOffset(i)); err != nil {
			return vsr.Superblock{}, 0, fmt.Errorf("read superblock copy %d: %w", i, err)
		}
		copies[i] = unframeSuperblock(area)
	}
	sb, repairs, err := vsr.OpenSuperblock(copies, s.cluster, s.replica)
	if err != nil {
		return vsr.Superblock{}, 0, err
	}
	if sb.Cluster != s.cluster || int(sb.Replica) != s.replica {
		return vsr.Superblock{}, 0, fmt.Errorf("superblock of cluster %d replica %d in a file formatted for cluster %d replica %d",
			sb.Cluster, sb.Replica, s.cluster, s.replica)
	}
	for _, w := range repairs {
		if err := s.writeSuperblockCopy(w.Index, w.Data); err != nil {
			return vsr.Superblock{}, 0, err
		}
	}
	return sb, len(repairs), nil
}

// superblockFrame prefixes a superblock copy with its length: core/vsr's
// encoding is variable-length and its decoder wants the exact bytes.
func appendSuperblockFrame(dst, data []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	return append(dst, data...)
}

// unframeSuperblock returns the copy a superblock area holds. A damaged
// frame returns the raw area, never nil: after Format every copy was
// written, so garbage must count for nothing rather than as "never
// written" (which ReadSuperblock would count as the empty version).
func unframeSuperblock(area []byte) []byte {
	n := binary.LittleEndian.Uint32(area)
	if n == 0 || int(n) > len(area)-superblockFrameBytes || binary.LittleEndian.Uint32(area[4:]) != 0 {
		return area
	}
	return area[superblockFrameBytes : superblockFrameBytes+int(n)]
}

// readCheckpoint reads the checkpoint sb references and verifies it. A
// checkpoint is not repairable here (core/vsr has no fault model for it
// yet): a damaged one is a clear error, not a silent restart from nothing.
func (s *Store) readCheckpoint(sb vsr.Superblock) ([]byte, error) {
	if sb.CheckpointSize > uint64(s.cfg.CheckpointSizeBytesMax) {
		return nil, fmt.Errorf("%w: superblock names %d bytes, the slot holds %d", ErrCheckpointCorrupt,
			sb.CheckpointSize, s.cfg.CheckpointSizeBytesMax)
	}
	b := make([]byte, sb.CheckpointSize)
	if _, err := s.f.ReadAt(b, s.lay.checkpointOffset(sb.CheckpointSlot)); err != nil {
		return nil, fmt.Errorf("read checkpoint slot %d: %w", sb.CheckpointSlot, err)
	}
	if err := sb.VerifyCheckpoint(b); err != nil {
		return nil, fmt.Errorf("%w: slot %d: %w", ErrCheckpointCorrupt, sb.CheckpointSlot, err)
	}
	return b, nil
}

// readJournal returns one record per slot. A slot's redundant header and
// prepare are returned as stored, whatever their state: core/vsr decides
// torn (neither readable), faulty (header readable, prepare not) or
// present. Never-written (all-zero) records are nil. A prepare whose
// verified header says the checkpoint covers it is not read at all:
// core/vsr drops such records.
func (s *Store) readJournal(ctx context.Context, ckptOp uint64) ([]vsr.JournalRecord, error) {
	recs := make([]vsr.JournalRecord, s.lay.slots)
	first := make([]byte, min(blockBytes, s.lay.prepareSlotBytes))
	for slot := range s.lay.slots {
		if slot%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		r := &recs[slot]
		r.Slot = slot
		hdr := make([]byte, vsr.HeaderSize)
		if err := s.readAt(hdr, s.lay.headerOffset(slot)); err != nil {
			return nil, fmt.Errorf("read header of slot %d: %w", slot, err)
		}
		if !allZero(hdr) {
			r.Header = hdr
		}
		p, err := s.readPrepare(slot, first, ckptOp)
		if err != nil {
			return nil, fmt.Errorf("read prepare of slot %d: %w", slot, err)
		}
		r.Prepare = p
	}
	return recs, nil
}

func (s *Store) readPrepare(slot uint64, first []byte, ckptOp uint64) ([]byte, error) {
	off := s.lay.prepareOffset(slot)
	if err := s.readAt(first, off); err != nil {
		return nil, err
	}
	if allZero(first[:vsr.HeaderSize]) {
		return nil, nil
	}
	op, size, ok := vsr.PrepareSize(first[:vsr.HeaderSize])
	if !ok || size > s.cfg.PrepareSizeBytesMax {
		// A damaged header (or a torn prepare): hand it over so the
		// record reads as written but unreadable.
		return append([]byte(nil), first[:vsr.HeaderSize]...), nil
	}
	if op <= ckptOp {
		return nil, nil
	}
	b := make([]byte, size)
	n := copy(b, first)
	if n < len(b) {
		if err := s.readAt(b[n:], off+int64(n)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// readAt reads len(b) bytes; the file is preallocated, so EOF is an error.
func (s *Store) readAt(b []byte, off int64) error {
	_, err := s.f.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("short file at offset %d: %w", off, err)
	}
	return err
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

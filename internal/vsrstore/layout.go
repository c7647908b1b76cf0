package vsrstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zeebo/xxh3"

	"github.com/runnel-io/runnel/core/vsr"
)

// Fixed sizes of the layout. Every area starts on a blockBytes boundary so
// a torn write of one record never reaches the sectors of another.
const (
	blockBytes           = 4096
	formatBytes          = blockBytes // the format header, written last by Format
	superblockFrameBytes = 8          // u32 length + u32 reserved, before each copy
	// superblockCopyBytes fits the largest copy core/vsr encodes, framed.
	superblockCopyBytes = (superblockFrameBytes + vsr.SuperblockSizeMax + blockBytes - 1) / blockBytes * blockBytes
	headerSlotBytes     = blockBytes
	fileName            = "replica.vsr"
	// formatVersion 2: superblock areas sized from vsr.SuperblockSizeMax
	// (4 KiB each; version 1 gave them 8 KiB).
	formatVersion = 2

	defaultCheckpointSizeBytesMax = 64 << 20
)

var formatMagic = [8]byte{'R', 'N', 'L', 'V', 'S', 'R', 0, 1}

// Errors callers can test with errors.Is.
var (
	// (No "vsrstore:" prefix: every error the package returns is
	// prefixed exactly once where it leaves the package.)
	ErrNotFormatted       = errors.New("directory holds no formatted replica")
	ErrFormatVersion      = errors.New("replica formatted by another version of the store")
	ErrFormatted          = errors.New("directory already holds a formatted replica")
	ErrLayout             = errors.New("layout differs from the formatted one")
	ErrCheckpointTooLarge = errors.New("checkpoint larger than its slot")
	ErrCheckpointCorrupt  = errors.New("checkpoint unreadable")
	ErrPrepareTooLarge    = errors.New("prepare larger than its journal slot")
)

// Config sizes a replica's storage. It is fixed at Format; Open refuses a
// different one. Zero fields take defaults.
type Config struct {
	// JournalSlots must equal the replica's vsr.Config.JournalSlots
	// (after WithDefaults): slot = op mod JournalSlots.
	JournalSlots int
	// PrepareSizeBytesMax is the largest encoded prepare (header + body)
	// a journal slot holds. Default: vsr.HeaderSize + vsr.PrepareBodySizeMax,
	// the largest prepare core/vsr accepts. Smaller values (tests) make
	// Persist fail on a larger prepare.
	PrepareSizeBytesMax int
	// CheckpointSizeBytesMax bounds one checkpoint (each of the two slots
	// has this capacity). Default 64 MiB.
	CheckpointSizeBytesMax int64
}

// ConfigFor returns the default storage config for a replica config.
func ConfigFor(vc vsr.Config) Config {
	return Config{JournalSlots: vc.WithDefaults().JournalSlots}
}

func (c Config) withDefaults() Config {
	if c.JournalSlots == 0 {
		c.JournalSlots = vsr.Config{}.WithDefaults().JournalSlots
	}
	if c.PrepareSizeBytesMax == 0 {
		c.PrepareSizeBytesMax = vsr.HeaderSize + vsr.PrepareBodySizeMax
	}
	if c.CheckpointSizeBytesMax == 0 {
		c.CheckpointSizeBytesMax = defaultCheckpointSizeBytesMax
	}
	return c
}

func (c Config) validate() error {
	if c.JournalSlots < 1 || c.JournalSlots > 1<<20 {
		return fmt.Errorf("%d journal slots outside 1..%d", c.JournalSlots, 1<<20)
	}
	if c.PrepareSizeBytesMax < vsr.HeaderSize || c.PrepareSizeBytesMax > vsr.HeaderSize+vsr.PrepareBodySizeMax {
		return fmt.Errorf("prepare size %d bytes outside %d..%d", c.PrepareSizeBytesMax,
			vsr.HeaderSize, vsr.HeaderSize+vsr.PrepareBodySizeMax)
	}
	if c.CheckpointSizeBytesMax < 1 || c.CheckpointSizeBytesMax > 1<<40 {
		return fmt.Errorf("checkpoint size %d bytes outside 1..%d", c.CheckpointSizeBytesMax, int64(1)<<40)
	}
	return nil
}

// layout holds the offsets of every area of the replica file:
//
//	[0, 4 KiB)                     format header
//	superblockAt + i·4 KiB         superblock copy i (i < vsr.SuperblockCopies)
//	headersAt + s·4 KiB            redundant header of journal slot s
//	preparesAt + s·prepareSlot     prepare of journal slot s
//	checkpointsAt + k·ckptSlot     checkpoint slot k (k = 0, 1)
type layout struct {
	slots               uint64
	prepareSlotBytes    int64 // PrepareSizeBytesMax rounded up to a block
	checkpointSlotBytes int64 // CheckpointSizeBytesMax rounded up to a block
	superblockAt        int64
	headersAt           int64
	preparesAt          int64
	checkpointsAt       int64
	sizeBytes           int64
}

func roundUp(n int64) int64 { return (n + blockBytes - 1) / blockBytes * blockBytes }

func layoutOf(c Config) layout {
	l := layout{slots: uint64(c.JournalSlots), prepareSlotBytes: roundUp(int64(c.PrepareSizeBytesMax)),
		checkpointSlotBytes: roundUp(c.CheckpointSizeBytesMax), superblockAt: formatBytes}
	l.headersAt = l.superblockAt + vsr.SuperblockCopies*superblockCopyBytes
	l.preparesAt = l.headersAt + int64(l.slots)*headerSlotBytes
	l.checkpointsAt = l.preparesAt + int64(l.slots)*l.prepareSlotBytes
	l.sizeBytes = l.checkpointsAt + 2*l.checkpointSlotBytes
	return l
}

func (l layout) superblockOffset(i int) int64   { return l.superblockAt + int64(i)*superblockCopyBytes }
func (l layout) headerOffset(slot uint64) int64 { return l.headersAt + int64(slot)*headerSlotBytes }
func (l layout) prepareOffset(slot uint64) int64 {
	return l.preparesAt + int64(slot)*l.prepareSlotBytes
}
func (l layout) checkpointOffset(k uint32) int64 {
	return l.checkpointsAt + int64(k)*l.checkpointSlotBytes
}

// formatHeader identifies a formatted replica file and pins its layout.
type formatHeader struct {
	cluster uint64
	replica uint32
	cfg     Config
}

// Format header encoding: magic, xxh3-64 of bytes 16..formatFieldsEnd,
// then the fields. The rest of the block is zero.
const formatFieldsEnd = 56

func (h formatHeader) encode() []byte {
	b := make([]byte, formatBytes)
	copy(b, formatMagic[:])
	le := binary.LittleEndian
	le.PutUint32(b[16:], formatVersion)
	le.PutUint32(b[20:], h.replica)
	le.PutUint64(b[24:], h.cluster)
	le.PutUint64(b[32:], uint64(h.cfg.JournalSlots))
	le.PutUint64(b[40:], uint64(h.cfg.PrepareSizeBytesMax))
	le.PutUint64(b[48:], uint64(h.cfg.CheckpointSizeBytesMax))
	le.PutUint64(b[8:], xxh3.Hash(b[16:formatFieldsEnd]))
	return b
}

// decodeFormatHeader fails with ErrNotFormatted for anything but a valid
// header, and with ErrFormatVersion for a valid header of another layout
// version: Format must not mistake such a file for an unformatted one and
// overwrite it.
func decodeFormatHeader(b []byte) (formatHeader, error) {
	le := binary.LittleEndian
	if len(b) < formatFieldsEnd || [8]byte(b[:8]) != formatMagic || le.Uint64(b[8:]) != xxh3.Hash(b[16:formatFieldsEnd]) {
		return formatHeader{}, ErrNotFormatted
	}
	if v := le.Uint32(b[16:]); v != formatVersion {
		return formatHeader{}, fmt.Errorf("%w: file version %d, this store reads version %d (reformat the replica)",
			ErrFormatVersion, v, formatVersion)
	}
	return formatHeader{replica: le.Uint32(b[20:]), cluster: le.Uint64(b[24:]), cfg: Config{
		JournalSlots: int(le.Uint64(b[32:])), PrepareSizeBytesMax: int(le.Uint64(b[40:])),
		CheckpointSizeBytesMax: int64(le.Uint64(b[48:]))}}, nil
}

package vsr

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SuperblockCopies is how many copies of the superblock the host writes;
// a version is trusted when SuperblockQuorum copies agree.
const (
	SuperblockCopies = 4
	SuperblockQuorum = 2
)

// Superblock is the durable VSR state. The host writes it (all copies)
// before any journal write or message of the same Ready.
type Superblock struct {
	Seq         uint64
	Cluster     uint64
	Replica     uint32
	View        uint64
	LogView     uint64
	CommitMax   uint64
	HeadOp      uint64   // head of the log of LogView...
	HeadID      Checksum // ...and its checksum
	AnchorOp    uint64   // an executed op...
	AnchorID    Checksum // ...and its checksum
	ViewHeaders []Header // known suffix of the log of LogView, highest op first

	// The durable checkpoint: the state after executing op CheckpointOp
	// (whose prepare checksum is CheckpointID), CheckpointSize bytes with
	// checksum CheckpointChecksum, stored by the host in checkpoint slot
	// CheckpointSlot (0 or 1; the next checkpoint goes to the other slot,
	// so a torn checkpoint write never damages the one referenced here).
	CheckpointOp       uint64
	CheckpointID       Checksum
	CheckpointChecksum Checksum
	CheckpointSize     uint64
	CheckpointSlot     uint32

	// Recovering marks a replica whose disk was lost and reformatted (see
	// NewRecovering): until it clears, the replica takes no part in any
	// quorum. Stored as bit 0 of the flags word, so a crash during
	// recovery resumes recovering.
	Recovering bool
}

// superblockFlagRecovering is bit 0 of the superblock's flags word.
const superblockFlagRecovering = 1

const superblockFixedBytes = 16 + 8*5 + 4 + 4 + 2*(8+16) + 8 + 16 + 16 + 8 + 8

// SuperblockSizeMax is the largest Superblock.Encode output: the fixed
// fields plus the most view headers a replica records (and the decoder
// accepts). Hosts size each copy's area from it.
const SuperblockSizeMax = superblockFixedBytes + suffixHeadersMax*HeaderSize

// ErrCheckpointMismatch means checkpoint bytes are not the ones a
// superblock references (wrong size or checksum).
var ErrCheckpointMismatch = errors.New("vsr: checkpoint does not match its superblock")

// VerifyCheckpoint reports whether data is the checkpoint s references
// (its size and checksum), so a host can refuse a damaged checkpoint
// before Restart without knowing the checksum function.
func (s *Superblock) VerifyCheckpoint(data []byte) error {
	if uint64(len(data)) != s.CheckpointSize {
		return fmt.Errorf("%w: op %d: %d bytes, want %d", ErrCheckpointMismatch, s.CheckpointOp, len(data), s.CheckpointSize)
	}
	if checksumOf(data) != s.CheckpointChecksum {
		return fmt.Errorf("%w: op %d: checksum", ErrCheckpointMismatch, s.CheckpointOp)
	}
	return nil
}

// Encode returns one copy of s, checksummed.
func (s *Superblock) Encode() []byte {
	b := make([]byte, superblockFixedBytes+len(s.ViewHeaders)*HeaderSize)
	le := binary.LittleEndian
	le.PutUint64(b[16:], s.Seq)
	le.PutUint64(b[24:], s.Cluster)
	le.PutUint64(b[32:], s.View)
	le.PutUint64(b[40:], s.LogView)
	le.PutUint64(b[48:], s.CommitMax)
	le.PutUint32(b[56:], s.Replica)
	le.PutUint32(b[60:], uint32(len(s.ViewHeaders)))
	le.PutUint64(b[64:], s.HeadOp)
	putChecksum(b[72:], s.HeadID)
	le.PutUint64(b[88:], s.AnchorOp)
	putChecksum(b[96:], s.AnchorID)
	le.PutUint64(b[112:], s.CheckpointOp)
	putChecksum(b[120:], s.CheckpointID)
	putChecksum(b[136:], s.CheckpointChecksum)
	le.PutUint64(b[152:], s.CheckpointSize)
	le.PutUint32(b[160:], s.CheckpointSlot)
	if s.Recovering {
		le.PutUint32(b[164:], superblockFlagRecovering)
	}
	for i := range s.ViewHeaders {
		s.ViewHeaders[i].encode(b[superblockFixedBytes+i*HeaderSize:])
	}
	putChecksum(b, checksumOf(b[16:]))
	return b
}

func decodeSuperblock(b []byte) (Superblock, bool) {
	if len(b) < superblockFixedBytes || getChecksum(b) != checksumOf(b[16:]) {
		return Superblock{}, false
	}
	le := binary.LittleEndian
	s := Superblock{Seq: le.Uint64(b[16:]), Cluster: le.Uint64(b[24:]), View: le.Uint64(b[32:]),
		LogView: le.Uint64(b[40:]), CommitMax: le.Uint64(b[48:]), Replica: le.Uint32(b[56:]),
		HeadOp: le.Uint64(b[64:]), HeadID: getChecksum(b[72:]), AnchorOp: le.Uint64(b[88:]), AnchorID: getChecksum(b[96:]),
		CheckpointOp: le.Uint64(b[112:]), CheckpointID: getChecksum(b[120:]), CheckpointChecksum: getChecksum(b[136:]),
		CheckpointSize: le.Uint64(b[152:]), CheckpointSlot: le.Uint32(b[160:])}
	flags := le.Uint32(b[164:])
	if s.CheckpointSlot > 1 || flags&^superblockFlagRecovering != 0 {
		return Superblock{}, false
	}
	s.Recovering = flags&superblockFlagRecovering != 0
	count := int(le.Uint32(b[60:]))
	if count > suffixHeadersMax || len(b) != superblockFixedBytes+count*HeaderSize {
		return Superblock{}, false
	}
	for i := range count {
		h, ok := decodeHeaderRecord(b[superblockFixedBytes+i*HeaderSize:])
		if !ok {
			return Superblock{}, false
		}
		s.ViewHeaders = append(s.ViewHeaders, h)
	}
	return s, true
}

// ErrSuperblockQuorum means no superblock version has a read quorum: the
// replica must not start (it might otherwise forget a view it voted in).
var ErrSuperblockQuorum = errors.New("vsr: no superblock quorum")

// ReadSuperblock picks the newest version held by a quorum of copies. A nil
// copy was never written and counts as the empty version 0 (a fresh
// replica); an unreadable copy counts for nothing.
func ReadSuperblock(copies [][]byte) (Superblock, error) {
	var best Superblock
	bestCount, fresh := 0, 0
	for i, c := range copies {
		if c == nil {
			fresh++
			continue
		}
		s, ok := decodeSuperblock(c)
		if !ok || (bestCount >= SuperblockQuorum && s.Seq <= best.Seq) {
			continue
		}
		n := 0
		for _, d := range copies[i:] {
			if d != nil && string(d) == string(c) {
				n++
			}
		}
		if n >= SuperblockQuorum && (bestCount < SuperblockQuorum || s.Seq > best.Seq) {
			best, bestCount = s, n
		}
	}
	if bestCount >= SuperblockQuorum {
		return best, nil
	}
	if fresh >= SuperblockQuorum {
		return Superblock{}, nil
	}
	return Superblock{}, fmt.Errorf("%w among %d copies", ErrSuperblockQuorum, len(copies))
}

// SuperblockWrite is one copy to (re)write: bytes for copy Index.
type SuperblockWrite struct {
	Index int
	Data  []byte
}

// OpenSuperblock reads the copies (see ReadSuperblock) and returns the
// version to start from plus the writes that make every copy hold it. The
// host must issue them one at a time, in order, before starting the
// replica: copies that hold garbage or another version come first, so a
// crash in the middle never breaks the quorum of the version chosen, and
// once all copies agree a single torn write of the next version cannot
// leave both versions without a quorum.
func OpenSuperblock(copies [][]byte, cluster uint64, replica int) (Superblock, []SuperblockWrite, error) {
	sb, err := ReadSuperblock(copies)
	if err != nil {
		return Superblock{}, nil, err
	}
	if sb.Seq == 0 && sb.Cluster == 0 {
		sb = Superblock{Cluster: cluster, Replica: uint32(replica)}
	}
	want := sb.Encode()
	var first, last []SuperblockWrite
	for i, c := range copies {
		switch {
		case string(c) == string(want):
		case c != nil:
			first = append(first, SuperblockWrite{Index: i, Data: want})
		default:
			last = append(last, SuperblockWrite{Index: i, Data: want})
		}
	}
	return sb, append(first, last...), nil
}

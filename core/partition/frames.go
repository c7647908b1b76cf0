package partition

import (
	"encoding/binary"
	"fmt"

	"github.com/runnel-io/runnel/sdk/wire"
)

// IndexPosition is the log position of the message of index entry j in
// entries (a run of 16-byte index entries as the .index file holds them).
func IndexPosition(entries []byte, j uint32) uint32 {
	return binary.LittleEndian.Uint32(entries[int(j)*entrySize+4:])
}

// FrameFault describes the first frame CheckFrames refused.
type FrameFault struct {
	Offset uint64 // the offset that frame should hold
	Reason string
}

// CheckFrames verifies take message frames in b, read from log position
// start, against the index entries of their offsets: entries[0] is the
// entry of the first frame, whose offset is firstOffset. The last frame
// ends b. It returns the bytes and count of the good frames before the
// first bad one, and that one's fault (nil when all are good). Local reads
// and reads from the archive share it, so both refuse the same damage.
func CheckFrames(b []byte, start uint64, entries []byte, firstOffset uint64, take uint32) (goodBytes uint64, good uint32, fault *FrameFault) {
	var p uint64
	for j := range take {
		size := uint64(len(b)) - p // the last frame ends the region
		if j+1 < take {
			size = uint64(IndexPosition(entries, j+1)) - start - p
		}
		offset := firstOffset + uint64(j)
		reason := ""
		if size < wire.MessageHeaderSize {
			reason = fmt.Sprintf("index leaves %d bytes for the frame", size)
		} else if h := wire.DecodeMessageHeader(b[p:]); h.Size() != size {
			reason = fmt.Sprintf("frame declares %d bytes, index gives it %d", h.Size(), size)
		} else if h.Offset != offset {
			reason = fmt.Sprintf("offset %d where %d belongs", h.Offset, offset)
		} else if wire.MessageChecksum(b[p:p+size]) != h.Checksum {
			reason = "checksum mismatch"
		} else {
			p += size
			continue
		}
		return p, j, &FrameFault{Offset: offset, Reason: reason}
	}
	return p, take, nil
}

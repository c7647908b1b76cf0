package partition

import (
	"fmt"

	"github.com/runnel-io/runnel/sdk/wire"
)

// CheckBatch reports whether frames is exactly count message frames
// within the limits Append accepts, without changing anything: a
// replicated append is checked with it before it is applied, so a batch
// Append would refuse is refused the same way on every replica instead of
// failing the disk write.
func CheckBatch(frames []byte, count uint32) error {
	if count == 0 || uint64(len(frames)) > segmentBytesLimit {
		return fmt.Errorf("partition: batch of %d messages in %d bytes: need 1 or more in at most %d", count, len(frames), uint64(segmentBytesLimit))
	}
	if err := eachFrame(frames, count, nil); err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	return nil
}

// eachFrame walks the count frames of a batch, checking each against the
// limits recovery accepts and calling fn (if set) with its index, byte
// position and size; frames must be exactly count frames.
func eachFrame(frames []byte, count uint32, fn func(i uint32, pos, size uint64)) error {
	var p uint64
	for i := range count {
		left := uint64(len(frames)) - p
		if left < wire.MessageHeaderSize {
			return fmt.Errorf("frame %d: %d bytes left, less than a header: %w", i, left, wire.ErrShortMessage)
		}
		h := wire.DecodeMessageHeader(frames[p:])
		if h.PayloadLength > wire.MessagePayloadBytesMax || h.UserHeadersLength > wire.MessageUserHeadersBytesMax {
			return fmt.Errorf("frame %d: payload %d or headers %d bytes over the limit", i, h.PayloadLength, h.UserHeadersLength)
		}
		size := h.Size()
		if size > left {
			return fmt.Errorf("frame %d: declares %d bytes, %d left: %w", i, size, left, wire.ErrShortMessage)
		}
		if fn != nil {
			fn(i, p, size)
		}
		p += size
	}
	if p != uint64(len(frames)) {
		return fmt.Errorf("%d bytes after the %d frames", uint64(len(frames))-p, count)
	}
	return nil
}

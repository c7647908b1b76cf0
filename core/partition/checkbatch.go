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
	var p uint64
	for i := range count {
		left := uint64(len(frames)) - p
		if left < wire.MessageHeaderSize {
			return fmt.Errorf("partition: frame %d: %d bytes left, less than a header: %w", i, left, wire.ErrShortMessage)
		}
		h := wire.DecodeMessageHeader(frames[p:])
		if h.PayloadLength > wire.MessagePayloadBytesMax || h.UserHeadersLength > wire.MessageUserHeadersBytesMax {
			return fmt.Errorf("partition: frame %d: payload %d or headers %d bytes over the limit", i, h.PayloadLength, h.UserHeadersLength)
		}
		size := h.Size()
		if size > left {
			return fmt.Errorf("partition: frame %d: declares %d bytes, %d left: %w", i, size, left, wire.ErrShortMessage)
		}
		p += size
	}
	if p != uint64(len(frames)) {
		return fmt.Errorf("partition: %d bytes after the %d frames", uint64(len(frames))-p, count)
	}
	return nil
}

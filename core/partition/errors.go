package partition

import (
	"errors"
	"fmt"
)

// ErrClosed is returned (wrapped) by every call on a closed Log.
var ErrClosed = errors.New("partition: log closed")

// CorruptionError says where a segment holds bytes that are not what the
// log wrote: a message whose checksum or offset is wrong with a valid
// message after it (so not a torn tail), or an index entry that points at
// the wrong message. The log refuses to go past it rather than serve or
// silently drop data; an operator fixes the file named by Path.
type CorruptionError struct {
	// Path is the file holding the bad bytes (the .log, or the .index).
	Path string
	// Position is the byte position of the bad message or index entry in Path.
	Position int64
	// Offset is the offset of the message expected there.
	Offset uint64
	// Reason says what check failed.
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("partition: corrupt data in %s at byte %d (message offset %d): %s",
		e.Path, e.Position, e.Offset, e.Reason)
}

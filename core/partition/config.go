package partition

import (
	"fmt"
	"math"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Defaults for the zero fields of Config.
const (
	SegmentBytesMaxDefault         = 1 << 30 // 1 GiB, Iggy's default and cap
	SealedSegmentsOpenMaxDefault   = 8
	RecoveryVerifyTailBytesDefault = 4 << 20        // 4 MiB
	segmentBytesLimit              = math.MaxUint32 // index positions are u32
	sealedSegmentsOpenLimit        = 1 << 16
	recoveryVerifyTailBytesLimit   = 1 << 40
)

// Config holds a partition log's limits. A zero field takes its default.
type Config struct {
	// SegmentBytesMax: a batch that would push the active segment past this
	// starts a new segment first. A batch is never split, so a segment holds
	// more only when one batch alone is larger. At most 4 GiB - 1, because
	// index positions are u32.
	SegmentBytesMax uint64
	// SealedSegmentsOpenMax bounds the sealed segments whose descriptors stay
	// open after a read; the least recently used is closed beyond it. The
	// active segment is always open and not counted.
	SealedSegmentsOpenMax int
	// RecoveryVerifyTailBytes: Open re-verifies (checksum, offset, index
	// entry) every message that starts in the last this-many bytes of the
	// active segment, on top of every message the index does not cover.
	// Older messages are verified when read.
	RecoveryVerifyTailBytes uint64
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.SegmentBytesMax == 0 {
		c.SegmentBytesMax = SegmentBytesMaxDefault
	}
	if c.SealedSegmentsOpenMax == 0 {
		c.SealedSegmentsOpenMax = SealedSegmentsOpenMaxDefault
	}
	if c.RecoveryVerifyTailBytes == 0 {
		c.RecoveryVerifyTailBytes = RecoveryVerifyTailBytesDefault
	}
	return c
}

// Validate reports the first bad field of c after defaults are applied.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.SegmentBytesMax < wire.MessageHeaderSize || c.SegmentBytesMax > segmentBytesLimit:
		return fmt.Errorf("partition: config: segment_bytes_max %d outside [%d, %d]",
			c.SegmentBytesMax, wire.MessageHeaderSize, uint64(segmentBytesLimit))
	case c.SealedSegmentsOpenMax < 0 || c.SealedSegmentsOpenMax > sealedSegmentsOpenLimit:
		return fmt.Errorf("partition: config: sealed_segments_open_max %d outside [1, %d]",
			c.SealedSegmentsOpenMax, sealedSegmentsOpenLimit)
	case c.RecoveryVerifyTailBytes > recoveryVerifyTailBytesLimit:
		return fmt.Errorf("partition: config: recovery_verify_tail_bytes %d above %d",
			c.RecoveryVerifyTailBytes, uint64(recoveryVerifyTailBytesLimit))
	}
	return nil
}

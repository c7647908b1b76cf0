package metadata

import (
	"errors"
	"math"
)

// Sentinels for topic message_expiry and max_topic_size (reference §2.10).
const (
	// ServerDefault (0) in CreateTopic means "use the configured default".
	ServerDefault uint64 = 0
	// ExpiryNever means messages never expire.
	ExpiryNever uint64 = math.MaxUint64
	// SizeUnlimited means the topic has no size limit.
	SizeUnlimited uint64 = math.MaxUint64
)

// Limits from the protocol (reference §2.2, §4.2, §4.3, §4.7).
const (
	nameBytesMax     = 255
	usernameBytesMin = 3
	usernameBytesMax = 50
	patNameBytesMin  = 3
	patNameBytesMax  = 30
	hashBytesMax     = 1024 // password and token hashes are short PHC/hex strings
	compressionNone  = 1
	compressionGzip  = 2
)

// Config holds the server settings that change how ops apply. Every replica
// must use the same Config, or states diverge.
type Config struct {
	// SegmentSizeBytes is the segment size; a custom max_topic_size below it
	// is refused on CreateTopic (1019).
	SegmentSizeBytes uint64
	// TopicMessageExpiryDefaultMicros replaces message_expiry 0 on
	// CreateTopic. ExpiryNever by default.
	TopicMessageExpiryDefaultMicros uint64
	// TopicSizeBytesMaxDefault replaces max_topic_size 0 on CreateTopic.
	// SizeUnlimited by default.
	TopicSizeBytesMaxDefault uint64
	// PartitionsPerTopicMax bounds CreateTopic, and the total after
	// CreatePartitions (2015).
	PartitionsPerTopicMax uint32
	// StreamsMax, TopicsPerStreamMax, GroupsPerTopicMax and UsersMax bound
	// the slabs. Iggy packs stream and topic ids into 12 bits each.
	StreamsMax         uint32
	TopicsPerStreamMax uint32
	GroupsPerTopicMax  uint32
	UsersMax           uint32
	// PATsPerUserMax bounds the tokens of one user (52).
	PATsPerUserMax uint32
}

// DefaultConfig returns the Iggy 0.8 defaults.
func DefaultConfig() Config {
	return Config{
		SegmentSizeBytes:                1 << 30,
		TopicMessageExpiryDefaultMicros: ExpiryNever,
		TopicSizeBytesMaxDefault:        SizeUnlimited,
		PartitionsPerTopicMax:           1000,
		StreamsMax:                      4096,
		TopicsPerStreamMax:              4096,
		GroupsPerTopicMax:               4096,
		UsersMax:                        65536,
		PATsPerUserMax:                  100,
	}
}

// Validate reports settings that would make ops unapplyable.
func (c Config) Validate() error {
	switch {
	case c.SegmentSizeBytes == 0:
		return errors.New("metadata: config: segment size must be positive")
	case c.PartitionsPerTopicMax == 0, c.StreamsMax == 0, c.TopicsPerStreamMax == 0,
		c.GroupsPerTopicMax == 0, c.UsersMax == 0, c.PATsPerUserMax == 0:
		return errors.New("metadata: config: every limit must be positive")
	case c.TopicMessageExpiryDefaultMicros == ServerDefault:
		return errors.New("metadata: config: default message expiry must not be 0 (use never)")
	case c.TopicSizeBytesMaxDefault != SizeUnlimited && c.TopicSizeBytesMaxDefault < c.SegmentSizeBytes:
		return errors.New("metadata: config: default topic size is below the segment size")
	}
	return nil
}

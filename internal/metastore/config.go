package metastore

import (
	"fmt"

	"github.com/runnel-io/runnel/core/metadata"
)

// Config sets the store's limits. Zero values take the defaults.
type Config struct {
	// State is the metadata state machine's config; the zero value means
	// metadata.DefaultConfig().
	State metadata.Config
	// SnapshotAfterOps triggers a snapshot once this many ops were logged
	// since the last one.
	SnapshotAfterOps uint64
	// SnapshotAfterLogBytes triggers a snapshot once the log is this large.
	SnapshotAfterLogBytes uint64
	// RecordBytesMax bounds one log record (and so one op); larger batches
	// are split into several records, each fsynced.
	RecordBytesMax uint32
}

// Defaults: snapshot every 100k ops or 64 MiB of log, whichever first; a
// record holds up to 16 MiB.
const (
	snapshotAfterOpsDefault      = 100_000
	snapshotAfterLogBytesDefault = 64 << 20
	recordBytesMaxDefault        = 16 << 20
	recordBytesMin               = 1 << 10
)

// DefaultConfig returns the defaults with metadata.DefaultConfig.
func DefaultConfig() Config {
	return Config{
		State:                 metadata.DefaultConfig(),
		SnapshotAfterOps:      snapshotAfterOpsDefault,
		SnapshotAfterLogBytes: snapshotAfterLogBytesDefault,
		RecordBytesMax:        recordBytesMaxDefault,
	}
}

func (c Config) withDefaults() Config {
	if c.State == (metadata.Config{}) {
		c.State = metadata.DefaultConfig()
	}
	if c.SnapshotAfterOps == 0 {
		c.SnapshotAfterOps = snapshotAfterOpsDefault
	}
	if c.SnapshotAfterLogBytes == 0 {
		c.SnapshotAfterLogBytes = snapshotAfterLogBytesDefault
	}
	if c.RecordBytesMax == 0 {
		c.RecordBytesMax = recordBytesMaxDefault
	}
	return c
}

// Validate checks the config after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.RecordBytesMax < recordBytesMin || c.RecordBytesMax > 1<<30 {
		return fmt.Errorf("metastore: config: record_bytes_max %d must be %d..%d", c.RecordBytesMax, recordBytesMin, 1<<30)
	}
	if err := c.State.Validate(); err != nil {
		return fmt.Errorf("metastore: config: %w", err)
	}
	return nil
}

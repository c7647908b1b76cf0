package iouringstore

import (
	_ "embed"
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
)

// Name is the backend's name in config (storage.backend = "iouring").
const Name = "iouring"

// SampleTOML is a commented example of the backend's [storage.config]
// table; a test decodes it strictly and validates it.
//
//go:embed sample.toml
var SampleTOML []byte

const (
	queueDepthDefault = 64
	queueDepthMax     = 4096
)

// Config is the iouring backend's configuration, the [storage.config] table.
type Config struct {
	// QueueDepth is the ring's submission queue size: the most reads,
	// writes and fsyncs in flight at once across the whole store (the
	// completion queue is twice as large). In [1, 4096]; 0 means 64.
	QueueDepth int64 `toml:"queue_depth" koanf:"queue_depth"`
}

// Validate reports the first invalid setting. The empty Config is valid.
func (c Config) Validate() error {
	if c.QueueDepth < 0 || c.QueueDepth > queueDepthMax {
		return fmt.Errorf("queue_depth %d outside [1, %d]", c.QueueDepth, queueDepthMax)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.QueueDepth == 0 {
		c.QueueDepth = queueDepthDefault
	}
	return c
}

// DecodeConfig reads the raw [storage.config] table the host passes,
// strictly (an unknown key or a wrong type is an error), and validates it. It works in builds
// without io_uring too, so config errors are reported the same way.
func DecodeConfig(raw map[string]any) (Config, error) {
	c, err := component.DecodeConfig[Config](raw)
	if err != nil {
		return c, fmt.Errorf("iouringstore: config: %w", err)
	}
	return c, nil
}

package casarchiver

import (
	_ "embed"
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
)

// SampleTOML is a commented example of the config table; a test decodes it.
//
//go:embed sample.toml
var SampleTOML []byte

// objectBytesMaxDefault applies when max_object_bytes is 0.
const objectBytesMaxDefault = 64 << 30

// Config is the cas archiver's [archivers.config] table.
type Config struct {
	// Path is the store's root; empty means component.Env.DataDir.
	Path string `koanf:"path"`
	// MaxObjectBytes bounds one object; 0 means objectBytesMaxDefault.
	MaxObjectBytes int64 `koanf:"max_object_bytes"`
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.MaxObjectBytes < 0 {
		return fmt.Errorf("max_object_bytes: %d is negative", c.MaxObjectBytes)
	}
	return nil
}

func (c Config) objectBytesMax() int64 {
	if c.MaxObjectBytes == 0 {
		return objectBytesMaxDefault
	}
	return c.MaxObjectBytes
}

// DecodeConfig reads the raw table strictly (unknown keys are errors) and
// validates it.
func DecodeConfig(raw map[string]any) (Config, error) {
	c, err := component.DecodeConfig[Config](raw)
	if err != nil {
		return c, fmt.Errorf("cas: config: %w", err)
	}
	return c, nil
}

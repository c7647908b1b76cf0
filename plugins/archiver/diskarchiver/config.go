package diskarchiver

import (
	_ "embed"
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
)

// Name is the archiver type in config ([[archivers]] type = "disk").
const Name = "disk"

// SampleTOML is a commented example of the [archivers.config] table; a
// test decodes it strictly.
//
//go:embed sample.toml
var SampleTOML []byte

// Config is the disk archiver's [archivers.config] table.
type Config struct {
	// Path is the root directory; empty means component.Env.DataDir.
	Path string `koanf:"path"`
}

// Validate reports the first invalid setting. The empty Config is valid.
func (c Config) Validate() error { return nil }

// DecodeConfig reads the raw table strictly and validates it.
func DecodeConfig(raw map[string]any) (Config, error) {
	c, err := component.DecodeConfig[Config](raw)
	if err != nil {
		return c, fmt.Errorf("diskarchiver: config: %w", err)
	}
	return c, nil
}

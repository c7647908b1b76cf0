package mmapstore

import (
	_ "embed"
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
)

// Name is the backend's name in config (storage.backend = "mmap").
const Name = "mmap"

// SampleTOML is a commented example of the backend's [storage.config]
// table; a test decodes it strictly and validates it.
//
//go:embed sample.toml
var SampleTOML []byte

const (
	// mapHeadroomBytesDefault: 64 MiB past the size a file is mapped at,
	// so the active segment is remapped about once per 64 MiB appended.
	mapHeadroomBytesDefault = 64 << 20
	// mapBytesMax bounds one mapping: segments are at most 4 GiB.
	mapBytesMax = 1 << 40
)

// Config is the mmap backend's configuration, the [storage.config] table.
type Config struct {
	// MapHeadroomBytes is how far past the file's size a read mapping
	// reaches, so a growing file is remapped rarely. Only address space is
	// spent. 0 means the default, 64 MiB.
	MapHeadroomBytes int64 `toml:"map_headroom_bytes" koanf:"map_headroom_bytes"`
}

// Validate reports the first invalid setting. The empty Config is valid.
func (c Config) Validate() error {
	if c.MapHeadroomBytes < 0 || c.MapHeadroomBytes > mapBytesMax {
		return fmt.Errorf("map_headroom_bytes %d outside [0, %d]", c.MapHeadroomBytes, int64(mapBytesMax))
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MapHeadroomBytes == 0 {
		c.MapHeadroomBytes = mapHeadroomBytesDefault
	}
	return c
}

// DecodeConfig reads the raw [storage.config] table the host passes,
// strictly (an unknown key or a wrong type is an error), and validates it.
func DecodeConfig(raw map[string]any) (Config, error) {
	c, err := component.DecodeConfig[Config](raw)
	if err != nil {
		return c, fmt.Errorf("mmapstore: config: %w", err)
	}
	return c, nil
}

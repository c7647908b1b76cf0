package filestore

import (
	_ "embed"
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
)

// SampleTOML is a commented example of the backend's [storage.config]
// table; a test decodes it strictly and validates it.
//
//go:embed sample.toml
var SampleTOML []byte

// Config is the file backend's configuration, the [storage.config] table.
//
// The backend has no tuning knobs yet: the data directory comes from the
// host (component.Env.DataDir), segment sizes and retention belong to the
// partition log, and durability is the fsync policy of the topic. The type
// exists so the host decodes the table strictly (an unknown key is an error)
// and so options can be added without changing the constructor.
type Config struct{}

// Validate reports the first invalid setting. The empty Config is valid.
func (c Config) Validate() error {
	return nil
}

// DecodeConfig reads the raw [storage.config] table the host passes,
// strictly: the backend has no options, so any key is an error.
func DecodeConfig(raw map[string]any) (Config, error) {
	c, err := component.DecodeConfig[Config](raw)
	if err != nil {
		return c, fmt.Errorf("filestore: config: %w", err)
	}
	return c, nil
}

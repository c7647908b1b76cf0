package filestore

import (
	_ "embed"
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

package directiostore

import (
	_ "embed"
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
)

// Name is the backend's name in config (storage.backend = "directio").
const Name = "directio"

// SampleTOML is a commented example of the backend's [storage.config]
// table; a test decodes it strictly and validates it.
//
//go:embed sample.toml
var SampleTOML []byte

const (
	alignmentBytesDefault = 4096
	alignmentBytesMin     = 512
	alignmentBytesMax     = 64 << 10
	readChunkBytesDefault = 1 << 20
	readChunkBytesMax     = 64 << 20
)

// Config is the directio backend's configuration, the [storage.config] table.
type Config struct {
	// AlignmentBytes is the O_DIRECT block: buffer addresses, file offsets
	// and lengths of direct I/O are multiples of it. A power of two in
	// [512, 65536], at least the device's logical block size. 0 means 4096.
	AlignmentBytes int64 `toml:"alignment_bytes" koanf:"alignment_bytes"`
	// ReadChunkBytes is the bounce buffer of one direct read: reads larger
	// than this take several. A multiple of AlignmentBytes, at most 64 MiB.
	// 0 means 1 MiB.
	ReadChunkBytes int64 `toml:"read_chunk_bytes" koanf:"read_chunk_bytes"`
}

// Validate reports the first invalid setting. The empty Config is valid.
func (c Config) Validate() error {
	d := c.withDefaults()
	if d.AlignmentBytes < alignmentBytesMin || d.AlignmentBytes > alignmentBytesMax || d.AlignmentBytes&(d.AlignmentBytes-1) != 0 {
		return fmt.Errorf("alignment_bytes %d: want a power of two in [%d, %d]", c.AlignmentBytes, alignmentBytesMin, alignmentBytesMax)
	}
	if d.ReadChunkBytes < d.AlignmentBytes || d.ReadChunkBytes > readChunkBytesMax || d.ReadChunkBytes%d.AlignmentBytes != 0 {
		return fmt.Errorf("read_chunk_bytes %d: want a multiple of alignment_bytes (%d), at most %d", c.ReadChunkBytes, d.AlignmentBytes, readChunkBytesMax)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.AlignmentBytes == 0 {
		c.AlignmentBytes = alignmentBytesDefault
	}
	if c.ReadChunkBytes == 0 {
		c.ReadChunkBytes = readChunkBytesDefault
	}
	return c
}

// DecodeConfig reads the raw [storage.config] table the host passes,
// strictly (an unknown key or a wrong type is an error), and validates it.
func DecodeConfig(raw map[string]any) (Config, error) {
	c, err := component.DecodeConfig[Config](raw)
	if err != nil {
		return c, fmt.Errorf("directiostore: config: %w", err)
	}
	return c, nil
}

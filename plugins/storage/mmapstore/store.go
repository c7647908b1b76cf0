package mmapstore

import (
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

var (
	_ storage.File     = (*file)(nil)
	_ dirstore.Backend = (*backend)(nil)
)

// New checks cfg and returns a Store rooted at env.DataDir, in the shared
// directory layout. It does no I/O; Start creates the directory and sets
// the backend up.
func New(env component.Env, cfg Config) (*dirstore.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mmapstore: config: %w", err)
	}
	return dirstore.New(env, "mmapstore", &backend{cfg: cfg.withDefaults()})
}

package casarchiver

import (
	"context"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
)

// Name is the archiver's type in config ([[archivers]] type = "cas").
const Name = "cas"

// Version is the bundle's version, shown by `runnel-server plugins list`.
const Version = "0.1.0"

// Set is what the bundle provides. It lives in this library package, not
// in main, so runnel-build can compile the same set into a server.
func Set() registry.Set {
	return registry.Set{Name: "cas", Version: Version, Archiver: []component.Factory[archiver.Archiver]{Factory()}}
}

// Factory registers the cas archiver.
func Factory() component.Factory[archiver.Archiver] {
	return component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: component.KindArchiver, Name: Name, Stability: component.StabilityDevelopment, Sample: SampleTOML},
		New: func(_ context.Context, env component.Env, raw map[string]any) (archiver.Archiver, error) {
			cfg, err := DecodeConfig(raw)
			if err != nil {
				return nil, err
			}
			return New(env, cfg)
		},
	}
}

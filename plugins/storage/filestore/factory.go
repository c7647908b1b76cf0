package filestore

import (
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// Factory registers the file backend (storage.backend = "file").
func Factory() component.Factory[storage.Store] {
	return dirstore.Factory(component.Info{Name: Name, Stability: component.StabilityStable, Sample: SampleTOML}, DecodeConfig, New)
}

package mmapstore

import (
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// Factory registers the mmap backend (storage.backend = "mmap").
func Factory() component.Factory[storage.Store] {
	return dirstore.Factory(component.Info{Name: Name, Stability: component.StabilityBeta, Sample: SampleTOML}, DecodeConfig, New)
}

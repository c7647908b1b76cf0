package iouringstore

import (
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// Factory registers the iouring backend (storage.backend = "iouring").
func Factory() component.Factory[storage.Store] {
	return dirstore.Factory(component.Info{Name: Name, Stability: component.StabilityBeta, Sample: SampleTOML}, DecodeConfig, New)
}

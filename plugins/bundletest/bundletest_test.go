package bundletest_test

import (
	"testing"

	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

// TestStoreOverRPC runs the storage suite against the file backend
// through the gRPC adapters and a shared memory region.
func TestStoreOverRPC(t *testing.T) {
	set := registry.Set{Name: "t", Storage: []component.Factory[storage.Store]{filestore.Factory()}}
	bundletest.RunStore(t, set, filestore.Name, nil, storagetest.Run)
}

package bundletest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/internal/pluginrpc"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

// StoreSuite is a storage conformance suite such as storagetest.Run.
type StoreSuite func(t *testing.T, newStore storagetest.NewStore)

// storeSlots and storeSlotBytes shape the test's shared region; small
// slots make the suite exercise split Appends and ReadAts.
const (
	storeSlots     = 4
	storeSlotBytes = 256 << 10
)

// RunStore runs suite against set's storage backend name, configured
// with raw, through the real gRPC adapters and a real shared memory
// region, in process.
func RunStore(t *testing.T, set registry.Set, name string, raw map[string]any, suite StoreSuite) {
	suite(t, func(t *testing.T, dir string) storage.Store { return NewStore(t, set, name, raw, dir) })
}

// NewStore configures one remote instance of set's storage backend name
// on dir over an in-process connection and returns it, unstarted.
func NewStore(t testing.TB, set registry.Set, name string, raw map[string]any, dir string) storage.Store {
	t.Helper()
	region, err := pluginrpc.NewRegion(storeSlots, storeSlotBytes)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	client, _ := plugin.TestPluginGRPCConn(t, false, pluginrpc.PluginSets(set, logger)[pluginrpc.ProtocolVersion])
	v, err := client.Dispense(pluginrpc.PluginStorage)
	if err != nil {
		t.Fatal(err)
	}
	sc := v.(*pluginrpc.StorageClient)
	t.Cleanup(func() {
		_ = client.Close()
		sc.Detach()
		_ = region.Close()
	})
	// In process, the plugin side maps the region through the host's own
	// descriptor and takes a duplicate of the socket's child end; a
	// bundle process inherits them as descriptors 3 and 4.
	files := region.Files()
	dataFD, err := pluginrpc.DupFD(int(files[1].Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Configure(context.Background(), name, raw, dir, region, int(files[0].Fd()), dataFD); err != nil {
		t.Fatalf("bundletest: configure %s: %v", name, err)
	}
	if err := region.ReleaseChild(); err != nil {
		t.Fatal(err)
	}
	return sc
}

// BinaryStoreFactory opens the bundle binary at path through catalog and
// returns its remote factory for the storage backend name.
func BinaryStoreFactory(t testing.TB, path, name string) component.Factory[storage.Store] {
	t.Helper()
	for _, set := range openBinary(t, path) {
		for _, f := range set.Storage {
			if f.Info.Name == name {
				return f
			}
		}
	}
	t.Fatalf("bundletest: %s provides no storage backend %q", path, name)
	return component.Factory[storage.Store]{}
}

// RunStoreBinary runs suite against the storage backend name of the
// bundle binary at path, one process per store, as runnel-server runs it.
func RunStoreBinary(t *testing.T, path, name string, raw map[string]any, suite StoreSuite) {
	factory := BinaryStoreFactory(t, path, name)
	suite(t, func(t *testing.T, dir string) storage.Store {
		s, err := factory.New(context.Background(), component.Env{DataDir: dir}, raw)
		if err != nil {
			t.Fatalf("bundletest: new %s: %v", name, err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s
	})
}

package bundletest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/internal/pluginrpc"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
)

// TransportSuite is a transport conformance suite such as
// transporttest.Run.
type TransportSuite func(t *testing.T, newTransport func(t *testing.T) transport.Transport, dial transporttest.Dial)

// RunTransport runs suite against set's transport name, configured with
// raw, through the real gRPC adapters in process: the transport runs
// behind the plugin side, its Handler calls the host back over the
// go-plugin broker. dial connects a client to the transport's Addr.
func RunTransport(t *testing.T, set registry.Set, name string, raw map[string]any, dial transporttest.Dial, suite TransportSuite) {
	suite(t, func(t *testing.T) transport.Transport { return NewTransport(t, set, name, raw) }, dial)
}

// NewTransport configures one remote instance of set's transport name
// over an in-process go-plugin connection and returns the host's view of
// it, unstarted. The connection ends with the test.
func NewTransport(t testing.TB, set registry.Set, name string, raw map[string]any) transport.Transport {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	client, _ := plugin.TestPluginGRPCConn(t, false, pluginrpc.PluginSets(set, logger)[pluginrpc.ProtocolVersion])
	t.Cleanup(func() { _ = client.Close() })
	v, err := client.Dispense(pluginrpc.PluginTransport)
	if err != nil {
		t.Fatalf("bundletest: dispense: %v", err)
	}
	tc := v.(*pluginrpc.TransportClient)
	tc.SetLogger(logger)
	if err := tc.Configure(context.Background(), name, raw, t.TempDir()); err != nil {
		t.Fatalf("bundletest: configure %s: %v", name, err)
	}
	return tc
}

// BinaryTransportFactory opens the bundle binary at path through catalog
// and returns its remote factory for the transport name.
func BinaryTransportFactory(t testing.TB, path, name string) component.Factory[transport.Transport] {
	t.Helper()
	for _, set := range openBinary(t, path) {
		for _, f := range set.Transport {
			if f.Info.Name == name {
				return f
			}
		}
	}
	t.Fatalf("bundletest: %s provides no transport %q", path, name)
	return component.Factory[transport.Transport]{}
}

// RunTransportBinary runs suite against the transport name of the bundle
// binary at path, one process per transport, as runnel-server runs it.
func RunTransportBinary(t *testing.T, path, name string, raw map[string]any, dial transporttest.Dial, suite TransportSuite) {
	factory := BinaryTransportFactory(t, path, name)
	suite(t, func(t *testing.T) transport.Transport {
		tr, err := factory.New(context.Background(), component.Env{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)), DataDir: t.TempDir()}, raw)
		if err != nil {
			t.Fatalf("bundletest: new %s: %v", name, err)
		}
		t.Cleanup(func() { _ = tr.Close(context.Background()) })
		return tr
	}, dial)
}

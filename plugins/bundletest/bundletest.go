package bundletest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/archivertest"
	"github.com/runnel-io/runnel/plugins/catalog"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/internal/pluginrpc"
	"github.com/runnel-io/runnel/plugins/registry"
)

// Suite is a conformance suite such as archivertest.Run.
type Suite func(t *testing.T, newArchiver archivertest.New)

// RunArchiver runs suite against set's archiver called name, configured
// with raw, through the real gRPC adapters in process. Every instance the
// suite asks for gets its own connection and data directory.
func RunArchiver(t *testing.T, set registry.Set, name string, raw map[string]any, suite Suite) {
	suite(t, func(t *testing.T) archiver.Archiver { return NewArchiver(t, set, name, raw) })
}

// NewArchiver configures one remote instance of set's archiver name over
// an in-process go-plugin gRPC connection and returns the host's view of
// it, unstarted. The connection ends with the test.
func NewArchiver(t testing.TB, set registry.Set, name string, raw map[string]any) archiver.Archiver {
	t.Helper()
	a, err := newArchiver(t, set, name, raw, t.TempDir())
	if err != nil {
		t.Fatalf("bundletest: configure %s: %v", name, err)
	}
	return a
}

// ConfigureError returns the error the plugin's own Factory.New gives for
// raw, as the host sees it across the boundary (nil if raw is accepted).
func ConfigureError(t testing.TB, set registry.Set, name string, raw map[string]any) error {
	t.Helper()
	_, err := newArchiver(t, set, name, raw, t.TempDir())
	return err
}

func newArchiver(t testing.TB, set registry.Set, name string, raw map[string]any, dataDir string) (archiver.Archiver, error) {
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	ps := pluginrpc.PluginSets(set, logger)[pluginrpc.ProtocolVersion]
	// Closing the client shuts the server down (go-plugin's controller
	// service); stopping it here as well would race with that.
	client, _ := plugin.TestPluginGRPCConn(t, false, ps)
	t.Cleanup(func() { _ = client.Close() })
	v, err := client.Dispense(pluginrpc.PluginArchiver)
	if err != nil {
		t.Fatalf("bundletest: dispense: %v", err)
	}
	a := v.(*pluginrpc.ArchiverClient)
	if err := a.Configure(context.Background(), name, raw, dataDir); err != nil {
		return nil, err
	}
	return a, nil
}

// testWriter sends the plugin's logs to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// RunArchiverBinary runs suite against the archiver name of the bundle
// binary at path, launched through catalog exactly as runnel-server does
// (checksum, describe, go-plugin with AutoMTLS): one process per instance.
func RunArchiverBinary(t *testing.T, path, name string, raw map[string]any, suite Suite) {
	factory := BinaryFactory(t, path, name)
	suite(t, func(t *testing.T) archiver.Archiver {
		a, err := factory.New(context.Background(), component.Env{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)), DataDir: t.TempDir()}, raw)
		if err != nil {
			t.Fatalf("bundletest: new %s: %v", name, err)
		}
		t.Cleanup(func() { _ = a.Close(context.Background()) })
		return a
	})
}

// BinaryFactory opens the bundle binary at path through catalog and
// returns its remote factory for the archiver name.
func BinaryFactory(t testing.TB, path, name string) component.Factory[archiver.Archiver] {
	t.Helper()
	for _, set := range openBinary(t, path) {
		for _, f := range set.Archiver {
			if f.Info.Name == name {
				return f
			}
		}
	}
	t.Fatalf("bundletest: %s provides no archiver %q", path, name)
	return component.Factory[archiver.Archiver]{}
}

// openBinary verifies the bundle at path through catalog, as the server
// does, and returns its sets. The catalog closes with the test.
func openBinary(t testing.TB, path string) []registry.Set {
	t.Helper()
	sum, err := FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	ref := catalog.BundleRef{Name: "test", File: filepath.Base(path), SHA256: sum}
	cat, err := catalog.Open(context.Background(), catalog.Config{Dir: filepath.Dir(path), Bundles: []catalog.BundleRef{ref}}, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close(context.Background()) })
	return cat.Sets()
}

// FileSHA256 is the lowercase hex SHA-256 of the file at path, the value
// an operator puts in [[plugins.bundles]] sha256.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

package catalog_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/runnel-io/runnel/examples/casarchiver"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/catalog"
	"github.com/runnel-io/runnel/plugins/component"
)

// BenchmarkArchiverCall measures the per-call cost of the cas archiver in
// process, over the gRPC adapters in process (no child), and as an
// external bundle (child process, AutoMTLS over a Unix socket). Compare
// ns/op between the three for the overhead of the boundary.
func BenchmarkArchiverCall(b *testing.B) {
	routes := []struct {
		name string
		new  func(b *testing.B) archiver.Archiver
	}{
		{"inprocess", func(b *testing.B) archiver.Archiver {
			a, err := casarchiver.New(component.Env{DataDir: b.TempDir()}, casarchiver.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return a
		}},
		{"grpc_inprocess", func(b *testing.B) archiver.Archiver {
			return bundletest.NewArchiver(b, casarchiver.Set(), casarchiver.Name, nil)
		}},
		{"external", func(b *testing.B) archiver.Archiver {
			_, f := openCASB(b)
			a, err := f.New(context.Background(), component.Env{DataDir: b.TempDir()}, nil)
			if err != nil {
				b.Fatal(err)
			}
			return a
		}},
	}
	for _, route := range routes {
		b.Run(route.name+"/stat", func(b *testing.B) {
			a := startB(b, route.new(b))
			put1(b, a, "bench/small", make([]byte, 100))
			b.ResetTimer()
			for b.Loop() {
				if _, err := a.Stat(context.Background(), "bench/small"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(route.name+"/put_1MiB", func(b *testing.B) {
			a := startB(b, route.new(b))
			payload := bytes.Repeat([]byte{7}, 1<<20)
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			for b.Loop() {
				put1(b, a, "bench/big", payload)
			}
		})
	}
}

func startB(b *testing.B, a archiver.Archiver) archiver.Archiver {
	if err := a.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close(context.Background()) })
	return a
}

func put1(b *testing.B, a archiver.Archiver, key archiver.Key, payload []byte) {
	if _, err := a.Put(context.Background(), key, bytes.NewReader(payload), int64(len(payload))); err != nil {
		b.Fatal(err)
	}
}

func openCASB(b *testing.B) (*catalog.Catalog, component.Factory[archiver.Archiver]) {
	sum, err := bundletest.FileSHA256(casBinary)
	if err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), catalog.Config{Bundles: []catalog.BundleRef{{Name: "casbundle", File: casBinary, SHA256: sum}}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cat.Close(context.Background()) })
	return cat, cat.Sets()[0].Archiver[0]
}

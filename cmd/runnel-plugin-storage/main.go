// Command runnel-plugin-storage serves the built-in storage backends as
// an external bundle, so a server can run one out of process (for
// experiments, and to measure the boundary: see plugins/catalog's
// BenchmarkStorageAppend). Bytes move through shared memory.
//
// The names carry an "_ext" suffix because the same backends are built
// into runnel-server and names are unique per kind: file_ext, mmap_ext,
// directio_ext, iouring_ext (a real io_uring backend only when this
// binary is built with -tags iouring; otherwise its New says so).
package main

import (
	"github.com/runnel-io/runnel/plugins/bundle"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/directiostore"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/iouringstore"
	"github.com/runnel-io/runnel/plugins/storage/mmapstore"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() { bundle.Serve(set()) }

func set() registry.Set {
	var fs []component.Factory[storage.Store]
	for _, f := range []component.Factory[storage.Store]{
		filestore.Factory(), mmapstore.Factory(), directiostore.Factory(), iouringstore.Factory(),
	} {
		f.Info.Name += "_ext"
		fs = append(fs, f)
	}
	return registry.Set{Name: "storage", Version: version, Storage: fs}
}

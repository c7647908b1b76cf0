package builtin

import (
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/diskarchiver"
	"github.com/runnel-io/runnel/plugins/archiver/s3archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/directiostore"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/iouringstore"
	"github.com/runnel-io/runnel/plugins/storage/mmapstore"
	"github.com/runnel-io/runnel/plugins/telemetry"
	"github.com/runnel-io/runnel/plugins/telemetry/otlpexporter"
	"github.com/runnel-io/runnel/plugins/telemetry/stdoutexporter"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/httptransport"
	"github.com/runnel-io/runnel/plugins/transport/quictransport"
	"github.com/runnel-io/runnel/plugins/transport/tcptransport"
	"github.com/runnel-io/runnel/plugins/transport/wstransport"
)

// Set lists the built-in implementations. iouring is always listed; in a
// server built without the `iouring` tag its constructor fails with a
// message naming the fallback.
func Set(version string) registry.Set {
	return registry.Set{
		Name:    "builtin",
		Version: version,
		Storage: []component.Factory[storage.Store]{
			filestore.Factory(),
			mmapstore.Factory(),
			directiostore.Factory(),
			iouringstore.Factory(),
		},
		Archiver: []component.Factory[archiver.Archiver]{
			diskarchiver.Factory(),
			s3archiver.Factory(),
		},
		Telemetry: []component.Factory[telemetry.Exporter]{
			otlpexporter.GRPCFactory(),
			otlpexporter.HTTPFactory(),
			stdoutexporter.Factory(),
		},
		Transport: []component.Factory[transport.Transport]{
			tcptransport.Factory(),
			quictransport.Factory(),
			wstransport.Factory(),
			httptransport.Factory(),
		},
	}
}

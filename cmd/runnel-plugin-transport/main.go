// Command runnel-plugin-transport serves the built-in TCP transport as an
// external bundle, under the name tcp_ext (names are unique per kind, and
// "tcp" is built into runnel-server). It shows the transport kind across
// the process boundary and measures it (see plugins/bundletest's
// BenchmarkTransportRoundTrip): clients connect to this process's port,
// and each request is handed to the server over gRPC.
//
// Its config keys are the tcp transport's ([tcp] in runnel.toml):
//
//	[[transports]]
//	name = "edge"
//	type = "tcp_ext"
//	[transports.config]
//	address = "0.0.0.0:8091"
package main

import (
	"github.com/runnel-io/runnel/plugins/bundle"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/tcptransport"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() { bundle.Serve(set()) }

func set() registry.Set {
	f := tcptransport.Factory()
	f.Info.Name += "_ext"
	return registry.Set{Name: "transport", Version: version, Transport: []component.Factory[transport.Transport]{f}}
}

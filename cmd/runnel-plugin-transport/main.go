// Command runnel-plugin-transport serves built-in transports as an
// external bundle, each under its name with "_ext" appended (names are
// unique per kind, and the plain names are built into runnel-server):
// tcp_ext, quic_ext, websocket_ext and http_ext. It shows the transport kind across
// the process boundary and measures it (see plugins/bundletest's
// BenchmarkTransportRoundTrip): clients connect to this process's port,
// and each request is handed to the server over gRPC.
//
// Each one's config keys are the built-in transport's ([tcp], [quic],
// [websocket], [http] in runnel.toml):
//
//	[[transports]]
//	name = "edge"
//	type = "tcp_ext"
//	[transports.config]
//	address = "0.0.0.0:8091"
//
// The server's HTTP routes (transport.HTTPRoutes, /metrics) do not cross
// the process boundary: websocket_ext serves only its upgrade path, and
// http_ext only the REST API.
package main

import (
	"github.com/runnel-io/runnel/plugins/bundle"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/httptransport"
	"github.com/runnel-io/runnel/plugins/transport/quictransport"
	"github.com/runnel-io/runnel/plugins/transport/tcptransport"
	"github.com/runnel-io/runnel/plugins/transport/wstransport"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() { bundle.Serve(set()) }

func set() registry.Set {
	factories := []component.Factory[transport.Transport]{
		tcptransport.Factory(),
		quictransport.Factory(),
		wstransport.Factory(),
		httptransport.Factory(),
	}
	for i := range factories {
		factories[i].Info.Name += "_ext"
	}
	return registry.Set{Name: "transport", Version: version, Transport: factories}
}

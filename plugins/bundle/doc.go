// Package bundle is the plugin author's side of an external bundle: the
// whole main of a bundle binary is
//
//	func main() { bundle.Serve(acme.Set()) }
//
// Run as `<binary> describe`, the binary prints its Manifest as JSON and
// exits; the host runs this (with no go-plugin handshake) to learn what a
// bundle provides before launching it. Run by the host, it serves the
// set's plugins with hashicorp/go-plugin over gRPC, one configured
// instance per process. Run by hand, it says so and exits.
//
// Kinds served over the boundary: archiver, storage (bytes through
// shared memory; Linux only) and transport (the plugin owns the listening
// socket and calls the host's Handler back over gRPC). A set with
// telemetry exporters is refused (see Check) rather than half served.
package bundle

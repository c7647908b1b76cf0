// Package bundletest lets a plugin author run a conformance suite against
// their plugin across the real external-plugin boundary:
//
//	bundletest.RunArchiver(t, acme.Set(), "glacier", cfg, archivertest.Run)
//
// runs archivertest through the same go-plugin gRPC adapters the server
// uses, in process (go-plugin's test connection, no binary to build), so
// anything the boundary loses — error identity, partial reads, context
// cancellation, config decoding after a JSON round trip — fails the
// suite. RunArchiverBinary does the same against a built bundle binary,
// launched the way runnel-server launches it. RunStore and RunStoreBinary
// do it for storage backends (storagetest.Run), through the shared
// memory data path; RunTransport and RunTransportBinary for transports
// (transporttest.Run), with the host's Handler called back over gRPC.
package bundletest

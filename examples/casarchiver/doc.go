// Package casarchiver is the example of a custom archiver shipped as an
// external plugin bundle. The archiver "cas" keeps objects in a local
// content-addressed store:
//
//	<path>/blobs/ab/cdef…   one file per distinct content, named by its SHA-256
//	<path>/index            "sha256 size key" lines: which key holds which blob
//	<path>/tmp/             uploads in progress
//
// Identical objects (a segment archived under two keys, a retried upload)
// are stored once. A Put writes and fsyncs the blob first, then rewrites
// the whole index atomically (temporary file, fsync, rename, directory
// fsync), so a crash leaves either the old or the new index, never a key
// pointing at a missing blob; Start sweeps blobs no key refers to.
// Rewriting the index costs O(keys) per Put, which suits an example and
// the few thousand objects a node archives; a production store would use
// an append-only log or a database.
//
// Set returns the bundle's registry.Set; cmd/runnel-plugin-cas serves it
// as an external bundle, and runnel-build can compile it in unchanged.
package casarchiver

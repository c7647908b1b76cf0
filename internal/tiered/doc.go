// Package tiered holds the storage tiers above and below the local
// partition log, and what the server needs to move data between them:
//
//   - L1, Recent: an in-memory copy of the most recent batches of every
//     partition, under one byte budget, consulted first by polls.
//   - L2 is the local partition log (core/partition); this package only
//     decides when its sealed segments may go (Catalog.HeldByAll).
//   - L3, Reader: sealed segments in an archive (plugins/archiver), read in
//     real time with ranged GETs guided by the archived index, and found
//     by timestamp through the index's stamps (OffsetAtTimestamp). Every
//     frame is checked (length, offset, checksum) against the index before
//     it is returned, as local reads do.
//
// L3 reads go through a block cache (1 MiB blocks by default) with a byte
// budget. A sequential reader is kept ahead of by read-ahead: each read
// starts, before its own GET, one background GET for the next window of
// the object, so a scan is served by few large requests, two or more in
// flight at once (at most 8 across the reader, holding at most half the
// cache); when a read comes within a window of a segment's end, the next
// archived segment's index and first blocks are fetched too, so crossing
// a segment boundary does not wait for two round trips. Block buffers
// dropped from the cache are reused (pinned while a reader copies from
// them), so a long scan does not allocate, zero and fault in fresh memory
// for every block.
//
// Catalog is the per-partition, in-memory list of archived segments (base
// offset → keys, sizes, end offset) and of which archiver holds each with a
// digest checked against the local copy. It is rebuilt at start from the
// archivers' List: the archived index's size gives a segment's message
// count.
//
// Besides segments, a node archives its metadata snapshots
// (MetadataKey: metadata/snapshot-<seq>) and a Manifest (ManifestKey:
// manifest.json) per archiver listing what that archiver holds: segments
// by partition with offsets, sizes and SHA-256 digests, and the newest
// metadata snapshot. A node started empty restores the newest snapshot,
// then its catalog from List. The objects stay authoritative; the manifest
// is for a new node or an operator to see what the store holds.
//
// Why not in core: L3 reads block on the network and prefetch in the
// background, and the catalog is shared between goroutines.
package tiered

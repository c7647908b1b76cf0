// Package tiered holds the storage tiers above and below the local
// partition log, and what the server needs to move data between them:
//
//   - L1, Recent: an in-memory copy of the most recent batches of every
//     partition, under one byte budget, consulted first by polls.
//   - L2 is the local partition log (core/partition); this package only
//     decides when its sealed segments may go (Catalog.HeldByAll).
//   - L3, Reader: sealed segments in an archive (plugins/archiver), read in
//     real time with ranged GETs guided by the archived index, read-ahead
//     and a block cache with a byte budget. Every frame is checked (length,
//     offset, checksum) against the index before it is returned, as local
//     reads do.
//
// Catalog is the per-partition, in-memory list of archived segments (base
// offset → keys, sizes, end offset) and of which archiver holds each with a
// digest checked against the local copy. It is rebuilt at start from the
// archivers' List: the archived index's size gives a segment's message
// count, so no separate manifest is needed to restore a partition.
//
// Why not in core: L3 reads block on the network and prefetch in the
// background, and the catalog is shared between goroutines.
package tiered

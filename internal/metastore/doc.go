// Package metastore makes the metadata state machine (core/metadata)
// durable on one node: an op log with group commit, plus periodic
// snapshots.
//
// Submit applies an op to the in-memory state first (a rejected op writes
// nothing), then appends it to the log and returns once the log is fsynced.
// Concurrent submitters share fsyncs: one writer goroutine takes every op
// queued while the previous fsync ran and writes them as one record.
// Superseded consumer-offset stores inside one batch are coalesced away.
//
// Directory layout:
//
//	LOCK          flock'd while a Store has the directory open
//	snapshot      the latest snapshot (optional)
//	snapshot.tmp  a snapshot being written; removed at open
//	ops.log       op records after the snapshot
//
// ops.log is a sequence of records, one per group-commit batch:
//
//	u32 body length
//	u64 XXH3-64 of (body length bytes ‖ body)
//	body: u8 version (1), u32 entry count, then per entry:
//	      u64 sequence number, u32 op length, op bytes (metadata.AppendOp)
//
// Sequence numbers are assigned when an op is applied and strictly
// increase; coalescing leaves gaps. A whole batch is one record, and the
// next record is written only after the previous one's fsync, so a crash can
// tear at most the last record. At open, a bad last record (short, bad
// checksum, zeros) is truncated away; a bad record followed by any valid one
// cannot be a torn write and Open refuses, naming the file and byte offset.
//
// snapshot is: magic "RNMS", u8 version (1), u64 sequence number of the last
// op it contains, u64 payload length, the payload (metadata
// State.AppendSnapshot), then u64 XXH3-64 of everything before it. Writing
// one: snapshot.tmp, fsync, rename over snapshot, fsync the directory, then
// truncate ops.log and fsync it. A crash between any two steps is safe:
// replay skips log entries whose sequence number the snapshot already
// covers.
//
// Readers use View, under a read lock; reads see ops as soon as they are
// applied, slightly before they are durable.
package metastore

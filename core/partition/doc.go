// Package partition is the partition log: an append-only sequence of
// segments holding message frames, with dense offsets, server timestamps
// that never go down, rotation, retention, purge, and crash recovery.
//
// The package does no I/O of its own. It touches disk only through the
// storage.Store and storage.File it is given, synchronously, and it is not
// safe for concurrent use: the owner serializes calls (and runs group
// commit around Sync).
//
// # Format
//
// A segment is named by the offset of its first message (its base) and is
// two files:
//
//   - .log: message frames back to back in the Iggy 0.8 layout (64-byte
//     header, payload, user headers), no file header and no batch envelope,
//     so a poll sends bytes from disk as they are. Append stamps each
//     frame's offset and timestamp and rewrites its checksum (XXH3-64 over
//     everything after the checksum field).
//   - .index: one 16-byte entry per message, little-endian: offset relative
//     to the base (u32), byte position of the message's first byte in the
//     .log (u32), timestamp (u64). Entry i is at byte 16*i, so an offset
//     lookup is one 16-byte read; timestamps never go down, so a time
//     lookup is a binary search. Indexes are never held in memory.
//
// Appending writes the batch's frames to the log in one call. Index
// entries are buffered (up to 64 KiB of them) and written at Sync, at
// rotation, at Close and when the buffer fills: the index is derived data,
// recovery rebuilds whatever entries a crash loses, and small batches cost
// one write instead of two. Sync writes the buffered entries, then syncs
// the log and the index. A batch never spans segments: if it
// would push the active (last) segment past SegmentBytesMax, the active
// segment is synced (log and index) and sealed first, and a new one starts
// at the next offset. Because a segment is durable before its successor
// exists, only the active segment can ever have a torn tail. Positions are
// u32, so a segment is at most 4 GiB - 1 bytes.
//
// # Recovery
//
// Open lists the segments. Sealed segments are not read: Open opens each
// log only to learn its size (the message count of a sealed segment is the
// distance to the next segment's base), and a sealed segment's files are
// opened again on first use and kept open, at most SealedSegmentsOpenMax of
// them, least recently used closed first. On that first use the index is
// checked cheaply (16 bytes per message, and the last entry names the last
// message); if not, the whole segment is verified and the index rebuilt,
// and anything but exactly the expected messages is a CorruptionError. One
// exception at Open: when the active segment is empty (just rotated), the
// segment before it is opened to read its last stamp, so that stamps never
// go down across a restart.
//
// The active segment never trusts its tail. The log is the truth and the
// index is derived from it: after power loss either file may be shorter or
// longer than the other, or end in zeros, whatever the write order was.
// Open verifies, frame by frame (lengths within limits and inside the file,
// offset equal to base plus position in the segment, checksum), every
// message the index does not cover and every message starting in the last
// RecoveryVerifyTailBytes (default 4 MiB) of the log, and compares each
// with its index entry. The start of that window is found by a binary
// search over the index, and if the entry found there does not match the
// log, nothing in the index is trusted and the whole segment is verified.
//
// At the first frame that fails:
//
//   - if a valid message (offset at least the one expected, checksum
//     right) starts anywhere after it, the bad frame is damage in the
//     middle: Open fails with a *CorruptionError naming the file, the byte
//     position and the offset, and changes nothing in the log. Every byte
//     position is tried, so a damaged length field cannot hide what
//     follows;
//   - otherwise it is a torn tail (a partial header, a length past the
//     end, a bad checksum on the last record, a zero-filled tail): the log
//     is truncated after the last valid message.
//
// Then the index is cut to the entries that matched (dropping a torn
// entry, entries past the log and entries that disagree with it) and the
// missing entries are rebuilt from the log, so a missing, short or long
// index all end the same way. Every change is made durable before Open
// returns, and a second Open finds nothing to do; Recovery reports what was
// done.
//
// Why a window and not the whole segment: verifying a 1 GiB active segment
// at every start reads 1 GiB per partition, which with thousands of
// partitions makes start-up minutes long. The torn tail of a crash lies in
// the bytes written since the last fsync, which are at the end; 4 MiB covers
// several batches after the last sync point of any sane fsync policy, and
// everything the index does not cover is verified whatever its size.
// Damage older than the window (bit rot, an operator's mistake) is caught
// when it is read: Read verifies every frame's length, offset and checksum
// against the index before returning it and returns a *CorruptionError
// instead of wrong data.
//
// # Truncation
//
// TruncateTo cuts the log back to a given next offset, for a replica that
// rebuilds the log from a checkpoint and a journal. The segments after the
// cut go newest first (a crash leaves a prefix, whose last segment Open
// recovers as the active one), then the segment holding the cut loses its
// tail, log before index, and becomes the active segment again; a cut
// below the oldest kept message replaces every segment with an empty one
// at the cut. Everything is synced before it returns.
//
// # Failures
//
// A failed write or sync leaves the files in an unknown state; the Log then
// refuses further writes until it is closed and opened again, which
// recovers. Reads keep working, since they verify what they return.
package partition

// Package directiostore is the `directio` storage backend: segment files in
// the file backend's layout and format, written and read with O_DIRECT in
// aligned blocks so that the log's bulk does not pass through (or evict)
// the page cache.
//
// Each file has two descriptors on one inode. An Append stages the
// partial last block (kept in memory) and the new bytes in an aligned
// buffer, writes every whole block with one O_DIRECT pwrite, and writes the
// new partial block through the page cache, so the file's size is always
// the logical size and small appends cost one buffered pwrite. Reads of
// whole blocks are aligned O_DIRECT reads through a pooled bounce buffer;
// the partial last block is served from memory.
//
// Guarantees, beyond the storage contract:
//
//   - The file is byte-identical to the file backend's at every moment an
//     Append returns: no padding is ever left in it, so a kill -9 needs no
//     recovery beyond the partition log's own.
//   - Before an O_DIRECT write over the old partial block the kernel writes
//     its cached page back, so the device sees the file in append order:
//     after power loss it holds a prefix of what was appended, possibly
//     followed by zeros (what recovery truncates).
//   - Sync is fdatasync (the cached partial block, the size, and a device
//     cache flush for the direct writes); Truncate is ftruncate + fsync.
//   - Start probes O_DIRECT in the data directory and fails with
//     storage.ErrUnavailable, naming the fallback backend "file", where the
//     filesystem refuses it.
//
// Layout, directory fsyncs and removal order come from dirstore.
// New does no I/O; Start creates the data directory.
package directiostore

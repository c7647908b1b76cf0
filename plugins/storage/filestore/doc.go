// Package filestore is the `file` storage backend, the portable default:
// ordinary files in the page cache, written with positional vectored writes
// (pwritev, one call for a whole batch) and read with pread. Layout,
// directory fsyncs and removal order come from dirstore.
//
// Guarantees, beyond the storage contract and dirstore's:
//
//   - Append writes at the tracked end of the file; if the write fails the
//     file is cut back, and reads never see past the tracked end.
//   - Sync is fdatasync (Linux; fsync elsewhere): data and size, not
//     timestamps. Truncate is a full fsync.
//   - Descriptors stay open until the File is closed.
//
// New does no I/O; Start creates the data directory.
package filestore

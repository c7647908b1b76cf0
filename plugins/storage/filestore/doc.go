// Package filestore is the `file` storage backend, the portable default:
// ordinary files in the page cache, written with positional vectored writes
// (pwritev, one call for a whole batch) and read with pread.
//
// Layout under the data directory (component.Env.DataDir):
//
//	streams/<stream>/topics/<topic>/partitions/<partition>/<base offset, %020d>.log
//	streams/<stream>/topics/<topic>/partitions/<partition>/<base offset, %020d>.index
//
// Guarantees, beyond the storage contract:
//
//   - Append writes at the tracked end of the file; if the write fails the
//     file is cut back, and reads never see past the tracked end.
//   - Sync is fdatasync (Linux; fsync elsewhere): data and size, not
//     timestamps. Truncate is a full fsync.
//   - Creating a file fsyncs its directory, and creating a directory fsyncs
//     its parent, so a new segment survives power loss once Open returns.
//     Removing a segment deletes the index first, then the log, then
//     fsyncs the directory: a crash in between leaves a log without an
//     index (which recovery rebuilds), never an index without its log.
//   - Descriptors stay open until the File is closed; Store.Close closes
//     any still open.
//
// New does no I/O; Start creates the data directory.
package filestore

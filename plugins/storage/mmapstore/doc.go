// Package mmapstore is the `mmap` storage backend: segment files in the
// file backend's layout and format, appended with pwritev at the tracked
// end and read by copying out of a read-only shared mapping (no read
// syscall per poll once a range is mapped and in the page cache).
//
// Layout under the data directory (component.Env.DataDir), identical to
// the file backend's:
//
//	streams/<stream>/topics/<topic>/partitions/<partition>/<base offset, %020d>.log
//	streams/<stream>/topics/<topic>/partitions/<partition>/<base offset, %020d>.index
//
// Guarantees, beyond the storage contract:
//
//   - A file is mapped on its first read, MapHeadroomBytes past its size;
//     a file that grows past its mapping is remapped (old mapping unmapped
//     after every reader left it); a sealed segment is mapped once.
//   - Reads never touch the mapping past the logical size; a fault on a
//     mapped page (the file cut behind the store's back) is an error, not
//     a crash.
//   - Appends, Sync (fdatasync), Truncate (ftruncate + fsync), directory
//     fsyncs and removal order are the file backend's (dirstore).
//
// New does no I/O; Start creates the data directory.
package mmapstore

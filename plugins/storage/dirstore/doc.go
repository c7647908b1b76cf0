// Package dirstore is the part every local-directory storage backend shares:
// the data directory layout, durable creation and removal of segment files,
// segment listing, and the Store lifecycle. A backend (file, mmap, directio,
// io_uring) supplies only a Backend: how an open segment file is read,
// written and synced. So every backend keeps the same layout and the same
// crash guarantees, and a data directory can move between backends.
//
// Layout under the data directory (component.Env.DataDir):
//
//	streams/<stream>/topics/<topic>/partitions/<partition>/<base offset, %020d>.log
//	streams/<stream>/topics/<topic>/partitions/<partition>/<base offset, %020d>.index
//
// Guarantees, beyond the storage contract:
//
//   - Creating a file fsyncs its directory, and creating a directory fsyncs
//     its parent, so a new segment survives power loss once Open returns.
//   - Removing a segment deletes the index first, then the log, then fsyncs
//     the directory: a crash in between leaves a log without an index
//     (which recovery rebuilds), never an index without its log.
//   - Store.Close closes every File still open, then the Backend.
//
// The package also holds what the backends share below the Store:
// WriteVectorAt (pwritev of a whole batch), DataSync (fdatasync), and
// PlainFile, the segment file of the file backend, which mmap embeds and
// reads differently.
package dirstore

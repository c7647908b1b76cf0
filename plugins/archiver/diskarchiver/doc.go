// Package diskarchiver is the `disk` archiver: objects as files under a
// local directory (another disk, a network mount), each written to a
// temporary file, fsynced and renamed into place, so an object is whole or
// absent after a crash. A digest file beside each object records its
// SHA-256 and size; Stat recomputes it when the two disagree (a crash
// between the object's rename and its digest's).
//
// Layout under the root directory:
//
//	objects/<key>     the bytes
//	digests/<key>     "<sha256 hex> <size>\n"
//	tmp/              uploads in progress (cleared at Start)
package diskarchiver

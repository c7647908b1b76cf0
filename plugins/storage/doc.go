// Package storage is the contract for storage backends: a Store hands out
// append-only Files, two per segment (the message log and its index), and
// lists and removes them. The partition log in core/partition is the only
// user of the contract; backends (file, mmap, directio, iouring) implement
// it and prove it with the conformance suite in storagetest.
package storage

//go:build !linux

package vsrstore

import "os"

// preallocate sets the file's size: without fallocate the file is sparse
// and reads of unwritten areas return zeros, which is all Open relies on.
func preallocate(f *os.File, sizeBytes int64) error {
	return f.Truncate(sizeBytes)
}

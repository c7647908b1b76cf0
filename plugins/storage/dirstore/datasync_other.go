//go:build !linux

package dirstore

import "os"

// DataSync is a full fsync where fdatasync is not available.
func DataSync(f *os.File) error {
	return f.Sync()
}

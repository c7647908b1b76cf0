//go:build !linux

package startupmem

// Release does nothing where MADV_PAGEOUT does not exist.
func Release() (int64, error) { return 0, nil }

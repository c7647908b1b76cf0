//go:build !linux

package mmapstore

// populate is a no-op where MADV_POPULATE_READ does not exist.
func populate([]byte) {}

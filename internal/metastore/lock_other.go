//go:build !unix

package metastore

import "os"

// lockDir only creates dir/LOCK: there is no portable advisory lock here.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}

package vsrstore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// preallocate reserves sizeBytes for f so later writes never fail for lack
// of space and the file's extents exist before the first fdatasync. Falls
// back to a (sparse) truncate on file systems without fallocate.
func preallocate(f *os.File, sizeBytes int64) error {
	for {
		err := unix.Fallocate(int(f.Fd()), 0, 0, sizeBytes)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
			return f.Truncate(sizeBytes)
		default:
			return err
		}
	}
}

package mmapstore

import "golang.org/x/sys/unix"

// populate maps the pages of m in one call before a large copy, instead of
// one fault per page (or per fault-around window) during it. Errors
// (kernels before 5.14) only lose the speed-up.
func populate(m []byte) {
	_ = unix.Madvise(m, unix.MADV_POPULATE_READ)
}

//go:build !(linux && iouring)

package storagebench

// optionalBackends: io_uring is not built in without the iouring tag.
func optionalBackends() []Backend { return nil }

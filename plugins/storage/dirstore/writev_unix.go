//go:build darwin || linux || openbsd

package dirstore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// iovecsMax is IOV_MAX on the systems this file builds for: the most
// buffers one pwritev accepts.
const iovecsMax = 1024

// WriteVectorAt writes every byte of bufs at position with as few pwritev
// calls as the kernel allows (one for the usual batch), resuming after
// short writes. It returns the bytes written.
func WriteVectorAt(f *os.File, bufs [][]byte, position int64) (int64, error) {
	conn, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var written int64
	var werr error
	cerr := conn.Write(func(fd uintptr) bool {
		for len(bufs) > 0 {
			if len(bufs[0]) == 0 {
				bufs = bufs[1:]
				continue
			}
			n, err := unix.Pwritev(int(fd), bufs[:min(len(bufs), iovecsMax)], position+written)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				werr = err
				return true
			}
			if n == 0 {
				werr = errors.New("pwritev wrote nothing")
				return true
			}
			written += int64(n)
			bufs = advance(bufs, n)
		}
		return true
	})
	if werr == nil {
		werr = cerr
	}
	return written, werr
}

// advance drops the first n bytes of bufs after a short write. It never
// writes into the caller's slice: the first partial buffer is replaced in a
// copy.
func advance(bufs [][]byte, n int) [][]byte {
	for n > 0 && len(bufs) > 0 {
		if n < len(bufs[0]) {
			rest := make([][]byte, len(bufs))
			copy(rest, bufs)
			rest[0] = rest[0][n:]
			return rest
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	return bufs
}

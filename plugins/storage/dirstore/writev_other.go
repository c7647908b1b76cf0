//go:build !(darwin || linux || openbsd)

package dirstore

import "os"

// WriteVectorAt writes bufs at position one WriteAt each: systems without
// pwritev in golang.org/x/sys get correctness, not the single submission.
func WriteVectorAt(f *os.File, bufs [][]byte, position int64) (int64, error) {
	var written int64
	for _, b := range bufs {
		n, err := f.WriteAt(b, position+written)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

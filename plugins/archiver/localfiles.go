package archiver

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// CopyToTempFile stores exactly sizeBytes of r (CopyExact) in a new,
// fsynced temporary file in dir and returns its path and SHA-256; on error
// the file is removed. It is the first half of an atomic Put for archivers
// that keep objects as local files; RenameDurable is the second.
func CopyToTempFile(ctx context.Context, dir, pattern string, r io.Reader, sizeBytes int64) (path, sha256 string, err error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", "", err
	}
	sum, err := CopyExact(ctx, f, r, sizeBytes)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", "", err
	}
	return f.Name(), sum, nil
}

// RenameDurable moves from to to, creating to's directory with dirMode if
// needed, and fsyncs that directory so the rename survives a crash.
func RenameDurable(from, to string, dirMode fs.FileMode) error {
	dir := filepath.Dir(to)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	return dirstore.SyncDir(dir)
}

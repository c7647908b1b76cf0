package archiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

// Sentinel errors every implementation returns (wrapped) so callers can use
// errors.Is, also across the external-plugin boundary.
var (
	// ErrNotFound: no object under the key.
	ErrNotFound = errors.New("archiver: not found")
	// ErrSizeMismatch: Put's reader did not yield exactly the announced size;
	// nothing was stored.
	ErrSizeMismatch = errors.New("archiver: size mismatch")
	// ErrBadKey: the key is not a valid relative object name.
	ErrBadKey = errors.New("archiver: bad key")
	// ErrClosed: a call after Close (or before Start).
	ErrClosed = errors.New("archiver: closed")
)

// Key names one archived object: a relative, slash-separated path of
// [A-Za-z0-9._-] elements, none of them "." or "..". The host builds keys
// (SegmentKey); an implementation maps them onto its own namespace.
type Key string

// keyBytesMax bounds a key (object stores allow 1024).
const keyBytesMax = 1024

// Check reports whether k is a valid key.
func (k Key) Check() error {
	if k == "" || len(k) > keyBytesMax {
		return fmt.Errorf("%w: %q: want 1 to %d bytes", ErrBadKey, k, keyBytesMax)
	}
	for _, elem := range strings.Split(string(k), "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fmt.Errorf("%w: %q: empty, \".\" or \"..\" element", ErrBadKey, k)
		}
		for _, r := range elem {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
			if !ok {
				return fmt.Errorf("%w: %q: character %q", ErrBadKey, k, r)
			}
		}
	}
	return nil
}

// SegmentKey is where the host archives one file of a sealed segment:
// segments/<stream>/<topic>/<partition>/<base offset, %020d>.log|.index.
func SegmentKey(id storage.SegmentID, kind storage.FileKind) Key {
	ext := "log"
	if kind == storage.FileIndex {
		ext = "index"
	}
	return Key(fmt.Sprintf("segments/%d/%d/%d/%020d.%s", id.Stream, id.Topic, id.Partition, id.BaseOffset, ext))
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key       Key
	SizeBytes int64
	// SHA256 is the lowercase hex digest of the object's bytes.
	SHA256 string
}

// Archiver stores whole objects. Implementations are safe for concurrent use.
type Archiver interface {
	component.Component
	// Put stores exactly sizeBytes read from r under key and returns what
	// it stored. The object appears whole or not at all; a reader that
	// yields fewer or more bytes fails with ErrSizeMismatch and leaves any
	// earlier object under key untouched. Putting identical bytes again
	// succeeds (uploads are retried).
	Put(ctx context.Context, key Key, r io.Reader, sizeBytes int64) (ObjectInfo, error)
	// Get reads lengthBytes of the object from position (lengthBytes < 0:
	// to the end); a range past the end is cut at the end.
	Get(ctx context.Context, key Key, position, lengthBytes int64) (io.ReadCloser, error)
	// Stat describes the object, or fails with ErrNotFound.
	Stat(ctx context.Context, key Key) (ObjectInfo, error)
	// List describes every object whose key starts with prefix ("" for
	// all), sorted by key.
	List(ctx context.Context, prefix Key) ([]ObjectInfo, error)
	// Delete removes the object; deleting a missing object succeeds.
	Delete(ctx context.Context, key Key) error
}

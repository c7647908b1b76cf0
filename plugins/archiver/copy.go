package archiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// CopyExact copies exactly sizeBytes from r to dst, hashing them, and
// stops when ctx ends: the part of Put every implementation shares. A
// reader that yields fewer or more bytes fails with ErrSizeMismatch. It
// returns the lowercase hex SHA-256 of the bytes copied.
func CopyExact(ctx context.Context, dst io.Writer, r io.Reader, sizeBytes int64) (string, error) {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(dst, h), io.LimitReader(ContextReader(ctx, r), sizeBytes+1))
	if err != nil {
		return "", err
	}
	if n != sizeBytes {
		return "", fmt.Errorf("%w: read %d bytes, announced %d", ErrSizeMismatch, n, sizeBytes)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ContextReader wraps r so that a long read loop ends with ctx's error
// once ctx is done (an io.Reader takes no context of its own).
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return contextReader{ctx, r} }

type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

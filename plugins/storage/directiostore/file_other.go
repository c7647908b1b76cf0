//go:build !linux

package directiostore

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/runnel-io/runnel/plugins/storage"
)

// backend: O_DIRECT is only implemented for Linux; Start fails elsewhere.
type backend struct{ cfg Config }

func (*backend) Start(_ context.Context, dir string) error {
	return fmt.Errorf("O_DIRECT is only supported on Linux (%w); use backend \"file\"", storage.ErrUnavailable)
}

func (*backend) Close() error { return nil }

func (*backend) NewFile(*os.File, string, storage.FileKind, int64) (storage.File, error) {
	return nil, errors.New("directio: not supported on this system")
}

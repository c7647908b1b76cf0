package filestore

import (
	"context"
	"fmt"
	"os"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// Name is the backend's name in the registry and in config
// (storage.backend = "file").
const Name = "file"

var _ dirstore.Backend = backend{}

// New checks cfg and returns a Store rooted at env.DataDir. It does no I/O;
// Start creates the directory.
func New(env component.Env, cfg Config) (*dirstore.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("filestore: config: %w", err)
	}
	return dirstore.New(env, "filestore", backend{})
}

// backend makes plain files; it has no state of its own.
type backend struct{}

func (backend) Start(context.Context, string) error { return nil }

func (backend) Close() error { return nil }

func (backend) NewFile(f *os.File, path string, _ storage.FileKind, size int64) (storage.File, error) {
	return dirstore.NewPlainFile("filestore", f, path, size), nil
}

package storagebench

import (
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/directiostore"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/mmapstore"
)

// Backends lists every backend built into this binary, with default
// configs: file, mmap, directio, and iouring when built with its tag.
func Backends() []Backend {
	bs := []Backend{
		{Name: filestore.Name, New: func(dir string) (storage.Store, error) {
			return filestore.New(component.Env{DataDir: dir}, filestore.Config{})
		}},
		{Name: mmapstore.Name, New: func(dir string) (storage.Store, error) {
			return mmapstore.New(component.Env{DataDir: dir}, mmapstore.Config{})
		}},
		{Name: directiostore.Name, New: func(dir string) (storage.Store, error) {
			return directiostore.New(component.Env{DataDir: dir}, directiostore.Config{})
		}},
	}
	return append(bs, optionalBackends()...)
}

//go:build linux && iouring

package storagebench

import (
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/iouringstore"
)

func optionalBackends() []Backend {
	return []Backend{{Name: iouringstore.Name, New: func(dir string) (storage.Store, error) {
		return iouringstore.New(component.Env{DataDir: dir}, iouringstore.Config{})
	}}}
}

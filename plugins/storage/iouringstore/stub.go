//go:build !(linux && iouring)

package iouringstore

import (
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// New fails: this binary (built without the `iouring` tag on Linux) was built without io_uring support. The error
// wraps storage.ErrUnavailable and names the fallback backend.
func New(component.Env, Config) (*dirstore.Store, error) {
	return nil, fmt.Errorf("iouringstore: built without io_uring support (%w); use backend \"file\"", storage.ErrUnavailable)
}

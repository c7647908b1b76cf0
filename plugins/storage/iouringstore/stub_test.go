//go:build !(linux && iouring)

package iouringstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/iouringstore"
)

func TestBuiltWithout(t *testing.T) {
	_, err := iouringstore.New(component.Env{DataDir: t.TempDir()}, iouringstore.Config{})
	if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), `use backend "file"`) ||
		!strings.Contains(err.Error(), "built without io_uring support") {
		t.Fatalf("New without the iouring tag: %v", err)
	}
}

//go:build linux && iouring

package iouringstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/plugins/storage"
)

// TestSetupFailureNamesFallback: a ring the kernel refuses (here: more
// entries than IORING_MAX_ENTRIES) is ErrUnavailable naming "file", as a
// kernel without io_uring or a seccomp filter would be.
func TestSetupFailureNamesFallback(t *testing.T) {
	rg, err := newRing(1 << 20)
	if err == nil {
		_ = rg.close()
		t.Fatal("the kernel took a ring of 1<<20 entries")
	}
	if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), `use backend "file"`) {
		t.Fatalf("setup failure: %v", err)
	}
}

func TestRingCloseIdempotent(t *testing.T) {
	rg, err := newRing(4)
	if err != nil {
		t.Fatal(err)
	}
	if err := rg.close(); err != nil {
		t.Fatal(err)
	}
	if err := rg.close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := rg.run([]prep{nil}, false); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("run after close: %v", err)
	}
}

package diskarchiver

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/archivertest"
	"github.com/runnel-io/runnel/plugins/component"
)

func newArchiver(t *testing.T) archiver.Archiver {
	a, err := New(component.Env{DataDir: t.TempDir()}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConformance(t *testing.T) { archivertest.Run(t, newArchiver) }

func TestSampleConfigDecodes(t *testing.T) {
	if _, err := component.DecodeConfig[Config](map[string]any{"path": ""}); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeConfig(map[string]any{"pth": "x"}); err == nil {
		t.Fatal("unknown key accepted")
	}
}

// TestStaleDigestIsRecomputed: a crash between the object's rename and the
// digest's leaves the old digest; Stat must not report it.
func TestStaleDigestIsRecomputed(t *testing.T) {
	a, err := New(component.Env{DataDir: t.TempDir()}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, "k", bytes.NewReader([]byte("old")), 3); err != nil {
		t.Fatal(err)
	}
	fresh, err := a.Put(ctx, "k2", bytes.NewReader([]byte("newer")), 5)
	if err != nil {
		t.Fatal(err)
	}
	// Simulate the crash: new bytes in place, digest file still the old one.
	if err := os.WriteFile(a.objectPath("k"), []byte("newer"), 0o640); err != nil {
		t.Fatal(err)
	}
	info, err := a.Stat(ctx, "k")
	if err != nil || info.SHA256 != fresh.SHA256 || info.SizeBytes != 5 {
		t.Fatalf("stat after a torn put: %+v %v, want digest %s", info, err, fresh.SHA256)
	}
}

func TestStartClearsTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	a, _ := New(component.Env{DataDir: dir}, Config{})
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.tmpDir()+"/put-123", []byte("half"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, _ := New(component.Env{DataDir: dir}, Config{})
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(b.tmpDir()); len(entries) != 0 {
		t.Fatalf("tmp still holds %d files", len(entries))
	}
}

package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/archivertest"
	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/catalog"
	"github.com/runnel-io/runnel/plugins/component"
)

// casBinary and storageBinary are the bundles, built once by TestMain.
var casBinary, storageBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "catalog-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	casBinary = filepath.Join(dir, "runnel-plugin-cas")
	storageBinary = filepath.Join(dir, "runnel-plugin-storage")
	build := exec.Command("go", "build", "-o", dir,
		"github.com/runnel-io/runnel/examples/casarchiver/cmd/runnel-plugin-cas",
		"github.com/runnel-io/runnel/cmd/runnel-plugin-storage")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the bundles:", err)
	} else {
		code = m.Run()
	}
	plugin.CleanupClients()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openCAS(t *testing.T, cfg catalog.Config, logs *syncBuffer) (*catalog.Catalog, component.Factory[archiver.Archiver]) {
	t.Helper()
	sum, err := bundletest.FileSHA256(casBinary)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = filepath.Dir(casBinary)
	cfg.Bundles = []catalog.BundleRef{{Name: "casbundle", File: filepath.Base(casBinary), SHA256: sum}}
	cat, err := catalog.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close(context.Background()) })
	sets := cat.Sets()
	if len(sets) != 1 || sets[0].Name != "casbundle" || sets[0].Version != "0.1.0" || len(sets[0].Archiver) != 1 {
		t.Fatalf("sets: %+v", sets)
	}
	f := sets[0].Archiver[0]
	if f.Info.Kind != component.KindArchiver || f.Info.Name != "cas" || f.Info.Stability != component.StabilityDevelopment {
		t.Fatalf("info: %+v", f.Info)
	}
	return cat, f
}

func newCAS(t *testing.T, f component.Factory[archiver.Archiver], dataDir string) *catalog.RemoteArchiver {
	t.Helper()
	a, err := f.New(context.Background(), component.Env{DataDir: dataDir}, map[string]any{"max_object_bytes": int64(64 << 20)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a.(*catalog.RemoteArchiver)
}

// TestConformanceExternal runs the archiver suite against the example
// bundle launched as a real child process.
func TestConformanceExternal(t *testing.T) {
	bundletest.RunArchiverBinary(t, casBinary, "cas", nil, archivertest.Run)
}

func TestChecksumMismatchRefused(t *testing.T) {
	wrong := strings.Repeat("ab", 32)
	_, err := catalog.Open(context.Background(), catalog.Config{
		Dir:     filepath.Dir(casBinary),
		Bundles: []catalog.BundleRef{{Name: "casbundle", File: filepath.Base(casBinary), SHA256: wrong}},
	}, nil)
	sum, _ := bundletest.FileSHA256(casBinary)
	if err == nil || !strings.Contains(err.Error(), `"casbundle"`) || !strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), sum) {
		t.Fatalf("got %v, want a refusal naming the bundle and both digests", err)
	}
}

func TestBadBundlesRefused(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		sum, err := bundletest.FileSHA256(path)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"future", `echo '{"bundle":"f","version":"9","protocols":[7],"components":[{"kind":"archiver","name":"x"}]}'`, "protocols [7]"},
		{"telemetry", `echo '{"bundle":"s","version":"1","protocols":[1],"components":[{"kind":"telemetry","name":"x"}]}'`, "cannot run out of process"},
		{"garbage", `echo hello`, "bad manifest"},
		{"failing", `echo oops >&2; exit 3`, "oops"},
	} {
		sum := script(tc.name, tc.body)
		_, err := catalog.Open(context.Background(), catalog.Config{Dir: dir, Bundles: []catalog.BundleRef{{Name: tc.name, File: tc.name, SHA256: sum}}}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: got %v, want an error naming the bundle and %q", tc.name, err, tc.want)
		}
	}
	_, err := catalog.Open(context.Background(), catalog.Config{Dir: dir, Bundles: []catalog.BundleRef{{Name: "missing", File: "nope", SHA256: strings.Repeat("0", 64)}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

func TestBadConfigNamesPluginAndKey(t *testing.T) {
	_, f := openCAS(t, catalog.Config{}, &syncBuffer{})
	_, err := f.New(context.Background(), component.Env{DataDir: t.TempDir()}, map[string]any{"pth": "/x", "max_object_bytes": int64(1)})
	if err == nil || !strings.Contains(err.Error(), `archiver "cas"`) || !strings.Contains(err.Error(), "unknown key pth") {
		t.Fatalf("got %v, want an error naming the plugin and the key", err)
	}
	_, err = f.New(context.Background(), component.Env{DataDir: t.TempDir()}, map[string]any{"max_object_bytes": "big"})
	if err == nil || !strings.Contains(err.Error(), "max_object_bytes") {
		t.Fatalf("wrong type: %v", err)
	}
}

// TestKillIsSurvived kills the plugin process with SIGKILL: calls fail
// with ErrUnavailable until the supervisor relaunches it, then the same
// store serves again.
func TestKillIsSurvived(t *testing.T) {
	ctx := context.Background()
	logs := &syncBuffer{}
	cat, f := openCAS(t, catalog.Config{RestartBackoffMin: 20 * time.Millisecond}, logs)
	a := newCAS(t, f, t.TempDir())
	want, err := a.Put(ctx, "k/before", strings.NewReader("acknowledged"), 12)
	if err != nil {
		t.Fatal(err)
	}
	pid := a.PID()
	if pid <= 0 {
		t.Fatalf("pid %d", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := a.Stat(ctx, "k/before")
		if err == nil && a.PID() != pid {
			if got != want {
				t.Fatalf("after restart: %+v, want %+v", got, want)
			}
			break
		}
		if err != nil && !errors.Is(err, catalog.ErrUnavailable) {
			t.Fatalf("while the plugin is down: %v, want ErrUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin not back: pid %d, last error %v", a.PID(), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if a.Restarts() != 1 {
		t.Fatalf("restarts %d, want 1", a.Restarts())
	}
	if _, err := a.Put(ctx, "k/after", strings.NewReader("again"), 5); err != nil {
		t.Fatalf("put after restart (must be started again): %v", err)
	}
	if inst := cat.Instances(); len(inst) != 1 || inst[0].Restarts != 1 || inst[0].PID != a.PID() || inst[0].Bundle != "casbundle" {
		t.Fatalf("instances: %+v", inst)
	}
	if !strings.Contains(logs.String(), "plugin restarted") || !strings.Contains(logs.String(), "cas store open") {
		t.Fatalf("logs lack the restart or the plugin's own lines:\n%s", logs)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	cat, f := openCAS(t, catalog.Config{}, &syncBuffer{})
	a := newCAS(t, f, t.TempDir())
	pid := a.PID()
	for range 2 {
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	waitGone(t, pid)
	if _, err := a.Stat(context.Background(), "k"); !errors.Is(err, archiver.ErrClosed) {
		t.Fatalf("stat after close: %v", err)
	}
	if n := len(cat.Instances()); n != 0 {
		t.Fatalf("%d instances after close", n)
	}
	// Catalog.Close reaches instances the caller forgot.
	b := newCAS(t, f, t.TempDir())
	pid = b.PID()
	if err := cat.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

// waitGone polls until no process (not even a zombie) has pid.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still exists", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHangIsSurvived: a plugin process that stops answering (SIGSTOP) is
// taken as hung, killed and relaunched; the data stays.
func TestHangIsSurvived(t *testing.T) {
	ctx := context.Background()
	logs := &syncBuffer{}
	_, f := openCAS(t, catalog.Config{RestartBackoffMin: 20 * time.Millisecond,
		HealthInterval: 50 * time.Millisecond, HealthTimeout: 300 * time.Millisecond}, logs)
	a := newCAS(t, f, t.TempDir())
	want, err := a.Put(ctx, "k/before", strings.NewReader("acknowledged"), 12)
	if err != nil {
		t.Fatal(err)
	}
	pid := a.PID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for a.PID() == pid || a.PID() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("hung plugin not replaced; logs:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := a.Stat(ctx, "k/before")
	if err != nil || got != want {
		t.Fatalf("after the relaunch: %+v %v, want %+v", got, err, want)
	}
	if !strings.Contains(logs.String(), "stopped answering") {
		t.Fatalf("logs do not report the hang:\n%s", logs)
	}
	for time.Now().Before(deadline) { // the hung process itself was killed
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("hung process %d still exists", pid)
}

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/runnel-io/runnel/examples/casarchiver"
	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/sdk/wire"
)

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// casConfig selects the example external archiver through a bundle entry.
func casConfig(t *testing.T, digest, storeDir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runnel.toml")
	cfg := fmt.Sprintf(`[[archivers]]
name = "cas1"
type = "cas"
[archivers.config]
path = %q

[plugins]
dir = %q
[[plugins.bundles]]
name = "cas"
file = "runnel-plugin-cas"
sha256 = %q
`, storeDir, filepath.Dir(casPluginBinary), digest)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pluginChildren lists the pids of pid's children running the cas plugin
// (its command name, cut to 15 bytes by /proc, starts so).
func pluginChildren(t *testing.T, pid int) []int { return childrenNamed(t, pid, "runnel-plugin-c") }

// segmentObjects counts the segment files in the cas store's index (it
// also holds metadata snapshots and the manifest). It reads the index file
// as it is, never through a second Archiver: Start sweeps temporary files
// and unindexed blobs, which would race the live plugin's uploads.
func segmentObjects(t *testing.T, root string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "index"))
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		// "<sha256> <size> <key>"
		if fields := strings.Fields(line); len(fields) == 3 && strings.HasPrefix(fields[2], "segments/") {
			n++
		}
	}
	return n
}

// TestExternalArchiverPluginSurvivesKill9: the example cas archiver, an
// external bundle selected by config, receives every sealed segment; after
// kill -9 of its process the server keeps serving, the plugin is relaunched
// and later seals reach it too.
func TestExternalArchiverPluginSurvivesKill9(t *testing.T) {
	storeDir := t.TempDir()
	cfg := casConfig(t, fileSHA256(t, casPluginBinary), storeDir)
	s := testserver.StartArgs(t, serverBinary, []string{"--config", cfg},
		"RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB", "RUNNEL_SYSTEM_ARCHIVE_INTERVAL=50ms")
	c := runnelClient(t, s)
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, "arch"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NamedID("arch"), PartitionsCount: 1, Name: "t"}); err != nil {
		t.Fatal(err)
	}
	sendBytes(t, s, 12)
	testserver.Eventually(t, "two sealed segments in the cas store", func() bool { return segmentObjects(t, storeDir) == 4 })

	children := pluginChildren(t, s.Pid())
	if len(children) != 1 {
		t.Fatalf("want one plugin process under the server, found %v", children)
	}
	if err := syscall.Kill(children[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sendBytes(t, s, 6) // the server keeps taking writes while the plugin is down
	var relaunched int
	testserver.Eventually(t, "the plugin relaunched", func() bool {
		now := pluginChildren(t, s.Pid())
		if len(now) == 1 && now[0] != children[0] {
			relaunched = now[0]
		}
		return relaunched != 0
	})
	testserver.Eventually(t, "a later seal archived by the relaunched plugin", func() bool { return segmentObjects(t, storeDir) == 6 })
	s.Stop()
	// The plugin process ends with the server (orphans would be adopted by
	// init, so look for the pid itself, not for children).
	testserver.Eventually(t, "the plugin process gone", func() bool {
		_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(relaunched)))
		return err != nil
	})

	// Read the store back with the archiver's own code and compare.
	reader, err := casarchiver.New(component.Env{}, casarchiver.Config{Path: storeDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer reader.Close(ctx)
	objects, err := reader.List(ctx, "segments/")
	if err != nil || len(objects) != 6 {
		t.Fatalf("cas store lists %d objects (%v), want 6", len(objects), err)
	}
	for _, o := range objects {
		parts := strings.Split(string(o.Key), "/")
		local, err := os.ReadFile(filepath.Join(s.DataDir, "streams", parts[1], "topics", parts[2], "partitions", parts[3], parts[4]))
		if err != nil {
			t.Fatal(err)
		}
		r, err := reader.Get(ctx, o.Key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		remote, _ := io.ReadAll(r)
		_ = r.Close()
		if string(remote) != string(local) {
			t.Fatalf("%s differs from the local file", o.Key)
		}
	}
}

// TestExternalPluginChecksumMismatchRefused: a bundle whose binary does not
// match the configured digest never runs; the server refuses to start with
// one line naming the bundle.
func TestExternalPluginChecksumMismatchRefused(t *testing.T) {
	cfg := casConfig(t, strings.Repeat("0", 64), t.TempDir())
	cmd := exec.Command(serverBinary, "--config", cfg)
	cmd.Env = append(os.Environ(), "RUNNEL_SYSTEM_PATH="+t.TempDir(), "RUNNEL_TCP_ADDRESS=127.0.0.1:0", "RUNNEL_ROOT_PASSWORD=secret")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("server with a bad digest: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"cas"`) || !strings.Contains(string(out), strings.Repeat("0", 64)) || strings.Count(string(out), "\n") != 1 {
		t.Fatalf("want one line naming the bundle and the digests, got:\n%s", out)
	}
}

// TestExternalPluginEndsWithKilledServer: kill -9 of the server leaves no
// plugin process behind.
func TestExternalPluginEndsWithKilledServer(t *testing.T) {
	cfg := casConfig(t, fileSHA256(t, casPluginBinary), t.TempDir())
	s := testserver.StartArgs(t, serverBinary, []string{"--config", cfg})
	var child int
	testserver.Eventually(t, "the plugin process", func() bool {
		if c := pluginChildren(t, s.Pid()); len(c) == 1 {
			child = c[0]
		}
		return child != 0
	})
	s.Kill9()
	testserver.Eventually(t, "the orphaned plugin to exit", func() bool {
		_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(child)))
		return err != nil
	})
}

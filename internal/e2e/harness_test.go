package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/runnel-io/runnel/internal/s3test"
	"github.com/runnel-io/runnel/internal/testserver"
)

// Binaries built once per test process by TestMain.
var serverBinary, casPluginBinary, storagePluginBinary, transportPluginBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{
		"cmd/runnel-server":                          &serverBinary,
		"examples/casarchiver/cmd/runnel-plugin-cas": &casPluginBinary,
		"cmd/runnel-plugin-storage":                  &storagePluginBinary,
		"cmd/runnel-plugin-transport":                &transportPluginBinary,
	})
}

type server = testserver.Server

const (
	rootUser     = testserver.RootUser
	rootPassword = testserver.RootPassword
)

// s3OnlyEnv, when set to 1, makes startServer run every server in "S3
// only" mode: a real S3 server (versitygw) as its archive, 1 MiB segments
// archived every 50 ms and deleted locally once archived, so the active
// segment is the only local state. `make test` runs the Iggy SDK scenarios
// a second time this way: an S3-only node must pass what a normal one does.
const s3OnlyEnv = "E2E_S3_ONLY"

// startServer runs runnel-server on a fresh data directory and a free port.
func startServer(t testing.TB, extraEnv ...string) *server {
	t.Helper()
	if os.Getenv(s3OnlyEnv) != "1" {
		return testserver.Start(t, serverBinary, extraEnv...)
	}
	gw := s3test.Start(t)
	cfgFile := filepath.Join(t.TempDir(), "runnel.toml")
	cfg := fmt.Sprintf("[[archivers]]\nname = \"s3\"\ntype = \"s3\"\n[archivers.config]\n"+
		"bucket = %q\nendpoint = %q\npath_style = true\naccess_key_id = %q\nsecret_access_key = %q\n",
		gw.Bucket, gw.Endpoint, gw.AccessKey, gw.SecretKey)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append([]string{"RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB", "RUNNEL_SYSTEM_ARCHIVE_INTERVAL=50ms",
		"RUNNEL_SYSTEM_TIERING_LOCAL_ACTIVE_ONLY=true"}, extraEnv...)
	return testserver.StartArgs(t, serverBinary, []string{"--config", cfgFile}, env...)
}

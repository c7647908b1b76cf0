package e2e

import (
	"testing"

	"github.com/runnel-io/runnel/internal/testserver"
)

// Binaries built once per test process by TestMain.
var serverBinary, casPluginBinary, storagePluginBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{
		"cmd/runnel-server":                          &serverBinary,
		"examples/casarchiver/cmd/runnel-plugin-cas": &casPluginBinary,
		"cmd/runnel-plugin-storage":                  &storagePluginBinary,
	})
}

type server = testserver.Server

const (
	rootUser     = testserver.RootUser
	rootPassword = testserver.RootPassword
)

// startServer runs runnel-server on a fresh data directory and a free port.
func startServer(t testing.TB, extraEnv ...string) *server {
	t.Helper()
	return testserver.Start(t, serverBinary, extraEnv...)
}

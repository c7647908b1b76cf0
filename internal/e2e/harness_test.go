package e2e

import (
	"testing"

	"github.com/runnel-io/runnel/internal/testserver"
)

// serverBinary is built once per test process by TestMain.
var serverBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{"cmd/runnel-server": &serverBinary})
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

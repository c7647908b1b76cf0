package testserver

import (
	"os"

	"github.com/runnel-io/runnel/internal/config"
)

// ClusterMode is the cluster.mode the servers this process starts run in:
// the embedded default, unless the test's environment sets
// RUNNEL_CLUSTER_MODE (which the child inherits), as `make test` does to
// run the end-to-end suites in each mode.
func ClusterMode() string {
	cfg, err := config.Load(nil, os.Environ())
	if err != nil {
		panic("testserver: config: " + err.Error())
	}
	return cfg.Cluster.Mode
}

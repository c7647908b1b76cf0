package bundletest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-plugin"
)

// transportBinary is cmd/runnel-plugin-transport, built once by TestMain.
var transportBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bundletest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	transportBinary = filepath.Join(dir, "runnel-plugin-transport")
	build := exec.Command("go", "build", "-o", transportBinary, "github.com/runnel-io/runnel/cmd/runnel-plugin-transport")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the transport bundle:", err)
	} else {
		code = m.Run()
	}
	plugin.CleanupClients()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

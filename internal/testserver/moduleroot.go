package testserver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ModuleRoot walks up from the working directory (a test runs in its
// package's directory) to the root module's go.mod, past nested modules
// such as sdk/. Harnesses use it to find tools installed under
// <root>/.tools/bin.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testserver: module root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/runnel-io/runnel\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testserver: the runnel root go.mod is not above the working directory")
		}
		dir = parent
	}
}

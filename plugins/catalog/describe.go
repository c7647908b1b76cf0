package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/runnel-io/runnel/plugins/bundle"
)

func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h.Sum(nil), nil
}

// describe runs `<path> describe` with an empty environment (no host
// secrets) and a deadline, and decodes the manifest it prints.
func describe(ctx context.Context, path string) (bundle.Manifest, error) {
	ctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "describe")
	cmd.Env = []string{}
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = describeBytesMax, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return bundle.Manifest{}, fmt.Errorf("%s describe: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	var m bundle.Manifest
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		return bundle.Manifest{}, fmt.Errorf("%s describe: bad manifest: %w", path, err)
	}
	return m, nil
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

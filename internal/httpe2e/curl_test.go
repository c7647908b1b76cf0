package httpe2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var shellBlockRE = regexp.MustCompile("(?s)```sh\n(.*?)```")

// TestReadmeCurlExamples runs the curl examples of the HTTP transport's
// README with the real curl binary, so the documentation is known to work.
func TestReadmeCurlExamples(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed: the README's curl examples are not checked")
	}
	_, here, _, _ := runtime.Caller(0)
	readme, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "plugins", "transport", "httptransport", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlockRE.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```sh block")
	}
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, b := range blocks {
		script.WriteString(b[1])
	}
	s := startServer(t)
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Env = append(os.Environ(), "RUNNEL_HTTP="+s.base, "PATH="+filepath.Dir(curl)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README curl script failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"name":"demo"`, `"payload":"aGVsbG8="`, `"payload":"d29ybGQ="`, `"streams_count":1`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the Runnel checkout this test runs in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// helloModule copies testdata/hello into a fresh module directory (the
// files carry a .txt suffix so the Runnel module does not compile them).
func helloModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "hello.go"} {
		b, err := os.ReadFile(filepath.Join("testdata", "hello", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("RUNNEL_DIR"), []byte(repoRoot(t)))
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBuildsAServerWithACompiledInBundle runs the whole build and then the
// built server: its plugin list names the bundle's archiver, and a config
// selecting it passes check-config.
func TestBuildsAServerWithACompiledInBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a server binary")
	}
	out := filepath.Join(t.TempDir(), "runnel-server-hello")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{
		"--with", "example.com/hello",
		"--replace", "example.com/hello=" + helloModule(t),
		"--runnel", repoRoot(t),
		"--output", out,
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	list, err := exec.Command(out, "plugins", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("plugins list: %v\n%s", err, list)
	}
	collapsed := strings.Join(strings.Fields(string(list)), " ")
	if !strings.Contains(collapsed, "archiver hello bundle:hello 1.0.0") || !strings.Contains(collapsed, "storage file builtin") {
		t.Fatalf("plugins list of the custom server:\n%s", list)
	}
	cfg := filepath.Join(t.TempDir(), "runnel.toml")
	if err := os.WriteFile(cfg, []byte("[[archivers]]\nname = \"h\"\ntype = \"hello\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check := exec.Command(out, "check-config", "--config", cfg)
	check.Env = append(os.Environ(), "RUNNEL_SYSTEM_PATH="+t.TempDir())
	if b, err := check.CombinedOutput(); err != nil {
		t.Fatalf("check-config: %v\n%s", err, b)
	}
}

func TestRefusesBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "give at least one --with"},
		{[]string{"--with", "x", "--runnel", t.TempDir()}, "not a Runnel source checkout"},
		{[]string{"--with", "x", "--replace", "nodir", "--runnel", repoRoot(t)}, "want MODULE=DIR"},
		{[]string{"--with", "@v1", "--runnel", repoRoot(t)}, "want PACKAGE[@VERSION]"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

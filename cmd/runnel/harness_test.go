package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
)

// Binaries built once per test process by TestMain.
var bins struct{ server, cli string }

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{"cmd/runnel-server": &bins.server, "cmd/runnel": &bins.cli})
}

const (
	rootUser     = testserver.RootUser
	rootPassword = testserver.RootPassword
	cliTimeout   = 20 * time.Second
)

type server = testserver.Server

// startServer runs runnel-server on a fresh data directory and a free port.
func startServer(t testing.TB) *server {
	t.Helper()
	return testserver.Start(t, bins.server)
}

// cli runs bin/runnel against one server with its own config directory.
type cli struct {
	t         testing.TB
	addr      string
	configDir string
	env       []string // extra KEY=VALUE entries
}

func newCLI(t testing.TB, s *server) *cli {
	return &cli{t: t, addr: s.Addr, configDir: t.TempDir()}
}

// asRoot returns a copy that logs in as the root user through the
// environment.
func (c *cli) asRoot() *cli {
	cp := *c
	cp.env = append(append([]string(nil), c.env...), "RUNNEL_CLI_USERNAME="+rootUser, "RUNNEL_CLI_PASSWORD="+rootPassword)
	return &cp
}

func (c *cli) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bins.cli, args...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUNNEL_CLI_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(append(env, "RUNNEL_CLI_CONFIG_DIR="+c.configDir, "RUNNEL_CLI_ADDRESS="+c.addr), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

type result struct {
	stdout, stderr string
	code           int
}

// runIn runs the CLI with stdin and returns its output and exit code.
func (c *cli) runIn(stdin string, args ...string) result {
	c.t.Helper()
	cmd := c.command(stdin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(cliTimeout):
		_ = cmd.Process.Kill()
		<-done
		c.t.Fatalf("runnel %q did not finish", args)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runIn("", args...)
}

// ok runs the CLI and fails the test unless it exits 0; it returns stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("runnel %q: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs the CLI and checks the documented failure shape: exit code
// want, empty stdout, exactly one line on stderr containing every fragment.
func (c *cli) fails(want int, fragments []string, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.code != want {
		c.t.Fatalf("runnel %q: exit %d, want %d\nstderr: %s", args, r.code, want, r.stderr)
	}
	if r.stdout != "" {
		c.t.Errorf("runnel %q: stdout not empty: %q", args, r.stdout)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		c.t.Errorf("runnel %q: stderr is not one line: %q", args, r.stderr)
	}
	for _, f := range fragments {
		if !strings.Contains(r.stderr, f) {
			c.t.Errorf("runnel %q: stderr %q lacks %q", args, r.stderr, f)
		}
	}
}

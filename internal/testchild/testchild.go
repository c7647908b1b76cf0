package testchild

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// ExitFailed is the exit code a child uses when it cannot do its work (as
// opposed to being killed): Run fails the test on it.
const ExitFailed = 2

// Child is a running child process.
type Child struct {
	cmd *exec.Cmd

	once  sync.Once
	timer *time.Timer
}

// Kill sends SIGKILL (once).
func (c *Child) Kill() { c.once.Do(func() { _ = c.cmd.Process.Kill() }) }

// KillAfter sends SIGKILL once d has passed (counted from this call).
func (c *Child) KillAfter(d time.Duration) {
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.Kill)
	}
}

// Run re-executes the test binary (running no test: the child's TestMain
// or init path acts on env) and calls onLine for each line it prints on
// stdout, until the child exits. onLine may kill the child. Run returns the
// child's stderr; it fails the test if the child could not start or exited
// with ExitFailed.
func Run(t testing.TB, env []string, onLine func(c *Child, line string)) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		onLine(c, sc.Text())
	}
	err = cmd.Wait()
	if c.timer != nil {
		c.timer.Stop()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == ExitFailed {
		t.Fatalf("child failed: %s", stderr.String())
	}
	return stderr.String()
}

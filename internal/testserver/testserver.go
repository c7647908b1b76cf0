package testserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Root credentials every started server is given.
const (
	RootUser     = "iggy"
	RootPassword = "iggy"
)

const (
	startTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
)

var listeningRE = regexp.MustCompile(`listening transport=tcp address=(\S+)`)

// Build compiles a command of this module (for example "cmd/runnel-server")
// into dir and returns the binary's path. buildArgs go before the package,
// for example "-tags", "iouring", "-ldflags=-checklinkname=0".
func Build(dir, command string, buildArgs ...string) (string, error) {
	out := filepath.Join(dir, filepath.Base(command))
	args := append([]string{"build", "-o", out}, buildArgs...)
	args = append(args, "github.com/runnel-io/runnel/"+command)
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w", command, err)
	}
	return out, nil
}

// Main is TestMain for packages that run binaries: it builds each command
// of bins (module path such as "cmd/runnel-server" → where to store the
// binary's path) into a temporary directory, runs the tests and removes
// the directory.
func Main(m *testing.M, bins map[string]*string, buildArgs ...string) {
	dir, err := os.MkdirTemp("", "runnel-test-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for command, path := range bins {
		if *path, err = Build(dir, command, buildArgs...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			_ = os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// Server is one runnel-server child process and its data directory.
type Server struct {
	// Addr is the TCP address the server reported, host:port.
	Addr string
	// DataDir is the server's system.path.
	DataDir string

	t      testing.TB
	binary string
	args   []string
	env    []string
	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan struct{}
}

// Start runs binary on a fresh data directory and a free port with the
// root credentials above; env entries (KEY=value) are added last and win.
// The server is stopped when the test ends.
func Start(t testing.TB, binary string, env ...string) *Server {
	t.Helper()
	return StartArgs(t, binary, nil, env...)
}

// StartArgs is Start with command-line arguments (for example --config).
func StartArgs(t testing.TB, binary string, args []string, env ...string) *Server {
	t.Helper()
	s := &Server{t: t, binary: binary, args: args, DataDir: t.TempDir()}
	s.env = append([]string{
		"RUNNEL_SYSTEM_PATH=" + s.DataDir,
		"RUNNEL_TCP_ADDRESS=127.0.0.1:0",
		"RUNNEL_ROOT_USERNAME=" + RootUser,
		"RUNNEL_ROOT_PASSWORD=" + RootPassword,
	}, env...)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the connection string of the root user.
func (s *Server) URL() string {
	return fmt.Sprintf("runnel://%s:%s@%s", RootUser, RootPassword, s.Addr)
}

// Output is everything the server printed so far (stdout and stderr).
func (s *Server) Output() string { return s.output.String() }

// Pid is the running process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

func (s *Server) start() {
	s.t.Helper()
	s.output = &lockedBuffer{}
	cmd := exec.Command(s.binary, s.args...)
	cmd.Env = append(os.Environ(), s.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	exited, output := make(chan struct{}), s.output
	s.exited = exited
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			output.WriteString(line + "\n")
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addrCh <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case s.Addr = <-addrCh:
	case <-exited:
		s.t.Fatalf("runnel-server exited during start:\n%s", output.String())
	case <-time.After(startTimeout):
		s.t.Fatalf("runnel-server did not report a listening address:\n%s", output.String())
	}
}

// Kill9 ends the process with SIGKILL: no shutdown code runs.
func (s *Server) Kill9() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Restart stops the server (if running) with SIGTERM and starts it again
// on the same data directory and the same port, so clients can reconnect.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.env = append(s.env, "RUNNEL_TCP_ADDRESS="+s.Addr) // later entries win
	s.start()
}

// Stop asks for an orderly shutdown and waits for it; a non-zero exit code
// fails the test.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.exited
		s.t.Errorf("runnel-server ignored SIGTERM:\n%s", s.output.String())
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 && !s.t.Failed() {
		s.t.Errorf("runnel-server exit code %d:\n%s", code, s.output.String())
	}
	s.cmd = nil
}

// RSSBytes reads the process's resident set size from /proc.
func (s *Server) RSSBytes() uint64 {
	s.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatalf("read statm: %v", err)
	}
	var sizePages, rssPages uint64
	if _, err := fmt.Sscan(string(b), &sizePages, &rssPages); err != nil {
		s.t.Fatalf("parse statm %q: %v", b, err)
	}
	return rssPages * uint64(os.Getpagesize())
}

// Eventually polls cond until it holds, failing the test after 30 s.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sb.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

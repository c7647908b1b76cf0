package e2e

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

// serverBinary is built once per test process by TestMain.
var serverBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runnel-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBinary = filepath.Join(dir, "runnel-server")
	build := exec.Command("go", "build", "-o", serverBinary, "github.com/runnel-io/runnel/cmd/runnel-server")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build runnel-server:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one running runnel-server child process.
type server struct {
	t       testing.TB
	dataDir string
	env     []string
	cmd     *exec.Cmd
	addr    string
	output  *lockedBuffer
	exited  chan struct{}
}

const (
	rootUser     = "iggy"
	rootPassword = "iggy"
	startTimeout = 30 * time.Second
)

var listeningRE = regexp.MustCompile(`listening transport=tcp address=(\S+)`)

// startServer runs runnel-server on a fresh data directory and a free port.
func startServer(t testing.TB, extraEnv ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: t.TempDir()}
	s.env = append([]string{
		"RUNNEL_SYSTEM_PATH=" + s.dataDir,
		"RUNNEL_TCP_ADDRESS=127.0.0.1:0",
		"RUNNEL_ROOT_USERNAME=" + rootUser,
		"RUNNEL_ROOT_PASSWORD=" + rootPassword,
	}, extraEnv...)
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	s.t.Helper()
	s.output = &lockedBuffer{}
	cmd := exec.Command(serverBinary)
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
	s.exited = make(chan struct{})
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.output.WriteString(line + "\n")
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addrCh <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.addr = <-addrCh:
	case <-s.exited:
		s.t.Fatalf("runnel-server exited during start:\n%s", s.output.String())
	case <-time.After(startTimeout):
		s.t.Fatalf("runnel-server did not report a listening address:\n%s", s.output.String())
	}
}

// kill9 ends the process with SIGKILL: no shutdown code runs.
func (s *server) kill9() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// restart starts the server again on the same data directory.
func (s *server) restart() {
	s.t.Helper()
	if s.cmd != nil {
		s.stop()
	}
	s.start()
}

// stop asks for an orderly shutdown and waits for it.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(startTimeout):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.exited
		s.t.Errorf("runnel-server ignored SIGTERM:\n%s", s.output.String())
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 && !s.t.Failed() {
		s.t.Errorf("runnel-server exit code %d:\n%s", code, s.output.String())
	}
	s.cmd = nil
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

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// rssBytes reads the server process's resident set size from /proc.
func (s *server) rssBytes() uint64 {
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

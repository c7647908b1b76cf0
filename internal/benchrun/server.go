package benchrun

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server start and stop limits.
const (
	serverStartTimeout = 30 * time.Second
	serverStopTimeout  = 30 * time.Second
	serverLogBytesMax  = 64 << 10
)

// ServerConfig starts a runnel-server child process for one run.
type ServerConfig struct {
	Binary   string // path to runnel-server
	Fsync    string // always, interval or never
	Username string
	Password string
	// DataDir is the server's data directory; empty means a new temporary
	// directory, removed on Stop.
	DataDir string
	// ExtraEnv is added to the server's environment (RUNNEL_* settings).
	ExtraEnv []string
}

// Server is a started runnel-server.
type Server struct {
	Addr    string
	cmd     *exec.Cmd
	dataDir string
	tempDir bool
	exited  chan struct{}
	log     *boundedLog
}

var listeningLine = regexp.MustCompile(`listening transport=tcp address=(\S+)`)

// StartServer runs cfg.Binary on a free loopback port with a fresh data
// directory and waits until it reports its listening address.
func StartServer(ctx context.Context, cfg ServerConfig) (*Server, error) {
	switch cfg.Fsync {
	case "always", "interval", "never":
	default:
		return nil, fmt.Errorf("benchrun: fsync %q is not one of always, interval, never", cfg.Fsync)
	}
	s := &Server{dataDir: cfg.DataDir, exited: make(chan struct{}), log: &boundedLog{}}
	if s.dataDir == "" {
		dir, err := os.MkdirTemp("", "runnel-bench-data")
		if err != nil {
			return nil, fmt.Errorf("benchrun: server data directory: %w", err)
		}
		s.dataDir, s.tempDir = dir, true
	}
	cmd := exec.Command(cfg.Binary)
	cmd.Env = append(os.Environ(), "RUNNEL_SYSTEM_PATH="+s.dataDir, "RUNNEL_TCP_ADDRESS=127.0.0.1:0",
		"RUNNEL_ROOT_USERNAME="+cfg.Username, "RUNNEL_ROOT_PASSWORD="+cfg.Password,
		"RUNNEL_SYSTEM_PARTITION_FSYNC="+cfg.Fsync)
	cmd.Env = append(cmd.Env, cfg.ExtraEnv...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("benchrun: server output: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.removeData()
		return nil, fmt.Errorf("benchrun: start %s: %w", cfg.Binary, err)
	}
	s.cmd = cmd
	addrCh := make(chan string, 1)
	go s.watch(out, addrCh)
	ctx, cancel := context.WithTimeout(ctx, serverStartTimeout)
	defer cancel()
	select {
	case s.Addr = <-addrCh:
		return s, nil
	case <-s.exited:
		s.removeData()
		return nil, fmt.Errorf("benchrun: runnel-server exited during start:\n%s", s.log.String())
	case <-ctx.Done():
		_ = s.Stop()
		return nil, fmt.Errorf("benchrun: runnel-server did not start: %w\n%s", ctx.Err(), s.log.String())
	}
}

// watch copies the server's output into the log, reports the listening
// address once, and closes exited when the process ended.
func (s *Server) watch(out io.Reader, addrCh chan<- string) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s.log.add(line)
		if m := listeningLine.FindStringSubmatch(line); m != nil {
			select {
			case addrCh <- m[1]:
			default:
			}
		}
	}
	_, _ = io.Copy(io.Discard, out)
	_ = s.cmd.Wait()
	close(s.exited)
}

// Stop ends the server with SIGTERM (SIGKILL after serverStopTimeout) and
// removes a temporary data directory.
func (s *Server) Stop() error {
	defer s.removeData()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(serverStopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("benchrun: runnel-server ignored SIGTERM")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 && code != -1 {
		return fmt.Errorf("benchrun: runnel-server exit code %d:\n%s", code, s.log.String())
	}
	return nil
}

// Log is the tail of the server's output.
func (s *Server) Log() string { return s.log.String() }

func (s *Server) removeData() {
	if s.tempDir {
		_ = os.RemoveAll(s.dataDir)
	}
}

// boundedLog keeps the last serverLogBytesMax bytes of output.
type boundedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *boundedLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line)
	l.b.WriteByte('\n')
	if l.b.Len() > serverLogBytesMax {
		tail := l.b.String()[l.b.Len()-serverLogBytesMax/2:]
		l.b.Reset()
		l.b.WriteString(tail)
	}
}

func (l *boundedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

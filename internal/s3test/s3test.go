package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/runnel-io/runnel/internal/testserver"
)

const (
	// EnvBinary names the variable that overrides where versitygw is.
	EnvBinary = "VERSITYGW_BIN"
	// Region is the region the gateway answers for.
	Region = "us-east-1"

	// startAttemptsMax covers the race between picking a free port and
	// the gateway binding it: another process may take the port first.
	startAttemptsMax = 3
	readyTimeout     = 15 * time.Second
	readyPollEvery   = 10 * time.Millisecond
	stopTimeout      = 10 * time.Second
	logTailBytesMax  = 2048
)

// Server is one running versitygw. Its Endpoint, credentials and root stay
// the same across Stop and Restart, so clients built before an outage work
// again after it.
type Server struct {
	// Endpoint is "http://127.0.0.1:<port>".
	Endpoint  string
	AccessKey string
	SecretKey string
	// Bucket exists when Start returns.
	Bucket string
	// Root is the posix backend's directory: one subdirectory per bucket.
	Root string

	binary  string
	addr    string
	logPath string
	buckets atomic.Int64

	mu   sync.Mutex
	proc *process
}

// process is one run of the binary; done closes when it exits.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs a gateway for the test, creates Bucket, and stops the gateway
// when the test ends. It fails the test if versitygw is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	binary, err := FindBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &Server{
		AccessKey: "key" + randomHex(8),
		SecretKey: "secret" + randomHex(16),
		Root:      filepath.Join(dir, "root"),
		binary:    binary,
		logPath:   filepath.Join(dir, "versitygw.log"),
	}
	if err := os.Mkdir(s.Root, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	for attempt := 1; ; attempt++ {
		s.addr, err = freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		s.Endpoint = "http://" + s.addr
		err = s.launch()
		if err == nil {
			break
		}
		if attempt == startAttemptsMax {
			t.Fatalf("s3test: %v", err)
		}
	}
	s.Bucket = s.NewBucket(t)
	return s
}

// FindBinary locates versitygw: $VERSITYGW_BIN, then
// <module root>/.tools/bin/versitygw, then PATH.
func FindBinary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("s3test: $%s: %w", EnvBinary, err)
		}
		return p, nil
	}
	if root, err := testserver.ModuleRoot(); err == nil {
		p := filepath.Join(root, ".tools", "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", errors.New("s3test: versitygw not found (not at $" + EnvBinary + ", <module root>/.tools/bin/versitygw or on PATH); `make tools` installs it")
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("s3test: pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// launch starts the binary and waits until it answers our credentials. A
// gateway that lost the port race exits, and another server on the port
// would refuse our fresh credentials, so readiness proves it is ours.
func (s *Server) launch() error {
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(s.binary, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.addr, "posix", s.Root)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.binary, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	if err := s.waitReady(p); err != nil {
		s.kill(p)
		return fmt.Errorf("versitygw on %s: %w; log:\n%s", s.addr, err, s.logTail())
	}
	return nil
}

func (s *Server) waitReady(p *process) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	client := s.Client()
	tick := time.NewTicker(readyPollEvery)
	defer tick.Stop()
	for {
		reqCtx, reqCancel := context.WithTimeout(ctx, time.Second)
		_, err := client.ListBuckets(reqCtx, &s3.ListBucketsInput{})
		reqCancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", readyTimeout, err)
		case <-tick.C:
		}
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > logTailBytesMax {
		b = b[len(b)-logTailBytesMax:]
	}
	return string(b)
}

// Client is an SDK client for the gateway, with no retries so tests see
// failures as they happen.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(s.Endpoint),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RetryMaxAttempts: 1,
	})
}

// NewBucket creates an empty bucket with a name unique to this server.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("bucket-%03d", s.buckets.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}

// Stop kills the gateway, as a crash or an outage would; a stopped server
// refuses connections until Restart. Stopping twice is harmless.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	if err := s.kill(p); err != nil {
		t.Errorf("s3test: stop versitygw: %v", err)
	}
}

// kill stops p and waits for it: a killed gateway holds no state worth a
// graceful shutdown (SIGTERM takes ~2 s), and the tests want an abrupt
// outage anyway.
func (s *Server) kill(p *process) error {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("pid %d still running %v after SIGKILL", p.cmd.Process.Pid, stopTimeout)
	}
}

// Restart starts a stopped gateway again on the same address, root and
// credentials: the buckets and objects are still there.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	var err error
	for attempt := 1; attempt <= startAttemptsMax; attempt++ {
		// The old port may be briefly taken by someone else; retry
		// rather than move, since clients hold the endpoint.
		if err = s.launch(); err == nil {
			return
		}
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("s3test: restart: %v", err)
}

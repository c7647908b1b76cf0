package jaegertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
)

const (
	// EnvBinary names the variable that says where the jaeger binary is.
	// Not RUNNEL_-prefixed: runnel-server children inherit the test's
	// environment and refuse RUNNEL_ variables that are not config keys.
	EnvBinary = "JAEGERTEST_BIN"

	// startAttemptsMax covers the race between picking free ports and
	// Jaeger binding them: another process may take one first, and then
	// Jaeger exits and we try again on fresh ports.
	startAttemptsMax = 3
	readyTimeout     = 30 * time.Second
	readyPollEvery   = 20 * time.Millisecond
	requestTimeout   = 5 * time.Second
	stopTimeout      = 10 * time.Second
	logTailBytesMax  = 4096
	responseBytesMax = 64 << 20
)

// Jaeger is one running jaeger process.
type Jaeger struct {
	binary  string
	dir     string
	logPath string
	ports   ports
	proc    *process
	http    *http.Client
}

// ports are the four listeners of one configuration.
type ports struct {
	otlpGRPC, otlpHTTP, queryHTTP, queryGRPC string
}

// process is one run of the binary; done closes when it exits.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs Jaeger for the test and stops it when the test ends. It fails
// the test if the binary is missing or Jaeger does not become ready.
func Start(t testing.TB) *Jaeger {
	t.Helper()
	binary, err := FindBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	j := &Jaeger{binary: binary, dir: dir, logPath: filepath.Join(dir, "jaeger.log"), http: &http.Client{Timeout: requestTimeout}}
	t.Cleanup(func() {
		j.stop()
		if t.Failed() {
			t.Logf("jaeger log tail:\n%s", j.LogTail())
		}
	})
	for attempt := 1; ; attempt++ {
		err = j.launch()
		if err == nil {
			return j
		}
		if attempt == startAttemptsMax {
			t.Fatalf("jaegertest: %v", err)
		}
	}
}

// FindBinary locates jaeger: $JAEGERTEST_BIN, then
// <module root>/.tools/bin/jaeger.
func FindBinary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("jaegertest: $%s: %w; `make tools-jaeger` builds it", EnvBinary, err)
		}
		return p, nil
	}
	root, err := testserver.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("jaegertest: jaeger binary not found: $%s is not set and %w", EnvBinary, err)
	}
	p := filepath.Join(root, ".tools", "bin", "jaeger")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("jaegertest: jaeger binary not found ($%s is not set, %s: %w); run `make tools-jaeger` to build it", EnvBinary, p, err)
	}
	return p, nil
}

// OTLPGRPCAddr is the OTLP/gRPC receiver's host:port (no scheme).
func (j *Jaeger) OTLPGRPCAddr() string { return j.ports.otlpGRPC }

// OTLPHTTPAddr is the OTLP/HTTP receiver's host:port (no scheme; the
// traces path is /v1/traces).
func (j *Jaeger) OTLPHTTPAddr() string { return j.ports.otlpHTTP }

// QueryURL is the base URL of the query API and UI, "http://127.0.0.1:port".
func (j *Jaeger) QueryURL() string { return "http://" + j.ports.queryHTTP }

// LogTail is the end of Jaeger's own output, for failure messages.
func (j *Jaeger) LogTail() string {
	b, _ := os.ReadFile(j.logPath)
	if len(b) > logTailBytesMax {
		b = b[len(b)-logTailBytesMax:]
	}
	return string(b)
}

// freePorts reserves four distinct loopback ports at once (so they differ
// from each other) and releases them for Jaeger to bind.
func freePorts() (ports, error) {
	var addrs [4]string
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("pick a port: %w", err)
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return ports{otlpGRPC: addrs[0], otlpHTTP: addrs[1], queryHTTP: addrs[2], queryGRPC: addrs[3]}, nil
}

// launch writes a configuration on fresh ports, starts the binary and
// waits until every listener answers.
func (j *Jaeger) launch() error {
	p, err := freePorts()
	if err != nil {
		return err
	}
	j.ports = p
	configPath := filepath.Join(j.dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(config(p.otlpGRPC, p.otlpHTTP, p.queryHTTP, p.queryGRPC)), 0o640); err != nil {
		return err
	}
	logFile, err := os.OpenFile(j.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(j.binary, "--config", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", j.binary, err)
	}
	proc := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		proc.err = cmd.Wait()
		close(proc.done)
	}()
	j.proc = proc
	if err := j.waitReady(proc); err != nil {
		j.stop()
		return fmt.Errorf("jaeger (otlp grpc %s, query %s): %w; log:\n%s", p.otlpGRPC, p.queryHTTP, err, j.LogTail())
	}
	return nil
}

// waitReady polls until the query API answers with Jaeger's JSON envelope
// (which proves the port is ours) and both OTLP ports accept connections.
// The collector starts extensions (the query API) before receivers, so
// the query API alone does not mean spans can be sent yet.
func (j *Jaeger) waitReady(proc *process) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	tick := time.NewTicker(readyPollEvery)
	defer tick.Stop()
	for {
		err := j.ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-proc.done:
			return fmt.Errorf("exited: %v", proc.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", readyTimeout, err)
		case <-tick.C:
		}
	}
}

func (j *Jaeger) ready(ctx context.Context) error {
	if _, err := j.Services(ctx); err != nil {
		return err
	}
	for _, addr := range []string{j.ports.otlpGRPC, j.ports.otlpHTTP} {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		_ = c.Close()
	}
	return nil
}

// stop sends SIGTERM, so Jaeger shuts down as in production, and kills it
// if it has not exited within stopTimeout.
func (j *Jaeger) stop() {
	proc := j.proc
	if proc == nil {
		return
	}
	_ = proc.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-proc.done:
	case <-time.After(stopTimeout):
		_ = proc.cmd.Process.Kill()
		<-proc.done
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// serverBinary is built by TestMain before any test runs.
var serverBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runnel-bench-cmd-test")
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

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(k string) string { return env[k] })
	return code, stdout.String(), stderr.String()
}

func TestStartServerRunWritesReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, nil, "pinned-producer-and-consumer", "--start-server", "--server-bin", serverBinary,
		"--fsync", "never", "--message-size", "512", "--messages-per-batch", "50", "--total-bytes", "100KB",
		"--producers", "2", "--consumers", "2", "--output-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rep struct {
		Config struct {
			Fsync          string `json:"fsync"`
			MessageBatches int    `json:"message_batches"`
		} `json:"config"`
		Results struct {
			MessagesSent     uint64 `json:"messages_sent"`
			MessagesReceived uint64 `json:"messages_received"`
			Total            struct {
				MBPerSecond float64 `json:"mb_per_s"`
			} `json:"total"`
			Latency struct {
				P99 int64 `json:"p99"`
			} `json:"latency"`
		} `json:"results"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// 100 KB over 2 producers of 50 × 512 B batches: 2 batches each.
	if rep.Config.Fsync != "never" || rep.Config.MessageBatches != 2 {
		t.Errorf("config fsync %q, batches %d; want never, 2", rep.Config.Fsync, rep.Config.MessageBatches)
	}
	if rep.Results.MessagesSent != 200 || rep.Results.MessagesReceived != 200 {
		t.Errorf("sent %d, received %d; want 200 each", rep.Results.MessagesSent, rep.Results.MessagesReceived)
	}
	if rep.Results.Total.MBPerSecond <= 0 || rep.Results.Latency.P99 <= 0 {
		t.Errorf("results %+v", rep.Results)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Error(err)
	}
	if !strings.Contains(stdout, "p99") || !strings.Contains(stdout, "report.json") {
		t.Errorf("stdout lacks the summary:\n%s", stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"transport":  {[]string{"pinned-producer", "--transport", "quic"}, "transport quic not available yet"},
		"size":       {[]string{"pinned-producer", "--message-size", "10..5"}, "--message-size"},
		"total":      {[]string{"pinned-producer", "--total-bytes", "12XB"}, "--total-bytes"},
		"fsync":      {[]string{"pinned-producer", "--fsync", "never"}, "--fsync is a server setting"},
		"flag":       {[]string{"pinned-producer", "--no-such-flag"}, "unknown flag"},
		"positional": {[]string{"pinned-producer", "extra"}, "unknown command"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tc.args...)
			if code == exitOK || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want failure mentioning %q", code, stderr, tc.want)
			}
		})
	}
}

func TestPasswordFromEnvironment(t *testing.T) {
	// Nothing listens on port 1: the run must get past option checks (the
	// password came from the environment) and fail on the connection.
	env := map[string]string{"RUNNEL_ROOT_PASSWORD": "secret"}
	code, _, stderr := runCLI(t, env, "pinned-producer", "--address", "127.0.0.1:1", "--quiet")
	if code != exitError || !strings.Contains(stderr, "dial") {
		t.Errorf("exit %d, stderr %q; want a dial error", code, stderr)
	}
	code, _, stderr = runCLI(t, nil, "pinned-producer", "--address", "127.0.0.1:1")
	if code == exitOK || !strings.Contains(stderr, "no password") {
		t.Errorf("exit %d, stderr %q; want a missing-password error", code, stderr)
	}
}

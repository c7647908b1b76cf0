package sdke2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExamples builds the SDK's example programs and runs them against a
// started server: the producer sends 500 messages, the consumer and a
// consumer-group member each read all 500.
func TestExamples(t *testing.T) {
	s := startServer(t)
	dir := t.TempDir()
	for _, name := range []string{"producer", "consumer", "consumer-group"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "github.com/runnel-io/runnel/sdk/examples/"+name)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(dir, name), args...)
		cmd.Env = append(os.Environ(), "RUNNEL_ADDRESS="+s.Addr, "RUNNEL_USERNAME="+rootUser, "RUNNEL_PASSWORD="+rootPassword)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	if out := run("producer", "--count", "500"); !strings.Contains(out, "sent 500 messages to example/orders (0 failed)") {
		t.Fatalf("producer output:\n%s", out)
	}
	out := run("consumer", "--count", "500")
	if !strings.Contains(out, "received 500 messages") || strings.Count(out, "payload=") != 500 {
		t.Fatalf("consumer output:\n%s", out)
	}
	if !strings.Contains(out, `seq=499 payload="order 499"`) {
		t.Fatalf("consumer output lacks the last message with its header:\n%s", out)
	}
	out = run("consumer-group", "--address", s.Addr, "--count", "500")
	if !strings.Contains(out, "received 500 messages") || strings.Count(out, "group=example-group") != 500 {
		t.Fatalf("consumer-group output:\n%s", out)
	}
}

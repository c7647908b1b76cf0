package benchrun

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

const testPassword = "bench-test-password"

// testAddr is the address of the runnel-server TestMain starts for every
// test (set before any test runs, read-only after).
var testAddr string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "runnel-bench-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "runnel-server")
	build := exec.Command("go", "build", "-o", bin, "github.com/runnel-io/runnel/cmd/runnel-server")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build runnel-server:", err)
		return 1
	}
	srv, err := StartServer(context.Background(), ServerConfig{Binary: bin, Fsync: "never",
		Username: UsernameDefault, Password: testPassword, DataDir: filepath.Join(dir, "data")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	testAddr = srv.Addr
	code := m.Run()
	if err := srv.Stop(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return code
}

func testConfig(s Scenario) Config {
	return Config{Scenario: s, Address: testAddr, Password: testPassword,
		MessageSizeMinBytes: 10, MessageSizeMaxBytes: 300, MessagesPerBatch: 20, MessageBatches: 10,
		Producers: 2, Consumers: 2, Timeout: time.Minute}
}

var urlRE = regexp.MustCompile(`(?i)https?://`)

func TestScenarios(t *testing.T) {
	for _, s := range Scenarios() {
		for _, high := range []bool{false, true} {
			name := string(s) + map[bool]string{false: "/low-level", true: "/high-level"}[high]
			t.Run(name, func(t *testing.T) {
				cfg := testConfig(s)
				cfg.HighLevel = high
				runAndCheck(t, cfg)
			})
		}
	}
}

func runAndCheck(t *testing.T, cfg Config) *Report {
	t.Helper()
	var lastDone, lastTotal uint64
	rep, err := Run(context.Background(), cfg, func(done, total uint64) { lastDone, lastTotal = done, total })
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteReports(dir, rep); err != nil {
		t.Fatal(err)
	}
	var got Report
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("report.json does not parse: %v", err)
	}
	res := got.Results
	perActor := uint64(got.Config.MessageBatches * got.Config.MessagesPerBatch)
	if res.MessagesExpected == 0 || res.MessagesExpected%perActor != 0 {
		t.Errorf("messages_expected = %d, want a positive multiple of %d", res.MessagesExpected, perActor)
	}
	s := cfg.Scenario
	if s.hasProducers() && res.MessagesSent != res.MessagesExpected {
		t.Errorf("sent %d messages, want %d", res.MessagesSent, res.MessagesExpected)
	}
	if s != PinnedProducer && s != BalancedProducer {
		if res.MessagesReceived != res.MessagesExpected || res.ReceivedExpected != res.MessagesExpected {
			t.Errorf("received %d messages (expected %d), want %d", res.MessagesReceived, res.ReceivedExpected,
				res.MessagesExpected)
		}
	}
	if res.Latency == nil || res.Latency.Count == 0 || res.Latency.P99 < res.Latency.P50 ||
		res.Latency.Max < res.Latency.P99 {
		t.Errorf("headline latency %+v is missing or not monotonic", res.Latency)
	}
	if res.Total.MBPerSecond <= 0 || res.Total.Bytes == 0 {
		t.Errorf("total throughput %+v", res.Total)
	}
	if len(res.Timeline) == 0 {
		t.Error("empty timeline")
	}
	if lastTotal == 0 || lastDone != res.Total.Bytes {
		t.Errorf("progress ended at %d of %d, want %d bytes done", lastDone, lastTotal, res.Total.Bytes)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if urlRE.Match(html) {
		t.Errorf("report.html contains a URL: %s", urlRE.FindString(string(html)))
	}
	if n := strings.Count(string(html), "<svg"); n != 2 {
		t.Errorf("report.html has %d charts, want 2", n)
	}
	checkNoStreamsLeft(t, cfg, got.RunID)
	return &got
}

func checkNoStreamsLeft(t *testing.T, cfg Config, runID string) {
	t.Helper()
	ctx := context.Background()
	c, err := connect(ctx, cfg.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	streams, err := c.GetStreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range streams {
		if strings.HasPrefix(s.Name, runID) {
			t.Errorf("stream %s was not deleted", s.Name)
		}
	}
}

func TestKeepLeavesStreams(t *testing.T) {
	cfg := testConfig(PinnedProducer)
	cfg.Keep, cfg.Producers, cfg.Warmup = true, 1, 50*time.Millisecond
	rep, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.Open(ctx, fmt.Sprintf("runnel://%s:%s@%s", UsernameDefault, testPassword, cfg.Address))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	streams, err := c.GetStreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, s := range streams {
		if strings.HasPrefix(s.Name, rep.RunID) {
			found++
			if s.MessagesCount != uint64(cfg.MessageBatches*cfg.MessagesPerBatch) {
				t.Errorf("stream %s holds %d messages, want %d (warm-up data must not stay)", s.Name,
					s.MessagesCount, cfg.MessageBatches*cfg.MessagesPerBatch)
			}
			_ = c.DeleteStream(ctx, wire.NumericID(s.ID))
		}
	}
	if found != 1 {
		t.Errorf("found %d streams of the run, want 1", found)
	}
}

func TestRateLimitAndTotalBytes(t *testing.T) {
	cfg := testConfig(PinnedProducer)
	cfg.TotalBytes = 100_000 // 2 producers × 20 msgs × 155 B average → 17 batches each
	cfg.RateLimitBytesPerSecond = 10 << 20
	rep := runAndCheck(t, cfg)
	if rep.Config.MessageBatches != 17 {
		t.Errorf("message batches = %d, want 17", rep.Config.MessageBatches)
	}
}

func TestRunRejects(t *testing.T) {
	cases := map[string]struct {
		edit func(*Config)
		want string
	}{
		"transport":     {func(c *Config) { c.Transport = "quic" }, "transport quic not available yet"},
		"password":      {func(c *Config) { c.Password = "wrong" }, "login"},
		"no password":   {func(c *Config) { c.Password = "" }, "no password"},
		"pairing":       {func(c *Config) { c.Scenario, c.Consumers = PinnedProducerAndConsumer, 3 }, "--producers == --consumers"},
		"group members": {func(c *Config) { c.Scenario, c.Streams = BalancedConsumerGroup, 3 }, "one consumer per stream"},
		"batch size":    {func(c *Config) { c.MessagesPerBatch, c.MessageSizeMaxBytes = 100_000, 1000 }, "exceeds"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(PinnedProducer)
			tc.edit(&cfg)
			_, err := Run(context.Background(), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseBytes(t *testing.T) {
	cases := map[string]uint64{"0": 0, "1024": 1024, "200MB": 200e6, "1KiB": 1024, "1.5 GiB": 3 << 29,
		"64kb": 64000, "2M": 2 << 20, "10B": 10}
	for in, want := range cases {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "12XB", "-1", "1..2"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) succeeded", bad)
		}
	}
}

func TestParseSizeRange(t *testing.T) {
	lo, hi, err := ParseSizeRange("100..1KiB")
	if err != nil || lo != 100 || hi != 1024 {
		t.Errorf("range = %d..%d, %v", lo, hi, err)
	}
	lo, hi, err = ParseSizeRange("1000")
	if err != nil || lo != 1000 || hi != 1000 {
		t.Errorf("fixed = %d..%d, %v", lo, hi, err)
	}
	for _, bad := range []string{"0", "10..5", "1..20MiB", "x"} {
		if _, _, err := ParseSizeRange(bad); err == nil {
			t.Errorf("ParseSizeRange(%q) succeeded", bad)
		}
	}
}

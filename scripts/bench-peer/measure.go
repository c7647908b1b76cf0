package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits of one measurement.
const (
	commandTimeout     = 15 * time.Minute
	natsStartTimeout   = 20 * time.Second
	natsStopTimeout    = 30 * time.Second
	messageBytes       = 1024
	messagesPerBatch   = 1000
	natsMaxStreamBytes = "16GB"
	natsAckTimeout     = "120s"
)

// durability is one fsync setting, as each system spells it.
type durability struct {
	Name        string
	RunnelFsync string
	NATSConfig  string // extra lines of the jetstream block
}

func durabilities() []durability {
	return []durability{
		{Name: "no fsync", RunnelFsync: "never"},
		{Name: "fsync per batch", RunnelFsync: "always", NATSConfig: "sync_interval: always"},
	}
}

// shape is one workload.
type shape struct {
	Name    string
	Consume bool
	Clients int
}

func shapes() []shape {
	return []shape{
		{Name: "publish, 1 producer", Clients: 1},
		{Name: "publish, 8 producers", Clients: 8},
		{Name: "consume, 1 consumer", Consume: true, Clients: 1},
	}
}

// side is one system's result for one row.
type side struct {
	MBPerSecond  float64 `json:"mb_per_s"`
	MsgPerSecond float64 `json:"msg_per_s"`
	P99Micros    *int64  `json:"p99_us"` // nil: not reported
	Command      string  `json:"command"`
	Error        string  `json:"error,omitempty"`
	// Samples are the MB/s of every round; the other fields are the
	// median round's.
	Samples []float64 `json:"samples_mb_per_s,omitempty"`
}

type row struct {
	Durability string  `json:"durability"`
	Shape      string  `json:"shape"`
	Messages   int     `json:"messages"`
	Runnel     side    `json:"runnel"`
	NATS       side    `json:"nats"`
	RatioMB    float64 `json:"throughput_ratio"`    // Runnel MB/s ÷ NATS MB/s
	RatioP99   float64 `json:"p99_ratio,omitempty"` // NATS p99 ÷ Runnel p99 (above 1: Runnel lower)
	Report     string  `json:"runnel_report"`       // path of Runnel's report.json
}

// measure runs every shape at every durability, Runnel then NATS.
func measure(ctx context.Context, o options, log io.Writer) ([]row, error) {
	var rows []row
	for _, d := range durabilities() {
		n := o.messages
		if d.RunnelFsync == "always" {
			n = o.messagesFsync
		}
		nats, err := startNATS(ctx, o, d)
		if err != nil {
			return rows, err
		}
		for _, s := range shapes() {
			r, err := measureShape(ctx, o, d, s, n, nats, log)
			if err != nil {
				nats.stop()
				return rows, err
			}
			rows = append(rows, r)
		}
		if err := nats.stop(); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// measureShape runs Runnel then NATS o.rounds times and keeps the run
// with the median throughput of each.
func measureShape(ctx context.Context, o options, d durability, s shape, n int, nats *natsServer, log io.Writer) (row, error) {
	r := row{Durability: d.Name, Shape: s.Name, Messages: n}
	var runnel, peer []side
	var reports []string
	for round := range o.rounds {
		fmt.Fprintf(log, "== %s, %s, %d messages, round %d: runnel\n", d.Name, s.Name, n, round+1)
		rs, report, err := measureRunnel(ctx, o, d, s, n, round)
		if err != nil {
			return r, err
		}
		runnel, reports = append(runnel, rs), append(reports, report)
		fmt.Fprintf(log, "== %s, %s, %d messages, round %d: nats\n", d.Name, s.Name, n, round+1)
		ns, err := nats.measure(ctx, s, n)
		if err != nil {
			// Keep going: one failed peer shape should not cost the table.
			fmt.Fprintf(log, "nats failed: %v\n", err)
			ns.Error = err.Error()
		}
		peer = append(peer, ns)
	}
	var i int
	r.Runnel, i = median(runnel)
	r.Report = reports[i]
	r.NATS, _ = median(peer)
	if r.NATS.MBPerSecond > 0 {
		r.RatioMB = r.Runnel.MBPerSecond / r.NATS.MBPerSecond
	}
	if r.Runnel.P99Micros != nil && r.NATS.P99Micros != nil && *r.Runnel.P99Micros > 0 {
		r.RatioP99 = float64(*r.NATS.P99Micros) / float64(*r.Runnel.P99Micros)
	}
	return r, nil
}

// median returns the successful run with the median throughput (the
// lower middle for an even count) and its index, with every run's MB/s
// in Samples; with no successful run, the last failure.
func median(runs []side) (side, int) {
	var ok []int
	var samples []float64
	for i, s := range runs {
		if s.Error == "" {
			ok = append(ok, i)
			samples = append(samples, s.MBPerSecond)
		}
	}
	if len(ok) == 0 {
		return runs[len(runs)-1], len(runs) - 1
	}
	slices.SortFunc(ok, func(a, b int) int { return cmp.Compare(runs[a].MBPerSecond, runs[b].MBPerSecond) })
	i := ok[(len(ok)-1)/2]
	m := runs[i]
	m.Samples = samples
	return m, i
}

func measureRunnel(ctx context.Context, o options, d durability, s shape, n int, round int) (side, string, error) {
	dir := filepath.Join(o.out, "runnel", slug(d.Name), slug(s.Name), fmt.Sprintf("round-%d", round+1))
	args := []string{"pinned-producer", "--producers", strconv.Itoa(s.Clients), "--streams", "1", "--partitions", "1",
		"--message-batches", strconv.Itoa(n / messagesPerBatch / s.Clients)}
	if s.Consume {
		args = []string{"pinned-consumer", "--consumers", "1", "--message-batches", strconv.Itoa(n / messagesPerBatch)}
	}
	args = append(args, "--start-server", "--server-bin", o.runnelServer, "--fsync", d.RunnelFsync,
		"--message-size", "1KiB", "--messages-per-batch", strconv.Itoa(messagesPerBatch), "--quiet",
		"--output-dir", dir)
	if _, err := runCommand(ctx, o.runnelBench, args...); err != nil {
		return side{}, "", err
	}
	var rep struct {
		Results struct {
			Total struct {
				MBPerSecond  float64 `json:"mb_per_s"`
				MsgPerSecond float64 `json:"msg_per_s"`
			} `json:"total"`
			Latency struct {
				P99 int64 `json:"p99"`
			} `json:"latency"`
		} `json:"results"`
	}
	path := filepath.Join(dir, "report.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return side{}, "", err
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return side{}, "", fmt.Errorf("%s: %w", path, err)
	}
	p99 := rep.Results.Latency.P99
	return side{MBPerSecond: rep.Results.Total.MBPerSecond, MsgPerSecond: rep.Results.Total.MsgPerSecond,
		P99Micros: &p99, Command: "runnel-bench " + strings.Join(args, " ")}, path, nil
}

func slug(s string) string {
	return strings.NewReplacer(" ", "-", ",", "").Replace(s)
}

// natsServer is one running nats-server with its own store.
type natsServer struct {
	o      options
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
}

func startNATS(ctx context.Context, o options, d durability) (*natsServer, error) {
	dir := filepath.Join(o.out, "nats", slug(d.Name))
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", o.natsPort)
	conf := fmt.Sprintf("listen: %s\njetstream {\n  store_dir: %q\n  max_file_store: 40GB\n  %s\n}\n",
		addr, filepath.Join(dir, "store"), d.NATSConfig)
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "nats-server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(o.peerBin, "nats-server"), "-c", confPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start nats-server: %w", err)
	}
	s := &natsServer{o: o, cmd: cmd, url: "nats://" + addr, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(s.exited)
	}()
	deadline := time.Now().Add(natsStartTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("nats-server exited during start (see %s)", dir)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("nats-server did not listen on %s", addr)
		}
	}
}

func (s *natsServer) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(natsStopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("nats-server ignored SIGTERM")
	}
}

func (s *natsServer) nats(ctx context.Context, args ...string) (string, error) {
	// With an fsync per message, 8 × 1,000 publishes in flight wait longer
	// for their acks than the CLI's default 5 s.
	return runCommand(ctx, filepath.Join(s.o.peerBin, "nats"),
		append([]string{"-s", s.url, "--timeout=" + natsAckTimeout}, args...)...)
}

// measure runs `nats bench` for one shape; consume shapes first fill the
// stream (unmeasured) and drop the previous durable consumer.
func (s *natsServer) measure(ctx context.Context, sh shape, n int) (side, error) {
	pub := []string{"bench", "js", "pub", "async", "bench.js", "--create", "--storage=file",
		"--maxbytes=" + natsMaxStreamBytes, "--purge", "--msgs=" + strconv.Itoa(n), "--size=1KiB",
		"--batch=" + strconv.Itoa(messagesPerBatch), "--no-progress", "--clients=" + strconv.Itoa(sh.Clients)}
	args := pub
	if sh.Consume {
		if _, err := s.nats(ctx, pub...); err != nil {
			return side{}, err
		}
		_, _ = s.nats(ctx, "consumer", "rm", "benchstream", "nats-bench", "-f") // absent the first time
		args = []string{"bench", "js", "consume", "--msgs=" + strconv.Itoa(n), "--size=1KiB",
			"--batch=" + strconv.Itoa(messagesPerBatch), "--no-progress"}
	}
	out, err := s.nats(ctx, args...)
	if err != nil {
		return side{}, err
	}
	rate, p99, err := parseNATSBench(out)
	if err != nil {
		return side{}, err
	}
	return side{MBPerSecond: rate * messageBytes / 1e6, MsgPerSecond: rate, P99Micros: p99,
		Command: "nats --timeout=" + natsAckTimeout + " " + strings.Join(args, " ")}, nil
}

var (
	natsRateRE = regexp.MustCompile(`stats: ([\d,]+) msgs/sec`)
	natsP99RE  = regexp.MustCompile(`P99:? ([\d,.]+)us`)
)

// parseNATSBench reads the message rate of the last (aggregated) stats
// line and the last P99 printed, which for several clients is the
// aggregated "latencies per operation" line.
func parseNATSBench(out string) (float64, *int64, error) {
	var rate float64
	var p99 *int64
	found := false
	for line := range strings.Lines(out) {
		if m := natsRateRE.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
			if err != nil {
				return 0, nil, fmt.Errorf("nats bench rate %q: %w", m[1], err)
			}
			rate, found = v, true
		}
		if m := natsP99RE.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
			if err != nil {
				return 0, nil, fmt.Errorf("nats bench p99 %q: %w", m[1], err)
			}
			us := int64(v)
			p99 = &us
		}
	}
	if !found {
		return 0, nil, fmt.Errorf("no stats line in nats bench output:\n%s", out)
	}
	return rate, p99, nil
}

func runCommand(ctx context.Context, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// install puts nats-server and nats into o.peerBin from the Go module
// proxy when they are missing.
func install(ctx context.Context, o options, log io.Writer) error {
	tools := []struct{ bin, pkg string }{
		{"nats-server", "github.com/nats-io/nats-server/v2@" + o.natsServerVersion},
		{"nats", "github.com/nats-io/natscli/nats@" + o.natsCLIVersion},
	}
	for _, t := range tools {
		if _, err := os.Stat(filepath.Join(o.peerBin, t.bin)); err == nil {
			continue
		}
		if o.skipInstall {
			return fmt.Errorf("%s missing in %s and --skip-install given", t.bin, o.peerBin)
		}
		fmt.Fprintf(log, "installing %s into %s\n", t.pkg, o.peerBin)
		cmd := exec.CommandContext(ctx, "go", "install", t.pkg)
		// -buildvcs=false in GOFLAGS would not hurt, but an empty GOFLAGS
		// keeps the project's flags out of the tools' builds.
		cmd.Env = append(os.Environ(), "GOBIN="+o.peerBin, "GOFLAGS=")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go install %s: %w", t.pkg, err)
		}
	}
	return nil
}

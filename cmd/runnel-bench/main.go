package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/runnel-io/runnel/internal/benchrun"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// options are the command-line flags before they become a benchrun.Config.
type options struct {
	address, transport        string
	messageSize, totalBytes   string
	rateLimit                 string
	messagesPerBatch, batches int
	producers, consumers      int
	streams, partitions       int
	warmup, timeout           time.Duration
	username, password        string
	highLevel, keep, quiet    bool
	outputDir                 string
	seed                      uint64
	startServer               bool
	serverBin, fsync          string
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o := &options{}
	root := rootCommand(o, stdout, getenv)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "runnel-bench:", err)
		var usage *usageError
		if errors.As(err, &usage) {
			return exitUsage
		}
		return exitError
	}
	return exitOK
}

func rootCommand(o *options, stdout io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "runnel-bench",
		Short:         "Benchmark a Runnel server",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	f := root.PersistentFlags()
	f.StringVar(&o.address, "address", benchrun.AddressDefault, "server address host:port")
	f.StringVar(&o.transport, "transport", "tcp", "transport (only tcp for now)")
	f.StringVar(&o.messageSize, "message-size", "1000", "payload bytes per message: N or MIN..MAX (units: 1KiB, 1KB)")
	f.IntVar(&o.messagesPerBatch, "messages-per-batch", benchrun.MessagesPerBatchDefault, "messages per send and per poll")
	f.IntVar(&o.batches, "message-batches", benchrun.MessageBatchesDefault, "batches per producing actor")
	f.StringVar(&o.totalBytes, "total-bytes", "", "payload to write over all producing actors, e.g. 200MB (overrides --message-batches)")
	f.IntVar(&o.producers, "producers", 1, "producers (actors of end-to-end-producing-consumer)")
	f.IntVar(&o.consumers, "consumers", 1, "consumers")
	f.IntVar(&o.streams, "streams", 0, "streams (default: one per actor for pinned scenarios, else 1)")
	f.IntVar(&o.partitions, "partitions", 0, "partitions per topic (default: 1 for pinned, else one per producer or consumer)")
	f.StringVar(&o.rateLimit, "rate-limit", "", "payload bytes per second over all producers, e.g. 50MB (default unlimited)")
	f.DurationVar(&o.warmup, "warmup", 0, "warm-up time before measuring, e.g. 2s")
	f.StringVar(&o.username, "username", benchrun.UsernameDefault, "user name")
	f.StringVar(&o.password, "password", "", "password (default: env RUNNEL_ROOT_PASSWORD)")
	f.BoolVar(&o.highLevel, "high-level", false, "use sdk/producer and sdk/consumer instead of sdk/client")
	f.StringVar(&o.outputDir, "output-dir", "", "directory for report.json and report.html (default runnel-bench-SCENARIO-TIME)")
	f.BoolVar(&o.quiet, "quiet", false, "no progress bar")
	f.BoolVar(&o.keep, "keep", false, "keep the benchmark's streams instead of deleting them")
	f.DurationVar(&o.timeout, "timeout", benchrun.TimeoutDefault, "give up after this long")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the message-size and payload generator")
	f.BoolVar(&o.startServer, "start-server", false, "start a runnel-server for this run (temporary data directory, free port)")
	f.StringVar(&o.serverBin, "server-bin", "bin/runnel-server", "runnel-server binary for --start-server")
	f.StringVar(&o.fsync, "fsync", "always", "fsync policy of the started server: always, interval or never (only with --start-server)")
	for _, s := range benchrun.Scenarios() {
		root.AddCommand(&cobra.Command{
			Use:   string(s),
			Short: "run the " + string(s) + " scenario",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runScenario(cmd.Context(), cmd, s, o, stdout, getenv)
			},
		})
	}
	return root
}

func (o *options) config(cmd *cobra.Command, s benchrun.Scenario, getenv func(string) string) (benchrun.Config, error) {
	cfg := benchrun.Config{Scenario: s, Address: o.address, Transport: o.transport, Username: o.username,
		Password: o.password, MessagesPerBatch: o.messagesPerBatch, MessageBatches: o.batches,
		Producers: o.producers, Consumers: o.consumers, Streams: o.streams, Partitions: o.partitions,
		Warmup: o.warmup, HighLevel: o.highLevel, Keep: o.keep, Timeout: o.timeout, Seed: o.seed}
	if o.transport != "tcp" {
		return cfg, usagef("transport %s not available yet (only tcp)", o.transport)
	}
	var err error
	if cfg.MessageSizeMinBytes, cfg.MessageSizeMaxBytes, err = benchrun.ParseSizeRange(o.messageSize); err != nil {
		return cfg, usagef("--message-size: %v", err)
	}
	if o.totalBytes != "" {
		if cfg.TotalBytes, err = benchrun.ParseBytes(o.totalBytes); err != nil {
			return cfg, usagef("--total-bytes: %v", err)
		}
	}
	if o.rateLimit != "" {
		if cfg.RateLimitBytesPerSecond, err = benchrun.ParseBytes(o.rateLimit); err != nil {
			return cfg, usagef("--rate-limit: %v", err)
		}
	}
	if cfg.Password == "" {
		cfg.Password = getenv("RUNNEL_ROOT_PASSWORD")
	}
	if cmd.Flags().Changed("fsync") && !o.startServer {
		return cfg, usagef("--fsync is a server setting: use it with --start-server, or configure the server")
	}
	return cfg, nil
}

func runScenario(ctx context.Context, cmd *cobra.Command, s benchrun.Scenario, o *options, stdout io.Writer, getenv func(string) string) error {
	cfg, err := o.config(cmd, s, getenv)
	if err != nil {
		return err
	}
	if o.startServer {
		if cfg.Password == "" {
			cfg.Password = randomPassword()
		}
		srv, err := benchrun.StartServer(ctx, benchrun.ServerConfig{Binary: o.serverBin, Fsync: o.fsync,
			Username: cfg.Username, Password: cfg.Password})
		if err != nil {
			return err
		}
		defer srv.Stop()
		cfg.Address, cfg.Fsync = srv.Addr, o.fsync
	}
	dir := o.outputDir
	if dir == "" {
		dir = fmt.Sprintf("runnel-bench-%s-%s", s, time.Now().Format("20060102-150405"))
	}
	bar := newBar(o.quiet, stdout, string(s))
	rep, err := benchrun.Run(ctx, cfg, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	if err := benchrun.WriteReports(dir, rep); err != nil {
		return err
	}
	printSummary(stdout, rep)
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(abs, "report.json"))
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(abs, "report.html"))
	return nil
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return "bench-" + hex.EncodeToString(b)
}

// bar is the live progress bar; its methods do nothing when it is off.
type bar struct{ pb *progressbar.ProgressBar }

// newBar shows a bar only on a terminal, so logs and pipes stay clean.
func newBar(quiet bool, w io.Writer, what string) *bar {
	f, ok := w.(*os.File)
	if quiet || !ok {
		return &bar{}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription(what), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())}
}

func (b *bar) update(done, total uint64) {
	if b.pb == nil {
		return
	}
	if b.pb.GetMax64() != int64(total) {
		b.pb.ChangeMax64(int64(total))
	}
	_ = b.pb.Set64(int64(done))
}

func (b *bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}

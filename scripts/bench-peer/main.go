package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// options are the command line.
type options struct {
	out               string
	peerBin           string
	runnelBench       string
	runnelServer      string
	natsServerVersion string
	natsCLIVersion    string
	messages          int // per shape without fsync
	messagesFsync     int // per shape with fsync per batch
	skipInstall       bool
	natsPort          int
	rounds            int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-peer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o := options{}
	fs := flag.NewFlagSet("bench-peer", flag.ContinueOnError)
	fs.StringVar(&o.out, "out", "bench-peer-results", "output directory for peer.md, peer.json and the raw reports")
	fs.StringVar(&o.peerBin, "peer-bin", "bin/peer", "directory for nats-server and nats")
	fs.StringVar(&o.runnelBench, "runnel-bench", "bin/runnel-bench", "runnel-bench binary")
	fs.StringVar(&o.runnelServer, "runnel-server", "bin/runnel-server", "runnel-server binary")
	fs.StringVar(&o.natsServerVersion, "nats-server-version", "v2.15.3", "nats-server version to install")
	fs.StringVar(&o.natsCLIVersion, "nats-cli-version", "v0.5.1", "natscli version to install")
	fs.IntVar(&o.messages, "messages", 200_000, "messages per shape without fsync (multiple of 8000)")
	fs.IntVar(&o.messagesFsync, "messages-fsync", 40_000, "messages per shape with fsync per batch (multiple of 8000)")
	fs.BoolVar(&o.skipInstall, "skip-install", false, "do not install nats-server and nats when missing")
	fs.IntVar(&o.rounds, "rounds", 1, "rounds per shape (Runnel and NATS alternate; the median round is reported)")
	fs.IntVar(&o.natsPort, "nats-port", 14222, "loopback port for nats-server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, n := range []int{o.messages, o.messagesFsync} {
		if n <= 0 || n%8000 != 0 {
			return fmt.Errorf("message counts must be positive multiples of 8000 (8 producers × batches of 1000), got %d", n)
		}
	}
	if o.rounds < 1 || o.rounds > 99 {
		return fmt.Errorf("--rounds is %d, want 1..99", o.rounds)
	}
	var err error
	for _, p := range []*string{&o.out, &o.peerBin, &o.runnelBench, &o.runnelServer} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := install(ctx, o, stdout); err != nil {
		return err
	}
	for _, bin := range []string{o.runnelBench, o.runnelServer} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%w (build it first: make build)", err)
		}
	}
	rows, err := measure(ctx, o, stdout)
	if err != nil {
		return err
	}
	return writeResults(o, rows, stdout)
}

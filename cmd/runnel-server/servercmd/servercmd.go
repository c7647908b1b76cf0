package servercmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/server"
	"github.com/runnel-io/runnel/internal/startupmem"
	"github.com/runnel-io/runnel/internal/tracing"
	"github.com/runnel-io/runnel/plugins/builtin"
	"github.com/runnel-io/runnel/plugins/catalog"
	"github.com/runnel-io/runnel/plugins/registry"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2
)

// Bundle is a plugin set compiled into this binary beside the built-in
// one (what runnel-build generates).
type Bundle struct {
	Set registry.Set
}

// Main runs runnel-server with args (without the program name) and
// returns the exit code. bundles are registered after the built-in set,
// as registry.SourceBundle(set name).
func Main(args, environ []string, stdout, stderr io.Writer, bundles ...Bundle) int {
	return run(args, environ, stdout, stderr, bundles)
}

func run(args, environ []string, stdout, stderr io.Writer, bundles []Bundle) int {
	if len(args) > 0 {
		switch args[0] {
		case "plugins":
			if len(args) < 2 || args[1] != "list" {
				fmt.Fprintln(stderr, "runnel-server: usage: runnel-server plugins list [config flags]")
				return exitConfig
			}
			return listPlugins(args[2:], environ, stdout, stderr, bundles)
		case "check-config":
			return checkConfig(args[1:], environ, stdout, stderr, bundles)
		}
	}
	return serve(args, environ, stdout, stderr, bundles)
}

func serve(args, environ []string, stdout, stderr io.Writer, bundles []Bundle) int {
	logger := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, cfg, closePlugins, code := build(ctx, args, environ, logger, stderr, bundles)
	if srv == nil {
		return code
	}
	defer closePlugins()
	tp, err := tracing.New(ctx, cfg.Telemetry, server.Version)
	if err != nil {
		_ = srv.Discard(ctx)
		fmt.Fprintln(stderr, "runnel-server:", err)
		return exitConfig
	}
	defer shutdownTracing(tp, logger)
	if tp.Enabled() {
		srv.SetTracer(tp.Tracer())
		logger.Info("tracing", "transport", cfg.Telemetry.Traces.Transport, "endpoint", cfg.Telemetry.Traces.Endpoint,
			"sampling_ratio", cfg.Telemetry.Traces.SamplingRatio)
	}
	go func() {
		select {
		case <-srv.Ready():
			// Start-up code is done; let the kernel have its pages back.
			if n, err := startupmem.Release(); err != nil {
				logger.Warn("release start-up pages", "error", err)
			} else {
				logger.Info("released start-up pages", "advised_bytes", n)
			}
		case <-ctx.Done():
		}
	}()
	if err := srv.Run(ctx); err != nil {
		logger.Error("server stopped", "error", err)
		return exitFailed
	}
	return exitOK
}

// tracingShutdownTimeout bounds the export of the last spans at exit.
const tracingShutdownTimeout = 5 * time.Second

// shutdownTracing exports the spans still queued once the server is done.
func shutdownTracing(tp *tracing.Provider, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), tracingShutdownTimeout)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		logger.Warn("tracing shutdown", "error", err)
	}
}

// build loads the configuration, fills the registry and constructs the
// server; on failure it prints one line and returns the exit code. The
// returned func ends external plugin processes; call it after the server
// is done.
func build(ctx context.Context, args, environ []string, logger *slog.Logger, stderr io.Writer, bundles []Bundle) (*server.Server, *config.Config, func(), int) {
	cfg, reg, closePlugins, err := load(ctx, args, environ, bundles, logger)
	if err != nil {
		fmt.Fprintln(stderr, "runnel-server:", err)
		return nil, nil, nil, exitConfig
	}
	srv, err := server.New(ctx, cfg, logger, reg)
	if err != nil {
		closePlugins()
		fmt.Fprintln(stderr, "runnel-server:", err)
		return nil, nil, nil, exitConfig
	}
	return srv, cfg, closePlugins, exitOK
}

// load reads the configuration and builds the registry: the built-in set,
// then the compiled-in bundles, then the external bundles of [plugins]
// (checked against their digests and asked to describe themselves; their
// processes start only when an instance is built). The returned func
// ends every plugin process still running.
func load(ctx context.Context, args, environ []string, bundles []Bundle, logger *slog.Logger) (*config.Config, *registry.Registry, func(), error) {
	cfg, err := config.Load(args, environ)
	if err != nil {
		return nil, nil, nil, err
	}
	reg := &registry.Registry{}
	if err := reg.AddSet(registry.SourceBuiltin, builtin.Set(server.Version)); err != nil {
		return nil, nil, nil, err
	}
	for _, b := range bundles {
		if err := reg.AddSet(registry.SourceBundle(b.Set.Name), b.Set); err != nil {
			return nil, nil, nil, err
		}
	}
	refs := make([]catalog.BundleRef, 0, len(cfg.Plugins.Bundles))
	for _, b := range cfg.Plugins.Bundles {
		refs = append(refs, catalog.BundleRef{Name: b.Name, File: b.File, SHA256: b.SHA256})
	}
	cat, err := catalog.Open(ctx, catalog.Config{Dir: cfg.Plugins.Dir, Bundles: refs}, logger)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config: plugins: %w", err)
	}
	closePlugins := func() {
		_ = cat.Close(context.Background())
		plugin.CleanupClients()
	}
	for _, set := range cat.Sets() {
		if err := reg.AddSet(registry.SourceExternal(set.Name), set); err != nil {
			closePlugins()
			return nil, nil, nil, err
		}
	}
	return cfg, reg, closePlugins, nil
}

// listPlugins prints one line per available implementation.
func listPlugins(args, environ []string, stdout, stderr io.Writer, bundles []Bundle) int {
	_, reg, closePlugins, err := load(context.Background(), args, environ, bundles, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(stderr, "runnel-server:", err)
		return exitConfig
	}
	defer closePlugins()
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tNAME\tSOURCE\tVERSION\tSTABILITY")
	for _, l := range reg.List() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", l.Kind, l.Name, l.Source, l.Version, l.Stability)
	}
	if err := w.Flush(); err != nil {
		return exitFailed
	}
	return exitOK
}

// checkConfig validates a configuration the way a start would, building
// every configured plugin instance, without opening data or listening.
func checkConfig(args, environ []string, stdout, stderr io.Writer, bundles []Bundle) int {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, _, closePlugins, code := build(ctx, args, environ, logger, stderr, bundles)
	if srv == nil {
		return code
	}
	defer closePlugins()
	if err := srv.Discard(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "runnel-server:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, "configuration OK")
	return exitOK
}

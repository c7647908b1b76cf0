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
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/server"
	"github.com/runnel-io/runnel/internal/startupmem"
	"github.com/runnel-io/runnel/internal/telemetry"
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
		case "format":
			return format(args[1:], environ, stdout, stderr, false)
		case "recover":
			return format(args[1:], environ, stdout, stderr, true)
		}
	}
	return serve(args, environ, stdout, stderr, bundles)
}

func serve(args, environ []string, stdout, stderr io.Writer, bundles []Bundle) int {
	text := slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: slog.LevelInfo})
	logger := slog.New(text)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// OpenTelemetry reports export failures through its one global hook.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logger.Warn("telemetry export", "error", err) }))
	n, code := build(ctx, args, environ, text, stderr, bundles, true)
	if n == nil {
		return code
	}
	defer n.closePlugins()
	defer shutdownTelemetry(n.tel, logger)
	if err := n.wireTelemetry(); err != nil {
		_ = n.srv.Discard(ctx)
		fmt.Fprintln(stderr, "runnel-server:", err)
		return exitConfig
	}
	go func() {
		select {
		case <-n.srv.Ready():
			// Start-up code is done; let the kernel have its pages back.
			if n, err := startupmem.Release(); err != nil {
				logger.Warn("release start-up pages", "error", err)
			} else {
				logger.Info("released start-up pages", "advised_bytes", n)
			}
		case <-ctx.Done():
		}
	}()
	if err := n.srv.Run(ctx); err != nil {
		n.logger.Error("server stopped", "error", err)
		return exitFailed
	}
	return exitOK
}

// telemetryShutdownTimeout bounds the export of the last telemetry at exit.
const telemetryShutdownTimeout = 5 * time.Second

// shutdownTelemetry exports what is still queued once the server is done.
func shutdownTelemetry(tel *telemetry.Telemetry, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), telemetryShutdownTimeout)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		logger.Warn("telemetry shutdown", "error", err)
	}
}

// node is a built server with what it was built from.
type node struct {
	cfg          *config.Config
	srv          *server.Server
	tel          *telemetry.Telemetry
	cat          *catalog.Catalog
	logger       *slog.Logger
	closePlugins func()
}

// build loads the configuration, fills the registry and constructs the
// telemetry exporters and the server; on failure it prints one line and
// returns the exit code. With start, telemetry is started first, so the
// server and its plugins log through the OpenTelemetry bridge as well as
// text. Call closePlugins after the server is done: it ends external
// plugin processes.
func build(ctx context.Context, args, environ []string, text slog.Handler, stderr io.Writer, bundles []Bundle, start bool) (*node, int) {
	logger := slog.New(text)
	cfg, reg, cat, closePlugins, err := load(ctx, args, environ, bundles, logger)
	if err != nil {
		fmt.Fprintln(stderr, "runnel-server:", err)
		return nil, exitConfig
	}
	tel, err := telemetry.New(ctx, cfg.Telemetry, telemetry.Options{Version: server.Version, Registry: reg, Logger: logger,
		Prometheus: cfg.Telemetry.Prometheus.Enabled && servesHTTP(cfg)})
	if err != nil {
		closePlugins()
		fmt.Fprintln(stderr, "runnel-server:", err)
		return nil, exitConfig
	}
	if start {
		if err := tel.Start(ctx); err != nil {
			_ = tel.Shutdown(ctx)
			closePlugins()
			fmt.Fprintln(stderr, "runnel-server:", err)
			return nil, exitConfig
		}
		if h := tel.LogHandler(); h != nil {
			logger = slog.New(slog.NewMultiHandler(text, h))
		}
	}
	srv, err := server.New(ctx, cfg, logger, reg)
	if err != nil {
		_ = tel.Shutdown(ctx)
		closePlugins()
		fmt.Fprintln(stderr, "runnel-server:", err)
		return nil, exitConfig
	}
	return &node{cfg: cfg, srv: srv, tel: tel, cat: cat, logger: logger, closePlugins: closePlugins}, exitOK
}

// servesHTTP reports a transport that can carry the Prometheus page.
func servesHTTP(cfg *config.Config) bool {
	for _, l := range cfg.Listeners() {
		if l.Type == "http" || l.Type == "websocket" {
			return true
		}
	}
	return false
}

// wireTelemetry hands the started providers to the server: the tracer,
// the meter (with plugin restarts observed from the catalog) and the
// Prometheus page.
func (n *node) wireTelemetry() error {
	if n.tel.Tracing() {
		n.srv.SetTracer(n.tel.Tracer())
		tr := n.cfg.Telemetry.Traces
		n.logger.Info("tracing", "transport", tr.Transport, "endpoint", tr.Endpoint, "sampling_ratio", tr.SamplingRatio)
	}
	if !n.tel.Metering() {
		return nil
	}
	if err := n.srv.SetMeter(n.tel.Meter()); err != nil {
		return err
	}
	if err := observePluginRestarts(n.tel.Meter(), n.cat); err != nil {
		return err
	}
	if page := n.tel.PrometheusHandler(); page != nil {
		n.srv.SetPrometheus(n.cfg.Telemetry.Prometheus.Path, page)
	}
	return nil
}

// observePluginRestarts counts relaunches of external plugin processes.
func observePluginRestarts(m metric.Meter, cat *catalog.Catalog) error {
	restarts, err := m.Int64ObservableCounter("runnel.plugin.restarts", metric.WithUnit("{restart}"),
		metric.WithDescription("Relaunches of external plugin processes after a crash or hang."))
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	_, err = m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		for _, in := range cat.Instances() {
			obs.ObserveInt64(restarts, int64(in.Restarts), metric.WithAttributes(
				attribute.String("bundle", in.Bundle), attribute.String("kind", string(in.Kind)), attribute.String("name", in.Name)))
		}
		return nil
	}, restarts)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// load reads the configuration and builds the registry: the built-in set,
// then the compiled-in bundles, then the external bundles of [plugins]
// (checked against their digests and asked to describe themselves; their
// processes start only when an instance is built). The returned func
// ends every plugin process still running.
func load(ctx context.Context, args, environ []string, bundles []Bundle, logger *slog.Logger) (*config.Config, *registry.Registry, *catalog.Catalog, func(), error) {
	cfg, err := config.Load(args, environ)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	reg := &registry.Registry{}
	if err := reg.AddSet(registry.SourceBuiltin, builtin.Set(server.Version)); err != nil {
		return nil, nil, nil, nil, err
	}
	for _, b := range bundles {
		if err := reg.AddSet(registry.SourceBundle(b.Set.Name), b.Set); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	refs := make([]catalog.BundleRef, 0, len(cfg.Plugins.Bundles))
	for _, b := range cfg.Plugins.Bundles {
		refs = append(refs, catalog.BundleRef{Name: b.Name, File: b.File, SHA256: b.SHA256})
	}
	cat, err := catalog.Open(ctx, catalog.Config{Dir: cfg.Plugins.Dir, Bundles: refs}, logger)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("config: plugins: %w", err)
	}
	closePlugins := func() {
		_ = cat.Close(context.Background())
		plugin.CleanupClients()
	}
	for _, set := range cat.Sets() {
		if err := reg.AddSet(registry.SourceExternal(set.Name), set); err != nil {
			closePlugins()
			return nil, nil, nil, nil, err
		}
	}
	return cfg, reg, cat, closePlugins, nil
}

// listPlugins prints one line per available implementation.
func listPlugins(args, environ []string, stdout, stderr io.Writer, bundles []Bundle) int {
	_, reg, _, closePlugins, err := load(context.Background(), args, environ, bundles, slog.New(slog.DiscardHandler))
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
// format creates this node's replica journal: once per node of a new
// cluster of several replicas, before its first start; with recovering,
// for a node of a running cluster whose data was lost.
func format(args, environ []string, stdout, stderr io.Writer, recovering bool) int {
	cfg, err := config.Load(args, environ)
	if err != nil {
		fmt.Fprintln(stderr, "runnel-server:", err)
		return exitConfig
	}
	logger := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := server.FormatReplica(context.Background(), cfg, logger, recovering); err != nil {
		fmt.Fprintln(stderr, "runnel-server:", err)
		return exitFailed
	}
	how := "formatted"
	if recovering {
		how = "formatted recovering"
	}
	fmt.Fprintf(stdout, "%s replica %d of cluster %d in %s\n", how, cfg.Cluster.Replica, cfg.Cluster.ID, cfg.System.Path)
	return exitOK
}

func checkConfig(args, environ []string, stdout, stderr io.Writer, bundles []Bundle) int {
	ctx := context.Background()
	n, code := build(ctx, args, environ, slog.DiscardHandler, stderr, bundles, false)
	if n == nil {
		return code
	}
	defer n.closePlugins()
	err := errors.Join(n.srv.Discard(ctx), n.tel.Shutdown(ctx))
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "runnel-server:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, "configuration OK")
	return exitOK
}

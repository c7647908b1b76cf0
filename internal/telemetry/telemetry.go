package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	plugin "github.com/runnel-io/runnel/plugins/telemetry"
)

// InstrumentationName names the server's tracer and meter.
const InstrumentationName = "github.com/runnel-io/runnel/internal/server"

// queueSpansMax bounds the spans waiting for export; past it new spans are
// dropped rather than slowing requests down.
const queueSpansMax = 8192

// Options are what New needs besides the config.
type Options struct {
	Version  string
	Registry *registry.Registry
	Logger   *slog.Logger
	// Prometheus asks for the /metrics page (the config enables it and a
	// transport that can serve it is on).
	Prometheus bool
}

// Telemetry owns the providers. Build it with New, then Start.
type Telemetry struct {
	cfg  config.Telemetry
	opts Options

	// exporters are the plugin instances of the pushed signals, nil for a
	// signal that is off.
	traces, metrics, logs plugin.Exporter

	tp         *sdktrace.TracerProvider
	mp         *sdkmetric.MeterProvider
	lp         *sdklog.LoggerProvider
	prometheus http.Handler
}

// New builds the exporter plugin instances the config names, without I/O,
// so a bad transport or key fails before the server opens anything.
func New(ctx context.Context, cfg config.Telemetry, opts Options) (*Telemetry, error) {
	t := &Telemetry{cfg: cfg, opts: opts}
	if !cfg.Enabled {
		return t, nil
	}
	var err error
	if t.traces, err = t.exporter(ctx, "traces", cfg.Traces.Signal); err != nil {
		return nil, err
	}
	if t.metrics, err = t.exporter(ctx, "metrics", cfg.Metrics); err != nil {
		return nil, errors.Join(err, t.closeExporters(ctx))
	}
	if t.logs, err = t.exporter(ctx, "logs", cfg.Logs); err != nil {
		return nil, errors.Join(err, t.closeExporters(ctx))
	}
	return t, nil
}

func (t *Telemetry) exporter(ctx context.Context, name string, sig config.Signal) (plugin.Exporter, error) {
	if sig.Transport == config.TransportNone {
		return nil, nil
	}
	e, err := t.opts.Registry.Telemetry.Get(sig.Transport)
	if err != nil {
		return nil, fmt.Errorf("telemetry: config: telemetry.%s.transport: %w", name, err)
	}
	env := component.Env{Logger: t.opts.Logger.With("plugin", "telemetry."+sig.Transport, "signal", name)}
	exp, err := e.Factory.New(ctx, env, sig.ExporterConfig())
	if err != nil {
		return nil, fmt.Errorf("telemetry: config: telemetry.%s: %w", name, err)
	}
	return exp, nil
}

// Start starts the exporters and builds the providers.
func (t *Telemetry) Start(ctx context.Context) error {
	res := resource.NewSchemaless(
		attribute.String("service.name", t.cfg.ServiceName),
		attribute.String("service.version", t.opts.Version))
	for _, exp := range []plugin.Exporter{t.traces, t.metrics, t.logs} {
		if exp != nil {
			if err := exp.Start(ctx); err != nil {
				return fmt.Errorf("telemetry: %w", err)
			}
		}
	}
	if err := t.startTraces(ctx, res); err != nil {
		return err
	}
	if err := t.startMetrics(ctx, res); err != nil {
		return err
	}
	return t.startLogs(ctx, res)
}

func (t *Telemetry) startTraces(ctx context.Context, res *resource.Resource) error {
	if t.traces == nil {
		return nil
	}
	exp, err := t.traces.SpanExporter(ctx)
	if err != nil {
		return fmt.Errorf("telemetry: traces: %w", err)
	}
	t.tp = sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(headSampler{ratio: sdktrace.TraceIDRatioBased(t.cfg.Traces.SamplingRatio)})),
		sdktrace.WithSpanProcessor(newSpanBatcher(exp, t.cfg.Traces.ExportInterval, queueSpansMax)))
	return nil
}

func (t *Telemetry) startMetrics(ctx context.Context, res *resource.Resource) error {
	opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	if t.metrics != nil {
		exp, err := t.metrics.MetricExporter(ctx)
		if err != nil {
			return fmt.Errorf("telemetry: metrics: %w", err)
		}
		opts = append(opts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(t.cfg.Metrics.ExportInterval))))
	}
	if t.opts.Prometheus {
		// A registry of our own: the default one would also carry the Go
		// client's process collectors, registered globally.
		reg := prometheus.NewRegistry()
		exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
		if err != nil {
			return fmt.Errorf("telemetry: prometheus: %w", err)
		}
		opts = append(opts, sdkmetric.WithReader(exp))
		t.prometheus = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	}
	if len(opts) > 1 {
		t.mp = sdkmetric.NewMeterProvider(opts...)
	}
	return nil
}

func (t *Telemetry) startLogs(ctx context.Context, res *resource.Resource) error {
	if t.logs == nil {
		return nil
	}
	exp, err := t.logs.LogExporter(ctx)
	if err != nil {
		return fmt.Errorf("telemetry: logs: %w", err)
	}
	t.lp = sdklog.NewLoggerProvider(
		sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(exp, sdklog.WithExportInterval(t.cfg.Logs.ExportInterval))))
	return nil
}

// Tracing reports whether spans are recorded and exported.
func (t *Telemetry) Tracing() bool { return t.tp != nil }

// Tracer is the server's tracer (a no-op one when traces are off). When
// traces are on it is a *Tracer, whose Sample lets the request path skip
// the spans that sampling leaves out.
func (t *Telemetry) Tracer() trace.Tracer {
	if t.tp == nil {
		return tracenoop.NewTracerProvider().Tracer(InstrumentationName)
	}
	return newTracer(t.tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(t.opts.Version)), t.cfg.Traces.SamplingRatio)
}

// Metering reports whether metrics are collected by any reader.
func (t *Telemetry) Metering() bool { return t.mp != nil }

// Meter is the server's meter (a no-op one when no reader wants metrics).
func (t *Telemetry) Meter() metric.Meter {
	if t.mp == nil {
		return metricnoop.NewMeterProvider().Meter(InstrumentationName)
	}
	return t.mp.Meter(InstrumentationName, metric.WithInstrumentationVersion(t.opts.Version))
}

// LogHandler bridges slog records into OpenTelemetry logs; nil when logs
// are off.
func (t *Telemetry) LogHandler() slog.Handler {
	if t.lp == nil {
		return nil
	}
	return otelslog.NewHandler(InstrumentationName, otelslog.WithLoggerProvider(t.lp), otelslog.WithVersion(t.opts.Version))
}

// PrometheusHandler serves the metrics in the Prometheus text format; nil
// when the page is off.
func (t *Telemetry) PrometheusHandler() http.Handler { return t.prometheus }

// Shutdown flushes what is queued and stops every provider and exporter;
// ctx bounds the wait.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.Shutdown(ctx))
	}
	if t.mp != nil {
		errs = append(errs, t.mp.Shutdown(ctx))
	}
	if t.lp != nil {
		errs = append(errs, t.lp.Shutdown(ctx))
	}
	errs = append(errs, t.closeExporters(ctx))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telemetry: shutdown: %w", err)
	}
	return nil
}

func (t *Telemetry) closeExporters(ctx context.Context) error {
	var errs []error
	for _, exp := range []plugin.Exporter{t.traces, t.metrics, t.logs} {
		if exp != nil {
			errs = append(errs, exp.Close(ctx))
		}
	}
	return errors.Join(errs...)
}

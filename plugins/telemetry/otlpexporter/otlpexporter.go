package otlpexporter

import (
	"context"
	_ "embed"
	"fmt"
	"net"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/telemetry"
)

// Names of the two registrations (the signal sections' transport values).
const (
	NameGRPC = "grpc"
	NameHTTP = "http"
)

// SampleTOML documents the keys; a test decodes it.
//
//go:embed sample.toml
var SampleTOML []byte

// Config is the part of a signal section this exporter reads.
type Config struct {
	// Endpoint is host:port of the receiver.
	Endpoint string `koanf:"endpoint"`
}

// Validate checks the endpoint's shape.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Endpoint); err != nil {
		return fmt.Errorf("endpoint %q: want host:port: %w", c.Endpoint, err)
	}
	return nil
}

// GRPCFactory registers OTLP over gRPC.
func GRPCFactory() component.Factory[telemetry.Exporter] { return factory(NameGRPC) }

// HTTPFactory registers OTLP over HTTP.
func HTTPFactory() component.Factory[telemetry.Exporter] { return factory(NameHTTP) }

func factory(name string) component.Factory[telemetry.Exporter] {
	return component.Factory[telemetry.Exporter]{
		Info: component.Info{Kind: component.KindTelemetry, Name: name, Stability: component.StabilityBeta, Sample: SampleTOML},
		New: func(_ context.Context, _ component.Env, raw map[string]any) (telemetry.Exporter, error) {
			cfg, err := component.DecodeConfig[Config](raw)
			if err != nil {
				return nil, fmt.Errorf("otlpexporter %s: config: %w", name, err)
			}
			return &Exporter{protocol: name, cfg: cfg}, nil
		},
	}
}

var _ telemetry.Exporter = (*Exporter)(nil)

// Exporter builds the OTLP exporters of one protocol for one endpoint.
// The OTLP clients connect lazily: a receiver that is down at start costs
// dropped telemetry, not a failed start.
type Exporter struct {
	protocol string
	cfg      Config
}

// Start does nothing: the connection is made on first export.
func (e *Exporter) Start(context.Context) error { return nil }

// Close does nothing: each signal exporter is shut down by its provider.
func (e *Exporter) Close(context.Context) error { return nil }

// plain reports an endpoint on this host, where TLS buys nothing.
func (e *Exporter) plain() bool {
	host, _, err := net.SplitHostPort(e.cfg.Endpoint)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SpanExporter exports traces.
func (e *Exporter) SpanExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	if e.protocol == NameHTTP {
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(e.cfg.Endpoint)}
		if e.plain() {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	} else {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(e.cfg.Endpoint)}
		if e.plain() {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	}
	return exp, e.wrap("traces", err)
}

// MetricExporter exports metrics (cumulative temporality, the default).
func (e *Exporter) MetricExporter(ctx context.Context) (sdkmetric.Exporter, error) {
	var (
		exp sdkmetric.Exporter
		err error
	)
	if e.protocol == NameHTTP {
		opts := []otlpmetrichttp.Option{otlpmetrichttp.WithEndpoint(e.cfg.Endpoint)}
		if e.plain() {
			opts = append(opts, otlpmetrichttp.WithInsecure())
		}
		exp, err = otlpmetrichttp.New(ctx, opts...)
	} else {
		opts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpoint(e.cfg.Endpoint)}
		if e.plain() {
			opts = append(opts, otlpmetricgrpc.WithInsecure())
		}
		exp, err = otlpmetricgrpc.New(ctx, opts...)
	}
	return exp, e.wrap("metrics", err)
}

// LogExporter exports log records.
func (e *Exporter) LogExporter(ctx context.Context) (sdklog.Exporter, error) {
	var (
		exp sdklog.Exporter
		err error
	)
	if e.protocol == NameHTTP {
		opts := []otlploghttp.Option{otlploghttp.WithEndpoint(e.cfg.Endpoint)}
		if e.plain() {
			opts = append(opts, otlploghttp.WithInsecure())
		}
		exp, err = otlploghttp.New(ctx, opts...)
	} else {
		opts := []otlploggrpc.Option{otlploggrpc.WithEndpoint(e.cfg.Endpoint)}
		if e.plain() {
			opts = append(opts, otlploggrpc.WithInsecure())
		}
		exp, err = otlploggrpc.New(ctx, opts...)
	}
	return exp, e.wrap("logs", err)
}

func (e *Exporter) wrap(signal string, err error) error {
	if err != nil {
		return fmt.Errorf("otlpexporter %s: %s to %s: %w", e.protocol, signal, e.cfg.Endpoint, err)
	}
	return nil
}

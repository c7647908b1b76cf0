package tracing

import (
	"context"
	"fmt"
	"net"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/runnel-io/runnel/internal/config"
)

// InstrumentationName names the server's tracer.
const InstrumentationName = "github.com/runnel-io/runnel/internal/server"

// queueSpansMax bounds the spans waiting for export; past it new spans are
// dropped rather than slowing requests down.
const queueSpansMax = 8192

// Provider owns the server's tracer and its exporter.
type Provider struct {
	tp     *sdktrace.TracerProvider // nil when telemetry is disabled
	tracer trace.Tracer
}

// New builds the provider cfg describes. Disabled telemetry gives a no-op
// tracer and no exporter. The exporter connects lazily: an endpoint that
// is down costs dropped spans, not a failed start.
func New(ctx context.Context, cfg config.Telemetry, version string) (*Provider, error) {
	if !cfg.Enabled {
		return &Provider{tracer: noop.NewTracerProvider().Tracer(InstrumentationName)}, nil
	}
	exp, err := newExporter(ctx, cfg.Traces)
	if err != nil {
		return nil, fmt.Errorf("tracing: %s exporter to %s: %w", cfg.Traces.Transport, cfg.Traces.Endpoint, err)
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", cfg.ServiceName),
		attribute.String("service.version", version))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Traces.SamplingRatio))),
		sdktrace.WithBatcher(exp,
			sdktrace.WithBatchTimeout(cfg.Traces.ExportInterval),
			sdktrace.WithMaxQueueSize(queueSpansMax)))
	return &Provider{tp: tp, tracer: tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(version))}, nil
}

func newExporter(ctx context.Context, cfg config.Traces) (*otlptrace.Exporter, error) {
	plain := isLoopback(cfg.Endpoint)
	switch cfg.Transport {
	case config.TransportHTTP:
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(cfg.Endpoint)}
		if plain {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		return otlptracehttp.New(ctx, opts...)
	case config.TransportGRPC:
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(cfg.Endpoint)}
		if plain {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	return nil, fmt.Errorf("unknown transport %q", cfg.Transport)
}

// isLoopback reports an endpoint on this host, where TLS buys nothing.
func isLoopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Enabled reports whether spans are recorded and exported.
func (p *Provider) Enabled() bool { return p.tp != nil }

// Tracer is the server's tracer (a no-op one when disabled).
func (p *Provider) Tracer() trace.Tracer { return p.tracer }

// Shutdown exports the spans still queued and stops the exporter; ctx
// bounds the wait.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.tp == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: shutdown: %w", err)
	}
	return nil
}

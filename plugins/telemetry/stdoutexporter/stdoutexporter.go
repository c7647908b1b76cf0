package stdoutexporter

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"sync"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutlog"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/telemetry"
)

// Name is the registration ([telemetry.traces] transport = "stdout").
const Name = "stdout"

// SampleTOML documents the keys; a test decodes it.
//
//go:embed sample.toml
var SampleTOML []byte

// Config is the part of a signal section this exporter reads.
type Config struct {
	// Path is a file to append to; empty means standard output.
	Path string `koanf:"path"`
	// Endpoint is accepted and ignored, so switching a section between
	// "grpc" and "stdout" needs no other edit.
	Endpoint string `koanf:"endpoint"`
}

// Validate accepts any path; opening it is Start's job.
func (c Config) Validate() error { return nil }

// Factory registers the stdout exporter.
func Factory() component.Factory[telemetry.Exporter] {
	return component.Factory[telemetry.Exporter]{
		Info: component.Info{Kind: component.KindTelemetry, Name: Name, Stability: component.StabilityBeta, Sample: SampleTOML},
		New: func(_ context.Context, _ component.Env, raw map[string]any) (telemetry.Exporter, error) {
			cfg, err := component.DecodeConfig[Config](raw)
			if err != nil {
				return nil, fmt.Errorf("stdoutexporter: config: %w", err)
			}
			return &Exporter{cfg: cfg, out: os.Stdout}, nil
		},
	}
}

var _ telemetry.Exporter = (*Exporter)(nil)

// Exporter writes JSON to standard output or a file.
type Exporter struct {
	cfg Config

	mu   sync.Mutex // serialises writes of the three signals to one file
	out  io.Writer
	file *os.File // nil for standard output
}

// Start opens the file, if one is configured.
func (e *Exporter) Start(context.Context) error {
	if e.cfg.Path == "" {
		return nil
	}
	f, err := os.OpenFile(e.cfg.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("stdoutexporter: %w", err)
	}
	e.file, e.out = f, f
	return nil
}

// Close closes the file, if any.
func (e *Exporter) Close(context.Context) error {
	if e.file == nil {
		return nil
	}
	if err := e.file.Close(); err != nil {
		return fmt.Errorf("stdoutexporter: %w", err)
	}
	return nil
}

// Write lets the three signal exporters share the destination.
func (e *Exporter) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.out.Write(p)
}

// SpanExporter writes traces.
func (e *Exporter) SpanExporter(context.Context) (sdktrace.SpanExporter, error) {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(e))
	if err != nil {
		return nil, fmt.Errorf("stdoutexporter: traces: %w", err)
	}
	return exp, nil
}

// MetricExporter writes metrics.
func (e *Exporter) MetricExporter(context.Context) (sdkmetric.Exporter, error) {
	exp, err := stdoutmetric.New(stdoutmetric.WithWriter(e))
	if err != nil {
		return nil, fmt.Errorf("stdoutexporter: metrics: %w", err)
	}
	return exp, nil
}

// LogExporter writes log records.
func (e *Exporter) LogExporter(context.Context) (sdklog.Exporter, error) {
	exp, err := stdoutlog.New(stdoutlog.WithWriter(e))
	if err != nil {
		return nil, fmt.Errorf("stdoutexporter: logs: %w", err)
	}
	return exp, nil
}

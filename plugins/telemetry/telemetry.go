package telemetry

import (
	"context"
	"errors"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/runnel-io/runnel/plugins/component"
)

// ErrUnsupported is returned (wrapped) by an Exporter asked for a signal
// it cannot export.
var ErrUnsupported = errors.New("telemetry: signal not supported by this exporter")

// Signal names one kind of telemetry.
type Signal string

const (
	SignalTraces  Signal = "traces"
	SignalMetrics Signal = "metrics"
	SignalLogs    Signal = "logs"
)

// Exporter sends finished telemetry somewhere. New does no I/O; Start may
// check what it can cheaply (an exporter whose receiver is down at start
// must not fail the server: telemetry is lost, never the service). Each
// method is called at most once, after Start; the returned exporter's
// Shutdown is the server's to call (through its provider), and Close
// releases whatever the Exporter itself holds.
type Exporter interface {
	component.Component
	SpanExporter(ctx context.Context) (sdktrace.SpanExporter, error)
	MetricExporter(ctx context.Context) (sdkmetric.Exporter, error)
	LogExporter(ctx context.Context) (sdklog.Exporter, error)
}

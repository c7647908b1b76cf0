// Package telemetry builds the server's OpenTelemetry providers from the
// [telemetry] config: a tracer provider (parent-based ratio sampling,
// batched export), a meter provider (a periodic reader pushing to the
// metrics exporter, and a Prometheus reader for the /metrics page), and a
// logger provider that the server's slog records are bridged into. Each
// pushed signal's exporter is a telemetry plugin from the registry, named
// by the section's transport. Disabled signals cost nothing: their
// accessors return no-op implementations.
//
// Tracing is built for a request path that starts a span per request at a
// low sampling ratio: Tracer.Sample takes the sampling decision before any
// span is built, so unsampled requests pay nothing, and the span processor
// (spanBatcher) queues ended spans without waking its goroutine per span.
package telemetry

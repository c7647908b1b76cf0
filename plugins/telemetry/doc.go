// Package telemetry is the contract for telemetry exporter plugins: where
// the server's OpenTelemetry traces, metrics and logs go. An Exporter is
// built once per signal section ([telemetry.traces], [telemetry.metrics],
// [telemetry.logs]) whose transport names it, from that section's
// endpoint; the server asks it for the one signal the section is about.
// The server owns the OpenTelemetry providers (sampling, batching,
// resource); an exporter only moves finished data.
//
// Built-in implementations: otlpexporter ("grpc" and "http", OTLP) and
// stdoutexporter ("stdout", JSON lines for debugging). The Prometheus
// /metrics page is not an exporter: it is pulled, and the server serves it
// on its HTTP-speaking transports.
package telemetry

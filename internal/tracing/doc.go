// Package tracing sets up OpenTelemetry tracing for the server (a
// TracerProvider with a batch span processor and the OTLP exporter the
// [telemetry] config chooses) and carries W3C trace context through
// message user headers: Headers injects "traceparent"/"tracestate" for a
// producer, ContextFromHeaders and ContextFromMessage extract them on the
// server and in consumers.
//
// The SDK module stays free of OpenTelemetry: its producer takes a plain
// Config.Headers hook, which Headers fits.
package tracing

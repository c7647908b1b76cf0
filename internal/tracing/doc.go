// Package tracing carries W3C trace context through message user headers:
// Headers injects "traceparent"/"tracestate" for a producer,
// ContextFromHeaders and ContextFromMessage extract them on the server and
// in consumers. The server's providers are built by internal/telemetry.
//
// The SDK module stays free of OpenTelemetry: its producer takes a plain
// Config.Headers hook, which Headers fits.
package tracing

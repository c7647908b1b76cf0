// Package tracing carries W3C trace context through message user headers,
// so one trace runs from a producer through the server to every consumer.
//
// Producer side: give Headers to producer.Config.Headers; each message
// sent inside a span carries "traceparent" (and "tracestate" when set).
// Consumer side: ContextFromMessage returns a context whose remote parent
// is the producer's span; start the processing span from it. The server
// continues the same trace for the append (ContextFromFrame).
//
// Only the OpenTelemetry API is used: the application chooses the SDK and
// the exporter, and without one everything here is a no-op.
package tracing

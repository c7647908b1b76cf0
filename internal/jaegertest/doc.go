// Package jaegertest starts a real Jaeger (v2, the OpenTelemetry-collector
// based binary, in-memory storage) for tests: OTLP receivers for gRPC and
// HTTP and the query API, each on a free 127.0.0.1 port. Tests export spans
// to it over real OTLP and read back what it stored through the same HTTP
// API the Jaeger UI uses, so nothing of the receiving side is hand-written.
//
// Jaeger takes traces only: it has no OTLP logs or metrics service.
//
// The binary is found at $JAEGERTEST_BIN, else <module root>/.tools/bin/
// jaeger; `make tools-jaeger` builds it there from the tools module tools/jaeger.
// When neither exists Start fails the test: a missing receiver must not
// turn into a silently skipped check.
package jaegertest

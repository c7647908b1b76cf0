// Package otlptest is test support: an OTLP/gRPC trace receiver running in
// the test process on 127.0.0.1 that keeps every span it is sent, so tests
// can read back what an exporter delivered.
package otlptest

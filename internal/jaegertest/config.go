package jaegertest

import "fmt"

// config is Jaeger's configuration for one test: only the OTLP receiver
// (no Jaeger/Zipkin receivers, whose default ports would collide between
// parallel tests), no batch processor (spans are stored as they arrive, so
// tests do not wait out a batch timeout), in-memory storage, the query API,
// and Jaeger's self-observation off: the collector's metrics default to
// port 8888, and the query service's own traces go to 127.0.0.1:4317 (a
// receiver another test may run), with a 10 s flush at shutdown.
func config(otlpGRPC, otlpHTTP, queryHTTP, queryGRPC string) string {
	return fmt.Sprintf(`service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info

extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    enable_tracing: false
    storage:
      traces: memstore
    http:
      endpoint: %q
    grpc:
      endpoint: %q

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %q
      http:
        endpoint: %q

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`, queryHTTP, queryGRPC, otlpGRPC, otlpHTTP)
}

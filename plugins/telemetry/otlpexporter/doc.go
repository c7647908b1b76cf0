// Package otlpexporter is the OTLP telemetry exporter, registered twice:
// "grpc" (OTLP/gRPC, a collector's port 4317) and "http" (OTLP/HTTP with
// protobuf bodies, port 4318). It exports traces, metrics and logs. A
// loopback endpoint is spoken to in plain text; any other uses TLS with the
// system roots, unless the config says insecure.
package otlpexporter

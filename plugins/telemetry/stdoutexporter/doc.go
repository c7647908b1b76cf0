// Package stdoutexporter is the "stdout" telemetry exporter: traces,
// metrics and logs as JSON documents, one per export, on the server's
// standard output or appended to a file. It is for looking at what the
// server records without running a collector, not for production.
package stdoutexporter

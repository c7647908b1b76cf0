package component

import (
	"context"
	"log/slog"
)

// Kind names one plugin slot type.
type Kind string

const (
	KindStorage   Kind = "storage"
	KindArchiver  Kind = "archiver"
	KindTransport Kind = "transport"
	KindTelemetry Kind = "telemetry"
)

// Info describes one implementation of a Kind.
type Info struct {
	Kind Kind
	// Name is [a-z][a-z0-9_]*, unique within Kind: "file", "s3", "tcp".
	Name string
}

// Component is the lifecycle every plugin instance has.
type Component interface {
	// Start acquires resources: files, sockets, goroutines. Called at most once.
	Start(ctx context.Context) error
	// Close releases everything Start acquired. Idempotent; safe if Start was
	// never called or failed half way.
	Close(ctx context.Context) error
}

// Env is what the host lends an instance. Nothing global.
type Env struct {
	Logger *slog.Logger
	// DataDir is the directory private to this instance.
	DataDir string
}

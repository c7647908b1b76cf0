package component

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// ErrUnavailable: an external plugin's process is gone (crashed, killed,
// being restarted) or cannot be reached. The call may or may not have
// taken effect; the caller retries later or, for storage, stops.
var ErrUnavailable = errors.New("component: plugin unavailable")

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
	// Stability tells operators what to expect of it.
	Stability Stability
	// Sample is a commented example of its config table (TOML).
	Sample []byte
}

// Stability is an implementation's maturity, shown by `plugins list`.
type Stability string

const (
	StabilityDevelopment Stability = "development"
	StabilityBeta        Stability = "beta"
	StabilityStable      Stability = "stable"
)

// Factory builds instances of one implementation. New decodes and
// validates raw (strictly: see DecodeConfig) and constructs the value; it
// does no I/O and starts no goroutines, so a config can be checked by
// calling New alone. (Factories of external plugins are the one exception:
// they must start the plugin process so its own New can judge the config.)
type Factory[T Component] struct {
	Info Info
	New  func(ctx context.Context, env Env, raw map[string]any) (T, error)
}

// CheckName reports whether name is a valid implementation name.
func CheckName(name string) error {
	if name == "" || len(name) > nameBytesMax {
		return fmt.Errorf("component: name %q: want 1 to %d characters", name, nameBytesMax)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '_')
		if !ok {
			return fmt.Errorf("component: name %q: want [a-z][a-z0-9_]*", name)
		}
	}
	return nil
}

// nameBytesMax bounds implementation names (they appear in logs and metrics).
const nameBytesMax = 64

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

package catalog

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/bundle"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/internal/pluginrpc"
	"github.com/runnel-io/runnel/plugins/registry"
)

// ErrUnavailable: the instance's plugin process is down (crashed and not
// yet relaunched) or unreachable. Retry later.
var ErrUnavailable = pluginrpc.ErrUnavailable

// Config is the [plugins] table.
type Config struct {
	// Dir is where bundle files are, unless a BundleRef.File is absolute.
	Dir     string
	Bundles []BundleRef
	// RestartBackoffMin and RestartBackoffMax bound the wait before a
	// relaunch; it doubles after each failed try. 0: the defaults.
	RestartBackoffMin, RestartBackoffMax time.Duration
	// StartTimeout bounds one launch (exec to handshake). 0: the default.
	StartTimeout time.Duration
	// HealthInterval is how often a running archiver process is pinged;
	// one that does not answer within HealthTimeout is taken as hung,
	// killed and relaunched like a crashed one. 0: the defaults.
	HealthInterval, HealthTimeout time.Duration
}

// BundleRef is one [[plugins.bundles]] entry.
type BundleRef struct {
	// Name is the operator's name for the bundle (logs, plugins list).
	Name string
	// File is the binary, relative to Config.Dir or absolute.
	File string
	// SHA256 is the binary's expected lowercase hex SHA-256.
	SHA256 string
}

const (
	restartBackoffMinDefault = 100 * time.Millisecond
	restartBackoffMaxDefault = 30 * time.Second
	startTimeoutDefault      = 10 * time.Second
	healthIntervalDefault    = 5 * time.Second
	healthTimeoutDefault     = 10 * time.Second
	// describeTimeout bounds `<binary> describe`.
	describeTimeout = 10 * time.Second
	// describeBytesMax bounds the manifest read from describe.
	describeBytesMax = 1 << 20
	// exitPollInterval is how often a supervisor checks its process.
	exitPollInterval = 50 * time.Millisecond
)

func (c Config) withDefaults() Config {
	if c.RestartBackoffMin <= 0 {
		c.RestartBackoffMin = restartBackoffMinDefault
	}
	if c.RestartBackoffMax < c.RestartBackoffMin {
		c.RestartBackoffMax = max(restartBackoffMaxDefault, c.RestartBackoffMin)
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = startTimeoutDefault
	}
	if c.HealthInterval <= 0 {
		c.HealthInterval = healthIntervalDefault
	}
	if c.HealthTimeout <= 0 {
		c.HealthTimeout = healthTimeoutDefault
	}
	return c
}

// Catalog is the set of verified external bundles and the instances
// launched from them.
type Catalog struct {
	cfg     Config
	logger  *slog.Logger
	bundles []*extBundle

	mu         sync.Mutex
	instances  map[*RemoteArchiver]struct{}
	stores     map[*RemoteStore]struct{}
	transports map[*RemoteTransport]struct{}
}

// extBundle is one verified bundle.
type extBundle struct {
	ref      BundleRef
	path     string
	sum      []byte
	manifest bundle.Manifest
}

// Open verifies every bundle of cfg (checksum, describe, protocol) and
// returns the catalog. It launches nothing that keeps running.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Catalog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{cfg: cfg.withDefaults(), logger: logger, instances: make(map[*RemoteArchiver]struct{}),
		stores: make(map[*RemoteStore]struct{}), transports: make(map[*RemoteTransport]struct{})}
	seen := make(map[string]bool)
	for _, ref := range cfg.Bundles {
		if err := component.CheckName(ref.Name); err != nil {
			return nil, fmt.Errorf("catalog: bundle %q: %w", ref.Name, err)
		}
		if seen[ref.Name] {
			return nil, fmt.Errorf("catalog: bundle %q is configured twice", ref.Name)
		}
		seen[ref.Name] = true
		b, err := c.verify(ctx, ref)
		if err != nil {
			return nil, err
		}
		c.bundles = append(c.bundles, b)
	}
	return c, nil
}

// verify checks one bundle: its file's SHA-256, its manifest, its protocol.
func (c *Catalog) verify(ctx context.Context, ref BundleRef) (*extBundle, error) {
	want, err := hex.DecodeString(strings.ToLower(ref.SHA256))
	if err != nil || len(want) != 32 {
		return nil, fmt.Errorf("catalog: bundle %q: sha256 %q: want 64 hex digits", ref.Name, ref.SHA256)
	}
	path := ref.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.cfg.Dir, path)
	}
	got, err := fileSHA256(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: bundle %q: %w", ref.Name, err)
	}
	if hex.EncodeToString(got) != hex.EncodeToString(want) {
		return nil, fmt.Errorf("catalog: bundle %q: %s has sha256 %x but the config says %x; refusing to run it",
			ref.Name, path, got, want)
	}
	m, err := describe(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("catalog: bundle %q: %w", ref.Name, err)
	}
	if err := checkManifest(m); err != nil {
		return nil, fmt.Errorf("catalog: bundle %q (%s): %w", ref.Name, path, err)
	}
	return &extBundle{ref: ref, path: path, sum: got, manifest: m}, nil
}

// checkManifest accepts a manifest whose protocols include one we speak
// and whose components are kinds we can run out of process.
func checkManifest(m bundle.Manifest) error {
	ok := false
	for _, p := range pluginrpc.Protocols() {
		ok = ok || slices.Contains(m.Protocols, p)
	}
	if !ok {
		return fmt.Errorf("speaks plugin protocols %v, this server speaks %v", m.Protocols, pluginrpc.Protocols())
	}
	if len(m.Components) == 0 {
		return fmt.Errorf("provides no plugins")
	}
	for _, comp := range m.Components {
		if err := component.CheckName(comp.Name); err != nil {
			return err
		}
		switch comp.Kind {
		case component.KindArchiver, component.KindStorage, component.KindTransport:
		default:
			return fmt.Errorf("provides %s %q, which this server cannot run out of process (archivers, storage and transports only)", comp.Kind, comp.Name)
		}
	}
	return nil
}

// Sets is one registry.Set per bundle, for registry.AddSet with
// registry.SourceExternal(set.Name).
func (c *Catalog) Sets() []registry.Set {
	var sets []registry.Set
	for _, b := range c.bundles {
		sets = append(sets, c.registrySet(b))
	}
	return sets
}

func (c *Catalog) archiverFactory(b *extBundle, comp bundle.Component) component.Factory[archiver.Archiver] {
	return component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: comp.Kind, Name: comp.Name, Stability: comp.Stability},
		New: func(ctx context.Context, env component.Env, raw map[string]any) (archiver.Archiver, error) {
			return c.newArchiver(ctx, b, comp.Name, env, raw)
		},
	}
}

// remoteFactory is the factory of a component a bundle serves in its own
// process: build launches it, and its error names the component and the
// bundle. On error New returns T's zero value (never a typed nil).
func remoteFactory[T component.Component](kind component.Kind, label string, b *extBundle, name string,
	stability component.Stability, build func(context.Context, component.Env, map[string]any) (T, error)) component.Factory[T] {
	return component.Factory[T]{
		Info: component.Info{Kind: kind, Name: name, Stability: stability},
		New: func(ctx context.Context, env component.Env, raw map[string]any) (T, error) {
			t, err := build(ctx, env, raw)
			if err != nil {
				var zero T
				return zero, fmt.Errorf("catalog: %s %q (bundle %q): %w", label, name, b.ref.Name, err)
			}
			return t, nil
		},
	}
}

// Instance describes one launched instance, for logs and metrics.
type Instance struct {
	Kind   component.Kind
	Name   string
	Bundle string
	// PID is the plugin process, 0 while it is down.
	PID int
	// Restarts counts relaunches after the process died.
	Restarts uint64
}

// Instances lists the open instances.
func (c *Catalog) Instances() []Instance {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Instance, 0, len(c.instances))
	for r := range c.instances {
		out = append(out, Instance{Kind: component.KindArchiver, Name: r.name, Bundle: r.bundle.ref.Name, PID: r.PID(), Restarts: r.Restarts()})
	}
	for s := range c.stores {
		out = append(out, Instance{Kind: component.KindStorage, Name: s.name, Bundle: s.bundle, PID: s.PID()})
	}
	for t := range c.transports {
		out = append(out, Instance{Kind: component.KindTransport, Name: t.name, Bundle: t.bundle, PID: t.PID()})
	}
	slices.SortFunc(out, func(a, b Instance) int {
		return strings.Compare(a.Bundle+"/"+string(a.Kind)+"/"+a.Name, b.Bundle+"/"+string(b.Kind)+"/"+b.Name)
	})
	return out
}

// Close closes every instance still open (killing its process): a last
// resort at shutdown for instances their owner did not close.
func (c *Catalog) Close(ctx context.Context) error {
	c.mu.Lock()
	open := make([]component.Component, 0, len(c.instances)+len(c.stores)+len(c.transports))
	for r := range c.instances {
		open = append(open, r)
	}
	for s := range c.stores {
		open = append(open, s)
	}
	for t := range c.transports {
		open = append(open, t)
	}
	c.mu.Unlock()
	var firstErr error
	for _, r := range open {
		if err := r.Close(ctx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (c *Catalog) track(r *RemoteArchiver) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.instances[r] = struct{}{}
}

func (c *Catalog) forget(r *RemoteArchiver) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.instances, r)
}

func (c *Catalog) trackStore(s *RemoteStore, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on {
		c.stores[s] = struct{}{}
	} else {
		delete(c.stores, s)
	}
}

func (c *Catalog) trackTransport(t *RemoteTransport, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on {
		c.transports[t] = struct{}{}
	} else {
		delete(c.transports, t)
	}
}

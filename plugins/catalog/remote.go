package catalog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/internal/pluginrpc"
	"github.com/runnel-io/runnel/plugins/registry"
)

// RemoteArchiver is an archiver instance served by a bundle process. It
// satisfies archiver.Archiver; PID and Restarts are for tests and
// metrics.
type RemoteArchiver struct {
	cat    *Catalog
	bundle *extBundle
	name   string
	env    component.Env
	raw    map[string]any
	logger *slog.Logger

	// ctx ends at Close; it bounds relaunches.
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{} // closed when the supervisor has returned
	restarts atomic.Uint64

	mu      sync.Mutex
	cur     *process // nil while the process is down
	started bool
	closed  bool
}

var _ archiver.Archiver = (*RemoteArchiver)(nil)

// process is one launched bundle process serving the instance.
type process struct {
	client     *plugin.Client
	rpc        *pluginrpc.ArchiverClient
	pid        int
	launchedAt time.Time
}

// newArchiver launches the bundle and configures the instance; it is the
// remote factory's New.
func (c *Catalog) newArchiver(ctx context.Context, b *extBundle, name string, env component.Env, raw map[string]any) (*RemoteArchiver, error) {
	logger := c.logger
	if env.Logger != nil {
		logger = env.Logger
	}
	r := &RemoteArchiver{
		cat: c, bundle: b, name: name, env: env, raw: raw,
		logger: logger.With("bundle", b.ref.Name, "instance", "archiver."+name),
		done:   make(chan struct{}),
	}
	p, err := r.launch(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("catalog: archiver %q (bundle %q): %w", name, b.ref.Name, err)
	}
	r.cur = p
	r.ctx, r.cancel = context.WithCancel(context.Background())
	c.track(r)
	go r.supervise()
	return r, nil
}

// launch starts a process, dispenses the archiver and configures it (and
// starts it, if start).
func (r *RemoteArchiver) launch(ctx context.Context, start bool) (*process, error) {
	client := plugin.NewClient(r.cat.clientConfig(r.bundle, exec.Command(r.bundle.path), r.logger))
	p, err := r.connect(ctx, client, start)
	if err != nil {
		client.Kill()
		return nil, err
	}
	return p, nil
}

// clientConfig is how every bundle process is launched: checksum
// re-checked at exec, gRPC only, mutual TLS, no host environment, logs
// re-logged through logger.
func (c *Catalog) clientConfig(b *extBundle, cmd *exec.Cmd, logger *slog.Logger) *plugin.ClientConfig {
	dieWithHost(cmd)
	return &plugin.ClientConfig{
		HandshakeConfig:  pluginrpc.Handshake(),
		VersionedPlugins: pluginrpc.PluginSets(registry.Set{}, nil),
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: b.sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  pluginrpc.DialOptions(),
		SkipHostEnv:      true,
		Managed:          true,
		StartTimeout:     c.cfg.StartTimeout,
		Logger:           hclog.NewNullLogger(),
		Stderr:           &lineLogger{logger: logger},
	}
}

func (r *RemoteArchiver) connect(ctx context.Context, client *plugin.Client, start bool) (*process, error) {
	proto, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("launch %s: %w", r.bundle.path, err)
	}
	v, err := proto.Dispense(pluginrpc.PluginArchiver)
	if err != nil {
		return nil, fmt.Errorf("dispense: %w", err)
	}
	rpc, ok := v.(*pluginrpc.ArchiverClient)
	if !ok {
		return nil, fmt.Errorf("dispense: got %T", v)
	}
	if err := rpc.Configure(ctx, r.name, r.raw, r.env.DataDir); err != nil {
		return nil, err
	}
	if start {
		if err := rpc.Start(ctx); err != nil {
			return nil, fmt.Errorf("start: %w", err)
		}
	}
	pid, _ := strconv.Atoi(client.ID())
	return &process{client: client, rpc: rpc, pid: pid, launchedAt: time.Now()}, nil
}

// supervise watches the process and relaunches it when it dies or hangs
// (stops answering health pings).
func (r *RemoteArchiver) supervise() {
	defer close(r.done)
	tick := time.NewTicker(exitPollInterval)
	defer tick.Stop()
	backoff := r.cat.cfg.RestartBackoffMin
	lastPing := time.Now()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		p := r.cur
		r.mu.Unlock()
		if p == nil {
			continue
		}
		reason := ""
		if p.client.Exited() {
			reason = "plugin process exited"
		} else if time.Since(lastPing) >= r.cat.cfg.HealthInterval {
			lastPing = time.Now()
			if !r.answers(p) {
				reason = "plugin process stopped answering"
			}
		}
		if reason == "" {
			continue
		}
		r.markDown(p, reason)
		if time.Since(p.launchedAt) > r.cat.cfg.RestartBackoffMax {
			backoff = r.cat.cfg.RestartBackoffMin // it ran well for a while
		}
		if !r.relaunch(&backoff) {
			return
		}
		lastPing = time.Now()
	}
}

// answers pings p's process and reports whether it answered within the
// health timeout. go-plugin's Ping takes no context, so it runs aside and
// is abandoned on timeout (it returns once the process is killed).
func (r *RemoteArchiver) answers(p *process) bool {
	done := make(chan error, 1)
	go func() {
		proto, err := p.client.Client()
		if err == nil {
			err = proto.Ping()
		}
		done <- err
	}()
	timer := time.NewTimer(r.cat.cfg.HealthTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err == nil || p.client.Exited() // an exit is the next tick's business
	case <-timer.C:
		return false
	case <-r.ctx.Done():
		return true
	}
}

// markDown forgets the dead or hung process, so calls fail fast with
// ErrUnavailable, and kills it.
func (r *RemoteArchiver) markDown(p *process, reason string) {
	r.mu.Lock()
	if r.cur == p {
		r.cur = nil
	}
	r.mu.Unlock()
	// SIGKILL first: go-plugin's Kill begins with a graceful shutdown call
	// that a hung process never answers.
	if proc, err := os.FindProcess(p.pid); err == nil {
		_ = proc.Kill()
	}
	p.client.Kill() // reaps, removes its socket directory
	r.logger.Error(reason+"; relaunching", "pid", p.pid)
}

// relaunch tries until a launch works or Close; false means Close.
func (r *RemoteArchiver) relaunch(backoff *time.Duration) bool {
	for {
		wait := time.NewTimer(*backoff)
		select {
		case <-r.ctx.Done():
			wait.Stop()
			return false
		case <-wait.C:
		}
		*backoff = min(*backoff*2, r.cat.cfg.RestartBackoffMax)
		r.mu.Lock()
		start := r.started
		r.mu.Unlock()
		p, err := r.launch(r.ctx, start)
		if err != nil {
			r.logger.Error("plugin relaunch failed", "err", err, "retry_in", *backoff)
			continue
		}
		r.mu.Lock()
		closed := r.closed
		if !closed {
			r.cur = p
		}
		r.mu.Unlock()
		if closed {
			p.client.Kill()
			return false
		}
		n := r.restarts.Add(1)
		r.logger.Warn("plugin restarted", "pid", p.pid, "restarts", n)
		return true
	}
}

// PID is the plugin process's id, 0 while it is down.
func (r *RemoteArchiver) PID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil {
		return 0
	}
	return r.cur.pid
}

// Restarts counts relaunches after the process died.
func (r *RemoteArchiver) Restarts() uint64 { return r.restarts.Load() }

// rpc returns the live process's client, or why there is none.
func (r *RemoteArchiver) rpc() (*pluginrpc.ArchiverClient, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return nil, fmt.Errorf("catalog: archiver.%s: %w", r.name, archiver.ErrClosed)
	case r.cur == nil:
		return nil, fmt.Errorf("catalog: archiver.%s (bundle %s): process down, relaunching: %w", r.name, r.bundle.ref.Name, ErrUnavailable)
	}
	return r.cur.rpc, nil
}

// wrap names the instance on unavailability errors; the plugin's own
// errors already name it.
func (r *RemoteArchiver) wrap(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("catalog: archiver.%s (bundle %s): %w", r.name, r.bundle.ref.Name, err)
	}
	return err
}

// Start starts the instance; a relaunched process is started again.
func (r *RemoteArchiver) Start(ctx context.Context) error {
	c, err := r.rpc()
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return r.wrap(err)
	}
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
	return nil
}

// Close closes the instance and kills its process. Idempotent.
func (r *RemoteArchiver) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	p := r.cur
	r.cur = nil
	r.mu.Unlock()
	r.cancel()
	<-r.done
	r.cat.forget(r)
	if p == nil {
		return nil
	}
	err := p.rpc.Close(ctx)
	p.client.Kill()
	if err != nil && !errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("catalog: archiver.%s: close: %w", r.name, err)
	}
	return nil
}

// Put implements archiver.Archiver.
func (r *RemoteArchiver) Put(ctx context.Context, key archiver.Key, rd io.Reader, sizeBytes int64) (archiver.ObjectInfo, error) {
	c, err := r.rpc()
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	info, err := c.Put(ctx, key, rd, sizeBytes)
	return info, r.wrap(err)
}

// Get implements archiver.Archiver.
func (r *RemoteArchiver) Get(ctx context.Context, key archiver.Key, position, lengthBytes int64) (io.ReadCloser, error) {
	c, err := r.rpc()
	if err != nil {
		return nil, err
	}
	rc, err := c.Get(ctx, key, position, lengthBytes)
	return rc, r.wrap(err)
}

// Stat implements archiver.Archiver.
func (r *RemoteArchiver) Stat(ctx context.Context, key archiver.Key) (archiver.ObjectInfo, error) {
	c, err := r.rpc()
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	info, err := c.Stat(ctx, key)
	return info, r.wrap(err)
}

// List implements archiver.Archiver.
func (r *RemoteArchiver) List(ctx context.Context, prefix archiver.Key) ([]archiver.ObjectInfo, error) {
	c, err := r.rpc()
	if err != nil {
		return nil, err
	}
	infos, err := c.List(ctx, prefix)
	return infos, r.wrap(err)
}

// Delete implements archiver.Archiver.
func (r *RemoteArchiver) Delete(ctx context.Context, key archiver.Key) error {
	c, err := r.rpc()
	if err != nil {
		return err
	}
	return r.wrap(c.Delete(ctx, key))
}

package catalog

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"

	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/internal/pluginrpc"
	"github.com/runnel-io/runnel/plugins/transport"
)

// RemoteTransport is a transport served by a bundle process: the plugin
// owns the listening socket (clients connect to Addr, in the plugin's
// process) and calls the host's Handler back over gRPC. It is not
// relaunched when its process dies: Serve returns an error naming the
// bundle and wrapping ErrUnavailable, and the listener stays down (a new
// process could not take over the connections, and a port of 0 would
// change); the host decides what that means for the server.
type RemoteTransport struct {
	*pluginrpc.TransportClient
	instanceProcess
	cat          *Catalog
	name, bundle string

	once sync.Once
}

var _ transport.Transport = (*RemoteTransport)(nil)

func (c *Catalog) transportFactory(b *extBundle, name string, stability component.Stability) component.Factory[transport.Transport] {
	return remoteFactory(component.KindTransport, "transport", b, name, stability,
		func(ctx context.Context, env component.Env, raw map[string]any) (transport.Transport, error) {
			return c.newTransport(ctx, b, name, env, raw)
		})
}

func (c *Catalog) newTransport(ctx context.Context, b *extBundle, name string, env component.Env, raw map[string]any) (*RemoteTransport, error) {
	logger := c.instanceLogger(env, b, "transport."+name)
	client := plugin.NewClient(c.clientConfig(b, exec.Command(b.path), logger))
	tc, err := dispenseTransport(ctx, client, name, raw, env.DataDir)
	if err != nil {
		client.Kill()
		return nil, err
	}
	tc.SetLogger(logger)
	t := &RemoteTransport{TransportClient: tc, instanceProcess: newInstanceProcess(client, logger), cat: c, name: name, bundle: b.ref.Name}
	c.trackTransport(t, true)
	go t.watch("transport plugin process exited; its listener is down", func() []any { return []any{"addr", t.Addr()} })
	return t, nil
}

func dispenseTransport(ctx context.Context, client *plugin.Client, name string, raw map[string]any, dataDir string) (*pluginrpc.TransportClient, error) {
	proto, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("launch: %w", err)
	}
	v, err := proto.Dispense(pluginrpc.PluginTransport)
	if err != nil {
		return nil, fmt.Errorf("dispense: %w", err)
	}
	tc, ok := v.(*pluginrpc.TransportClient)
	if !ok {
		return nil, fmt.Errorf("dispense: got %T", v)
	}
	if err := tc.Configure(ctx, name, raw, dataDir); err != nil {
		return nil, err
	}
	return tc, nil
}

// Start has the plugin bind its listener.
func (t *RemoteTransport) Start(ctx context.Context) error {
	if err := t.TransportClient.Start(ctx); err != nil {
		return t.wrap("start", err)
	}
	return nil
}

// Serve serves h to the plugin's connections until the plugin's Serve
// returns. If the plugin process dies, the error names the instance, the
// bundle and the process, and wraps ErrUnavailable.
func (t *RemoteTransport) Serve(ctx context.Context, h transport.Handler) error {
	if err := t.TransportClient.Serve(ctx, h); err != nil {
		return t.wrap("serve", err)
	}
	return nil
}

// wrap names the instance; a dead process is said to be one.
func (t *RemoteTransport) wrap(op string, err error) error {
	if errors.Is(err, ErrUnavailable) || t.client.Exited() {
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return fmt.Errorf("catalog: transport.%s (bundle %s, pid %d): %s: plugin process died: %w", t.name, t.bundle, t.pid, op, err)
	}
	return fmt.Errorf("catalog: transport.%s (bundle %s): %s: %w", t.name, t.bundle, op, err)
}

// Close closes the transport (the plugin drains its connections, see
// transport.Transport), waits for Serve, and kills the process.
// Idempotent.
func (t *RemoteTransport) Close(ctx context.Context) error {
	var err error
	t.once.Do(func() {
		err = t.TransportClient.Close(ctx)
		t.stopWatching()
		t.cat.trackTransport(t, false)
		t.client.Kill()
		if errors.Is(err, ErrUnavailable) {
			err = nil // the process was already gone
		}
	})
	if err != nil {
		return fmt.Errorf("catalog: transport.%s: close: %w", t.name, err)
	}
	return nil
}

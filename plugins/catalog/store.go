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
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
)

const (
	// shmSlots and shmSlotBytes shape the region shared with one storage
	// plugin (32 MiB): an Append or ReadAt moves one slot per request,
	// several in flight (pluginrpc's window), so copying and writing
	// overlap.
	shmSlots     = 128
	shmSlotBytes = 256 << 10
	// shmChildFD and dataChildFD are the region's and the data socket's
	// descriptors in the child: exec.Cmd.ExtraFiles start at 3.
	shmChildFD  = 3
	dataChildFD = 4
)

// RemoteStore is a storage backend served by a bundle process; bulk bytes
// go through a shared memory region, and Append and ReadAt requests and
// completions through a private socket pair (gRPC carries the rest). It is not relaunched when its
// process dies: files held open across a crash cannot be resumed, so
// every call fails with an error wrapping ErrUnavailable and the host
// decides (stopping is the safe answer for storage).
type RemoteStore struct {
	*pluginrpc.StorageClient
	instanceProcess
	cat          *Catalog
	name, bundle string
	region       *pluginrpc.Region

	once sync.Once
}

var _ storage.Store = (*RemoteStore)(nil)

func (c *Catalog) storeFactory(b *extBundle, name string, stability component.Stability) component.Factory[storage.Store] {
	return remoteFactory(component.KindStorage, "storage", b, name, stability,
		func(ctx context.Context, env component.Env, raw map[string]any) (storage.Store, error) {
			return c.newStore(ctx, b, name, env, raw)
		})
}

func (c *Catalog) newStore(ctx context.Context, b *extBundle, name string, env component.Env, raw map[string]any) (*RemoteStore, error) {
	logger := c.instanceLogger(env, b, "storage."+name)
	region, err := pluginrpc.NewRegion(shmSlots, shmSlotBytes)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(b.path)
	cmd.ExtraFiles = region.Files()
	client := plugin.NewClient(c.clientConfig(b, cmd, logger))
	sc, err := dispenseStore(ctx, client, name, raw, env.DataDir, region)
	if err != nil {
		client.Kill()
		_ = region.Close()
		return nil, err
	}
	s := &RemoteStore{StorageClient: sc, instanceProcess: newInstanceProcess(client, logger), cat: c, name: name, bundle: b.ref.Name, region: region}
	c.trackStore(s, true)
	go s.watch("storage plugin process exited; the store is unavailable", func() []any { return nil })
	return s, nil
}

func dispenseStore(ctx context.Context, client *plugin.Client, name string, raw map[string]any, dataDir string, region *pluginrpc.Region) (*pluginrpc.StorageClient, error) {
	proto, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("launch: %w", err)
	}
	v, err := proto.Dispense(pluginrpc.PluginStorage)
	if err != nil {
		return nil, fmt.Errorf("dispense: %w", err)
	}
	sc, ok := v.(*pluginrpc.StorageClient)
	if !ok {
		return nil, fmt.Errorf("dispense: got %T", v)
	}
	if err := sc.Configure(ctx, name, raw, dataDir, region, shmChildFD, dataChildFD); err != nil {
		return nil, err
	}
	if err := region.ReleaseChild(); err != nil {
		return nil, fmt.Errorf("release data socket: %w", err)
	}
	return sc, nil
}

// Close closes the store, kills the process and unmaps the region.
// Idempotent.
func (s *RemoteStore) Close(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		s.stopWatching()
		s.cat.trackStore(s, false)
		err = s.StorageClient.Close(ctx)
		s.client.Kill()
		s.StorageClient.Detach()
		if rerr := s.region.Close(); err == nil {
			err = rerr
		}
		if errors.Is(err, ErrUnavailable) {
			err = nil // the process was already gone
		}
	})
	if err != nil {
		return fmt.Errorf("catalog: storage.%s: close: %w", s.name, err)
	}
	return nil
}

// registrySet is set with the remote factories of b.
func (c *Catalog) registrySet(b *extBundle) registry.Set {
	set := registry.Set{Name: b.ref.Name, Version: b.manifest.Version}
	for _, comp := range b.manifest.Components {
		switch comp.Kind {
		case component.KindArchiver:
			set.Archiver = append(set.Archiver, c.archiverFactory(b, comp))
		case component.KindStorage:
			set.Storage = append(set.Storage, c.storeFactory(b, comp.Name, comp.Stability))
		case component.KindTransport:
			set.Transport = append(set.Transport, c.transportFactory(b, comp.Name, comp.Stability))
		}
	}
	return set
}

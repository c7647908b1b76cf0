package pluginrpc

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

// PluginStorage is the go-plugin name of the storage kind.
const PluginStorage = "storage"

// StoragePlugin is the go-plugin glue for the storage kind.
type StoragePlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Factories []component.Factory[storage.Store]
	Logger    *slog.Logger
}

var _ plugin.GRPCPlugin = (*StoragePlugin)(nil)

// GRPCServer registers the storage service (plugin side).
func (p *StoragePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s.RegisterService(storageDesc(), &storageServer{factories: p.Factories, logger: logger})
	return nil
}

// GRPCClient returns a *StorageClient (host side); Configure gives it
// its region.
func (p *StoragePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewStorageClient(c), nil
}

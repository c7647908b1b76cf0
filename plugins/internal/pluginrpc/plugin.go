package pluginrpc

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

// ArchiverPlugin is the go-plugin glue for the archiver kind. A bundle
// sets Factories; a host leaves them nil and dispenses an *ArchiverClient.
type ArchiverPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Factories []component.Factory[archiver.Archiver]
	// Logger is lent to instances the bundle builds.
	Logger *slog.Logger
}

var _ plugin.GRPCPlugin = (*ArchiverPlugin)(nil)

// GRPCServer registers the archiver service (plugin side).
func (p *ArchiverPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s.RegisterService(archiverDesc(), &archiverServer{factories: p.Factories, logger: logger})
	return nil
}

// GRPCClient returns an *ArchiverClient (host side).
func (p *ArchiverPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewArchiverClient(c), nil
}

package pluginrpc

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
)

// PluginTransport is the go-plugin name of the transport kind.
const PluginTransport = "transport"

// TransportPlugin is the go-plugin glue for the transport kind. Both
// sides keep go-plugin's broker: the host serves its Handler on a broker
// connection that the plugin dials.
type TransportPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Factories []component.Factory[transport.Transport]
	Logger    *slog.Logger
}

var _ plugin.GRPCPlugin = (*TransportPlugin)(nil)

// GRPCServer registers the transport service (plugin side).
func (p *TransportPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s.RegisterService(transportDesc(), &transportServer{factories: p.Factories, logger: logger, broker: broker})
	return nil
}

// GRPCClient returns a *TransportClient (host side).
func (p *TransportPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewTransportClient(c, broker), nil
}

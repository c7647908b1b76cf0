package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// listener is one configured transport instance ([tcp], [quic], ... or a
// [[transports]] entry).
type listener struct {
	name      string // instance name: the section, or the entry's name
	kind      string // the transport plugin's name
	transport transport.Transport
}

// newListeners builds every enabled transport from its plugin. Built-in
// transports do no I/O here, so a bad key fails before any data is opened.
func newListeners(ctx context.Context, cfg *config.Config, logger *slog.Logger, reg *registry.Registry) ([]listener, error) {
	var out []listener
	for _, slot := range cfg.Listeners() {
		e, err := reg.Transport.Get(slot.Type)
		if err != nil {
			closeListeners(ctx, out)
			return nil, fmt.Errorf("server: config: transport %q: %w", slot.Name, err)
		}
		env := component.Env{Logger: logger.With("plugin", "transport."+slot.Type, "instance", slot.Name), DataDir: cfg.System.Path}
		t, err := e.Factory.New(ctx, env, slot.Config)
		if err != nil {
			closeListeners(ctx, out)
			return nil, fmt.Errorf("server: config: transport %q: %w", slot.Name, err)
		}
		out = append(out, listener{name: slot.Name, kind: slot.Type, transport: t})
	}
	return out, nil
}

func closeListeners(ctx context.Context, ls []listener) {
	for _, l := range ls {
		_ = l.transport.Close(ctx)
	}
}

// startListeners binds every listener, so an address in use stops the
// start with the transport named.
func (s *Server) startListeners(ctx context.Context) error {
	for _, l := range s.listeners {
		if err := l.transport.Start(ctx); err != nil {
			return fmt.Errorf("server: transport %q: %w", l.name, err)
		}
		s.log.Info("listening", "transport", l.name, "address", l.transport.Addr())
	}
	return nil
}

// thisNode describes this server in cluster metadata: the address and the
// port of each built-in transport that listens.
func (s *Server) thisNode() wire.ClusterNode {
	node := wire.ClusterNode{Name: "runnel-node", Role: wire.NodeLeader, Status: wire.NodeHealthy}
	for _, l := range s.listeners {
		host, portText, err := net.SplitHostPort(l.transport.Addr())
		if err != nil {
			continue
		}
		p, _ := strconv.ParseUint(portText, 10, 16)
		port := uint16(p)
		switch l.kind {
		case "tcp":
			node.TCPPort = port
		case "quic":
			node.QUICPort = port
		case "http":
			node.HTTPPort = port
		case "websocket":
			node.WebSocketPort = port
		default:
			continue
		}
		if node.IP == "" {
			node.IP = host
		}
	}
	return node
}

package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/runnel-io/runnel/core/vsr"
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
		if e.Source.External() {
			t = &isolatedListener{Transport: t, name: slot.Name, log: logger, closed: make(chan struct{})}
		}
		out = append(out, listener{name: slot.Name, kind: slot.Type, transport: t})
	}
	return out, nil
}

// isolatedListener keeps the failure of a plugin's listener to itself: if
// the plugin behind it becomes unavailable (its process died), the error
// is logged and Serve waits for the shutdown instead of returning it, so
// the server keeps serving on its other listeners rather than stopping.
type isolatedListener struct {
	transport.Transport
	name      string
	log       *slog.Logger
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *isolatedListener) Serve(ctx context.Context, h transport.Handler) error {
	err := l.Transport.Serve(ctx, h)
	if err == nil || !errors.Is(err, component.ErrUnavailable) {
		return err
	}
	l.log.Error("transport plugin failed; this listener is down, the others keep serving", "transport", l.name, "error", err)
	select {
	case <-ctx.Done():
	case <-l.closed:
	}
	return nil
}

func (l *isolatedListener) Close(ctx context.Context) error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Transport.Close(ctx)
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
		host, port := splitAddress(l.transport.Addr())
		if host == "" && port == 0 {
			continue
		}
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

// clusterMetadata answers GetClusterMetadata: this node alone for a
// cluster of one; else every replica of the roster, with the primary of
// the view this node is in as leader (none while it is changing views),
// this node healthy once it serves and each peer healthy while the bus to
// it is up. Clients that log in on a follower use it to move to the
// leader.
func (s *Server) clusterMetadata() wire.ClusterMetadata {
	replicas := s.cfg.Cluster.Replicas
	if len(replicas) <= 1 || s.node == nil {
		return wire.ClusterMetadata{Name: "single-node", Nodes: []wire.ClusterNode{s.thisNode()}}
	}
	st := s.node.State()
	md := wire.ClusterMetadata{Name: fmt.Sprintf("runnel-cluster-%d", s.cfg.Cluster.ID)}
	for i, r := range replicas {
		n := wire.ClusterNode{Name: r.Name, Role: wire.NodeFollower, Status: wire.NodeUnreachable}
		n.IP, n.TCPPort = splitAddress(r.TCPAddress)
		_, n.QUICPort = splitAddress(r.QUICAddress)
		_, n.HTTPPort = splitAddress(r.HTTPAddress)
		_, n.WebSocketPort = splitAddress(r.WebSocketAddress)
		if st.Status == vsr.StatusNormal && i == st.Primary {
			n.Role = wire.NodeLeader
		}
		switch {
		case i == st.Replica && st.Serving:
			n.Status = wire.NodeHealthy
		case i == st.Replica:
			n.Status = wire.NodeStarting
		case i < len(st.Peers) && st.Peers[i].Connected:
			n.Status = wire.NodeHealthy
		}
		md.Nodes = append(md.Nodes, n)
	}
	return md
}

// splitAddress parses host:port ("" gives "", 0).
func splitAddress(addr string) (string, uint16) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	port, _ := strconv.ParseUint(portText, 10, 16)
	return host, uint16(port)
}

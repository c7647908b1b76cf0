package pluginrpc

import (
	"log/slog"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/runnel-io/runnel/plugins/registry"
)

// ProtocolVersion is the version of the services in this package. The
// host and the bundle settle on the highest version both speak.
const ProtocolVersion = 1

// Protocols lists every protocol version this build speaks, highest first.
func Protocols() []int { return []int{ProtocolVersion} }

// Handshake is shared by host and bundle. The cookie is not security (the
// binary's SHA-256 and AutoMTLS are); it stops a user from running a
// bundle by hand and staring at a handshake line.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  ProtocolVersion,
		MagicCookieKey:   "RUNNEL_PLUGIN",
		MagicCookieValue: "4f1c2b9e7d0a4e6b8c3f5a2d1e9b7c60",
	}
}

// PluginArchiver is the go-plugin name under which the archiver kind is
// dispensed.
const PluginArchiver = "archiver"

// PluginSets is what a bundle serves (set's factories) or a host
// consumes (an empty set), by protocol version.
func PluginSets(set registry.Set, logger *slog.Logger) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {
			PluginArchiver:  &ArchiverPlugin{Factories: set.Archiver, Logger: logger},
			PluginStorage:   &StoragePlugin{Factories: set.Storage, Logger: logger},
			PluginTransport: &TransportPlugin{Factories: set.Transport, Logger: logger},
		},
	}
}

// Flow-control windows. gRPC's default stream window (64 KiB) makes a
// 1 MiB chunk wait for many window updates, each a round trip between
// the processes; windows of a few chunks let a chunk flow in one go.
const (
	streamWindowBytes = 4 * ChunkBytesMax
	connWindowBytes   = 4 * streamWindowBytes
)

// NewGRPCServer builds the bundle's gRPC server (plugin.ServeConfig's
// GRPCServer).
func NewGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, grpc.InitialWindowSize(streamWindowBytes), grpc.InitialConnWindowSize(connWindowBytes))...)
}

// DialOptions are the host's gRPC options (plugin.ClientConfig's
// GRPCDialOptions).
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithInitialWindowSize(streamWindowBytes), grpc.WithInitialConnWindowSize(connWindowBytes)}
}

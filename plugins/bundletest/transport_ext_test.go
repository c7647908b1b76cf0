package bundletest_test

import (
	"crypto/tls"
	"testing"

	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
)

// quicConfig listens on a free loopback UDP port with a self-signed
// certificate and a short drain (the suite waits for one to expire; the
// server's linger after closing a connection is half of it). Values are as
// TOML gives them.
func quicConfig() map[string]any {
	return map[string]any{"address": "127.0.0.1:0", "drain_timeout": "200ms"}
}

// wsConfig listens on a free loopback port, upgrading on /ws, with a short
// drain.
func wsConfig() map[string]any {
	return map[string]any{"address": "127.0.0.1:0", "path": "/ws", "drain_timeout": "200ms"}
}

// TestQUICTransportBinary runs the suite against quic_ext of the built
// bundle: QUIC streams to the plugin's UDP port, each request handed to
// the host over gRPC.
func TestQUICTransportBinary(t *testing.T) {
	bundletest.RunTransportBinary(t, transportBinary, "quic_ext", quicConfig(), transporttest.DialQUIC(&tls.Config{InsecureSkipVerify: true}), transporttest.Run)
}

// TestWebSocketTransportBinary runs the suite against websocket_ext of the
// built bundle: binary messages on the plugin's upgrade path.
func TestWebSocketTransportBinary(t *testing.T) {
	bundletest.RunTransportBinary(t, transportBinary, "websocket_ext", wsConfig(), transporttest.DialWebSocket("/ws", nil), transporttest.Run)
}

package bundletest_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/catalog"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/tcptransport"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
	"github.com/runnel-io/runnel/sdk/wire"
)

// tcpConfig listens on a free loopback port with a short drain (the
// suite waits for one to expire). Values are as TOML gives them.
func tcpConfig() map[string]any {
	return map[string]any{"address": "127.0.0.1:0", "drain_timeout": "200ms"}
}

func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// TestTransportOverRPC runs the transport suite against the TCP transport
// behind the gRPC adapters, in process: sockets on the plugin side,
// Handler calls back to the host over the broker.
func TestTransportOverRPC(t *testing.T) {
	f := tcptransport.Factory()
	f.Info.Name = "tcp_ext"
	set := registry.Set{Name: "t", Transport: []component.Factory[transport.Transport]{f}}
	bundletest.RunTransport(t, set, "tcp_ext", tcpConfig(), dialTCP, transporttest.Run)
}

// TestTransportBinary runs the suite against the built bundle, launched as
// runnel-server launches it: one process per transport, clients on the
// plugin's port.
func TestTransportBinary(t *testing.T) {
	bundletest.RunTransportBinary(t, transportBinary, "tcp_ext", tcpConfig(), dialTCP, transporttest.Run)
}

// TestTransportBinaryKilled: kill -9 of the plugin process ends Serve with
// an error that names the instance and the bundle and wraps
// ErrUnavailable; the host's Conn of an open connection gets its
// Disconnected, once.
func TestTransportBinaryKilled(t *testing.T) {
	f := bundletest.BinaryTransportFactory(t, transportBinary, "tcp_ext")
	tr, err := f.New(context.Background(), component.Env{DataDir: t.TempDir()}, tcpConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := &countingHandler{}
	served := make(chan error, 1)
	go func() { served <- tr.Serve(context.Background(), h) }()
	c, err := dialTCP(context.Background(), tr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := ping(c); err != nil {
		t.Fatal(err)
	}
	pid := tr.(interface{ PID() int }).PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-served:
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after the plugin died")
	}
	t.Logf("Serve after kill -9: %v", err)
	if !errors.Is(err, catalog.ErrUnavailable) || !strings.Contains(err.Error(), "transport.tcp_ext") ||
		!strings.Contains(err.Error(), "bundle test") || !strings.Contains(err.Error(), "plugin process died") {
		t.Fatalf("Serve returned %v, want ErrUnavailable naming the instance, the bundle and the death", err)
	}
	if n := h.disconnected.Load(); n != 1 {
		t.Fatalf("Disconnected called %d times, want 1", n)
	}
	if err := ping(c); err == nil {
		t.Fatal("the connection to the dead plugin still answers")
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatalf("Close after the death: %v", err)
	}
}

// countingHandler answers every request with an empty success.
type countingHandler struct {
	connected, disconnected atomic.Int64
}

func (h *countingHandler) Connect(context.Context, transport.Session) (transport.Conn, error) {
	h.connected.Add(1)
	return h, nil
}

func (h *countingHandler) Handle(context.Context, transport.Request) transport.Response {
	return transport.Response{}
}

func (h *countingHandler) Disconnected() { h.disconnected.Add(1) }

// ping sends one Ping frame and reads a success.
func ping(c net.Conn) error {
	req := make([]byte, wire.RequestHeaderSize)
	wire.EncodeRequestHeader(req, wire.CodePing, 0)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(req); err != nil {
		return err
	}
	resp := make([]byte, wire.ResponseHeaderSize)
	if _, err := io.ReadFull(c, resp); err != nil {
		return err
	}
	if status := binary.LittleEndian.Uint32(resp); status != 0 {
		return fmt.Errorf("status %d", status)
	}
	return nil
}

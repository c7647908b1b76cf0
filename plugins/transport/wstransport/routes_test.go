package wstransport

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
	"github.com/runnel-io/runnel/sdk/wire"
)

// metricsHandler is a host with an extra HTTP route, as the server's
// /metrics, and one colliding with the WebSocket path.
type metricsHandler struct{}

func (metricsHandler) HTTPRoutes() map[string]http.Handler {
	return map[string]http.Handler{
		"/metrics": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "runnel_up 1\n") }),
		"/ws":      http.NotFoundHandler(), // collides: skipped
	}
}

func (metricsHandler) Connect(context.Context, transport.Session) (transport.Conn, error) {
	return pingConn{}, nil
}

type pingConn struct{}

func (pingConn) Handle(context.Context, transport.Request) transport.Response {
	return transport.Response{}
}
func (pingConn) Disconnected() {}

func startServing(t testing.TB, cfg Config, h transport.Handler) *Transport {
	t.Helper()
	tr := newTransport(t, cfg)
	transporttest.Serve(t, tr, h)
	return tr
}

// TestHTTPRoutesBesideWebSocket: the host's routes are served on the same
// listener (over TLS here), the WebSocket path still upgrades, and a plain
// GET of it gets a clear HTTP error.
func TestHTTPRoutesBesideWebSocket(t *testing.T) {
	cfg := testConfig()
	cfg.Path = "/ws"
	cfg.TLS.Enabled = true
	tr := startServing(t, cfg, metricsHandler{})
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Get("https://" + tr.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "runnel_up 1") {
		t.Fatalf("/metrics: %d %q", resp.StatusCode, body)
	}
	resp, err = hc.Get("https://" + tr.Addr() + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain GET of the WebSocket path: %d, want 426", resp.StatusCode)
	}
	c, err := transporttest.DialWebSocket("/ws", &tls.Config{InsecureSkipVerify: true})(context.Background(), tr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(header(4, wire.CodePing))
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr != [8]byte{} {
		t.Fatalf("ping over /ws: %x %v", hdr, err)
	}
}

func TestConnectionsMax(t *testing.T) {
	cfg := testConfig()
	cfg.ConnectionsMax = 1
	tr := startServing(t, cfg, metricsHandler{})
	first, err := transporttest.DialWebSocket("/", nil)(context.Background(), tr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := transporttest.DialWebSocket("/", nil)(context.Background(), tr.Addr()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("second connection: %v, want a 503 refusal", err)
	}
}

func header(length, code uint32) []byte {
	b := make([]byte, 8)
	wire.EncodeRequestHeader(b, code, int(length)-4)
	return b
}

package wstransport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"testing"

	"github.com/coder/websocket"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// echoHandler answers Ping with an empty success and every other code with
// its payload echoed.
type echoHandler struct{}

func (echoHandler) Connect(context.Context, transport.Session) (transport.Conn, error) {
	return echoHandler{}, nil
}

func (echoHandler) Handle(_ context.Context, req transport.Request) transport.Response {
	if req.Code == wire.CodePing {
		return transport.Response{}
	}
	return transport.Response{Payload: [][]byte{append([]byte(nil), req.Payload...)}}
}

func (echoHandler) Disconnected() {}

type bodyHandler struct{ body []byte }

func (h bodyHandler) Connect(context.Context, transport.Session) (transport.Conn, error) {
	return h, nil
}

func (h bodyHandler) Handle(context.Context, transport.Request) transport.Response {
	return transport.Response{Payload: [][]byte{h.body}}
}

func (bodyHandler) Disconnected() {}

// BenchmarkRoundTrip measures request/response round trips over loopback
// with a response of resp bytes, ws:// and wss://. Compare with
// tcptransport's BenchmarkRoundTrip of the same size.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{0, 1 << 20} {
		body := make([]byte, size)
		for _, tlsOn := range []bool{false, true} {
			name := map[bool]string{false: "ws", true: "wss"}[tlsOn]
			b.Run(fmt.Sprintf("resp=%dB/impl=%s", size, name), func(b *testing.B) {
				cfg := testConfig()
				cfg.TLS.Enabled = tlsOn
				tr := startServing(b, cfg, bodyHandler{body})
				ws := websocketOf(b, tr.Addr(), tlsOn)
				req := make([]byte, wire.RequestHeaderSize)
				wire.EncodeRequestHeader(req, 9100, 0)
				ctx := context.Background()
				b.SetBytes(int64(size))
				b.ResetTimer()
				for b.Loop() {
					if err := ws.Write(ctx, websocket.MessageBinary, req); err != nil {
						b.Fatal(err)
					}
					if _, resp, err := ws.Read(ctx); err != nil || len(resp) != 8+size {
						b.Fatalf("%d bytes, %v", len(resp), err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
			})
		}
	}
}

func websocketOf(b *testing.B, addr string, tlsOn bool) *websocket.Conn {
	scheme, opts := "ws://", &websocket.DialOptions{}
	if tlsOn {
		scheme = "wss://"
		opts.HTTPClient = insecureClient()
	}
	ws, _, err := websocket.Dial(context.Background(), scheme+addr+"/", opts)
	if err != nil {
		b.Fatal(err)
	}
	ws.SetReadLimit(-1)
	b.Cleanup(func() { ws.CloseNow() })
	return ws
}

func insecureClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

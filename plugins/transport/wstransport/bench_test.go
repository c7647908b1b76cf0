package wstransport

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
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
				// Read into one reused buffer, as tcptransport's benchmark
				// does: ws.Read (io.ReadAll) would allocate and grow ~2 MiB
				// per response and measure the allocator, not the transport.
				resp := make([]byte, wire.ResponseHeaderSize+size)
				b.SetBytes(int64(size))
				b.ResetTimer()
				for b.Loop() {
					if err := ws.Write(ctx, websocket.MessageBinary, req); err != nil {
						b.Fatal(err)
					}
					readMessage(b, ws, resp)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
			})
		}
	}
}

// readMessage reads one message that must be exactly len(buf) bytes.
func readMessage(b *testing.B, ws *websocket.Conn, buf []byte) {
	_, r, err := ws.Reader(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		b.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, r); n != 0 || err != nil {
		b.Fatalf("%d bytes after the expected %d, %v", n, len(buf), err)
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

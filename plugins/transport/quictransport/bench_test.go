package quictransport

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// BenchmarkRoundTrip measures request/response round trips over loopback,
// one stream per request, with a response of resp bytes handed over as a
// chunk. Compare with tcptransport's BenchmarkRoundTrip of the same size.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{0, 1 << 20} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i)
		}
		b.Run(fmt.Sprintf("resp=%dB", size), func(b *testing.B) {
			tr := startServing(b, testConfig(), bodyHandler{body})
			qc, err := dialRaw(b, tr.Addr(), insecureTLS())
			if err != nil {
				b.Fatal(err)
			}
			req := make([]byte, wire.RequestHeaderSize)
			wire.EncodeRequestHeader(req, 9100, 0)
			resp := make([]byte, wire.ResponseHeaderSize+size)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for b.Loop() {
				st, err := qc.OpenStreamSync(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := st.Write(req); err != nil {
					b.Fatal(err)
				}
				st.Close()
				if _, err := io.ReadFull(st, resp); err != nil {
					b.Fatal(err)
				}
				st.CancelRead(0)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
		})
	}
}

type bodyHandler struct{ body []byte }

func (h bodyHandler) Connect(context.Context, transport.Session) (transport.Conn, error) {
	return h, nil
}

func (h bodyHandler) Handle(context.Context, transport.Request) transport.Response {
	return transport.Response{Payload: [][]byte{h.body}}
}

func (bodyHandler) Disconnected() {}

package bundletest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/tcptransport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// BenchmarkTransportRoundTrip measures request/response round trips over
// loopback through the TCP transport built in and through tcp_ext (the
// same transport in the runnel-plugin-transport process, each request
// handed to the host over gRPC), alternating one of each per iteration
// so both see the same machine load. It reports the mean round trip of
// each and ext/builtin, the boundary's cost as a ratio.
func BenchmarkTransportRoundTrip(b *testing.B) {
	for _, size := range []int{0, 4 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("resp=%dB", size), func(b *testing.B) {
			body := make([]byte, size)
			builtin, err := tcptransport.Factory().New(context.Background(), component.Env{}, tcpConfig())
			if err != nil {
				b.Fatal(err)
			}
			ext, err := bundletestBinaryTransport(b)
			if err != nil {
				b.Fatal(err)
			}
			cb := serveBody(b, builtin, body)
			ce := serveBody(b, ext, body)
			req := make([]byte, wire.RequestHeaderSize)
			wire.EncodeRequestHeader(req, 9100, 0)
			resp := make([]byte, wire.ResponseHeaderSize+size)
			var builtinTime, extTime time.Duration
			b.SetBytes(int64(2 * size))
			for b.Loop() {
				start := time.Now()
				roundTrip(b, cb, req, resp)
				mid := time.Now()
				roundTrip(b, ce, req, resp)
				builtinTime += mid.Sub(start)
				extTime += time.Since(mid)
			}
			n := float64(b.N)
			b.ReportMetric(float64(builtinTime.Microseconds())/n, "builtin_µs/rt")
			b.ReportMetric(float64(extTime.Microseconds())/n, "ext_µs/rt")
			b.ReportMetric(float64(extTime)/float64(builtinTime), "ext/builtin")
		})
	}
}

func bundletestBinaryTransport(b *testing.B) (transport.Transport, error) {
	f := bundletest.BinaryTransportFactory(b, transportBinary, "tcp_ext")
	return f.New(context.Background(), component.Env{DataDir: b.TempDir()}, tcpConfig())
}

// serveBody starts tr, serves body for every request, and connects a
// client; all closed with the benchmark.
func serveBody(b *testing.B, tr transport.Transport, body []byte) net.Conn {
	if err := tr.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- tr.Serve(context.Background(), bodyHandler{body}) }()
	c, err := dialTCP(context.Background(), tr.Addr())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close()
		_ = tr.Close(context.Background())
		if err := <-served; err != nil {
			b.Error(err)
		}
	})
	return c
}

func roundTrip(b *testing.B, c net.Conn, req, resp []byte) {
	if _, err := c.Write(req); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(c, resp); err != nil {
		b.Fatal(err)
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

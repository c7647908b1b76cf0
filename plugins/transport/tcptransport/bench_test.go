package tcptransport

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// BenchmarkRoundTrip measures request/response round trips over loopback
// with a response of resp bytes: impl=raw is a bare net.Conn server writing
// a prebuilt frame (the baseline), impl=tcp and impl=tls go through the
// transport with the body handed over as a chunk (no copy). Compare
// MB/s and rt/s of the same resp size.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{0, 1 << 20} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i)
		}
		b.Run(fmt.Sprintf("resp=%dB/impl=raw", size), func(b *testing.B) {
			benchLoop(b, size, rawServer(b, body), dialTCP)
		})
		b.Run(fmt.Sprintf("resp=%dB/impl=tcp", size), func(b *testing.B) {
			benchLoop(b, size, benchTransport(b, false, body), dialTCP)
		})
		b.Run(fmt.Sprintf("resp=%dB/impl=tls", size), func(b *testing.B) {
			benchLoop(b, size, benchTransport(b, true, body),
				tlsDialer(&tls.Config{InsecureSkipVerify: true}))
		})
	}
}

// benchLoop sends one 8-byte request per iteration and reads the response.
func benchLoop(b *testing.B, size int, addr string, dial func(context.Context, string) (net.Conn, error)) {
	c := dialWith(b, dial, addr)
	req := make([]byte, wire.RequestHeaderSize)
	wire.EncodeRequestHeader(req, 9100, 0)
	resp := make([]byte, wire.ResponseHeaderSize+size)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
}

// benchTransport serves body for every request through the transport.
func benchTransport(b *testing.B, tlsOn bool, body []byte) string {
	cfg := testConfig()
	cfg.TLS.Enabled = tlsOn
	tr := newTransport(b, cfg)
	if err := tr.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- tr.Serve(context.Background(), bodyHandler{body}) }()
	b.Cleanup(func() {
		tr.Close(context.Background())
		<-served
	})
	return tr.Addr()
}

type bodyHandler struct{ body []byte }

func (h bodyHandler) Connect(context.Context, transport.Session) (transport.Conn, error) {
	return h, nil
}

func (h bodyHandler) Handle(context.Context, transport.Request) transport.Response {
	return transport.Response{Payload: [][]byte{h.body}}
}

func (bodyHandler) Disconnected() {}

// rawServer is the baseline: read a request header, write one prebuilt
// response frame, on a bare TCP connection.
func rawServer(b *testing.B, body []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, wire.ResponseHeaderSize, wire.ResponseHeaderSize+len(body))
	wire.EncodeResponseHeader(frame, 0, len(body))
	frame = append(frame, body...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go rawServe(c, frame)
		}
	}()
	b.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func rawServe(c net.Conn, frame []byte) {
	defer c.Close()
	var hdr [wire.RequestHeaderSize]byte
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		if _, err := c.Write(frame); err != nil {
			return
		}
	}
}

package quictransport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
	"github.com/runnel-io/runnel/plugins/transport/transporttls/transporttlstest"
	"github.com/runnel-io/runnel/sdk/wire"
)

// testConfig listens on a free loopback port with a short drain.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.DrainTimeout = time.Second
	return cfg
}

func newTransport(t testing.TB, cfg Config) *Transport {
	t.Helper()
	tr, err := New(component.Env{Logger: slog.New(slog.DiscardHandler), DataDir: t.TempDir()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.lingerTimeout = 100 * time.Millisecond // the suite's client never closes first
	return tr
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transport.Transport {
		return newTransport(t, testConfig())
	}, transporttest.DialQUIC(insecureTLS()))
}

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

func startServing(t testing.TB, cfg Config, h transport.Handler) *Transport {
	t.Helper()
	tr := newTransport(t, cfg)
	transporttest.Serve(t, tr, h)
	return tr
}

func dialRaw(t testing.TB, addr string, tlsCfg *tls.Config) (*quic.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	qc, err := quic.DialAddr(ctx, addr, tlsCfg, &quic.Config{HandshakeIdleTimeout: 5 * time.Second})
	if err == nil {
		t.Cleanup(func() { qc.CloseWithError(0, "") })
	}
	return qc, err
}

// roundTrip sends one request on a new stream and returns the response.
func roundTrip(qc *quic.Conn, code uint32, payload []byte) (status uint32, body []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return 0, nil, err
	}
	st.SetDeadline(time.Now().Add(10 * time.Second))
	frame := make([]byte, wire.RequestHeaderSize, wire.RequestHeaderSize+len(payload))
	wire.EncodeRequestHeader(frame, code, len(payload))
	st.Write(append(frame, payload...))
	st.Close()
	resp, err := io.ReadAll(st)
	if err != nil {
		return 0, nil, err
	}
	if len(resp) < wire.ResponseHeaderSize {
		return 0, nil, io.ErrUnexpectedEOF
	}
	status, n := wire.DecodeResponseHeader(resp)
	if int(n) != len(resp)-wire.ResponseHeaderSize {
		return 0, nil, io.ErrUnexpectedEOF
	}
	return status, resp[wire.ResponseHeaderSize:], nil
}

func TestOneStreamPerRequest(t *testing.T) {
	tr := startServing(t, testConfig(), echoHandler{})
	qc, err := dialRaw(t, tr.Addr(), insecureTLS())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		status, body, err := roundTrip(qc, 9001, []byte(strings.Repeat("x", i)))
		if err != nil || status != 0 || len(body) != i {
			t.Fatalf("request %d: status %d, %d bytes, %v", i, status, len(body), err)
		}
	}
	// Bytes after the frame on the same stream are ignored (one request per
	// stream), and a frame truncated by the client's FIN gets status 3
	// without closing the connection.
	ctx := context.Background()
	st, _ := qc.OpenStreamSync(ctx)
	frame := make([]byte, 8)
	wire.EncodeRequestHeader(frame, wire.CodePing, 0)
	st.Write(append(frame, 1, 2, 3))
	st.Close()
	resp, _ := io.ReadAll(st)
	if len(resp) != 8 || resp[0] != 0 {
		t.Fatalf("ping with trailing bytes: %x", resp)
	}
	st, _ = qc.OpenStreamSync(ctx)
	wire.EncodeRequestHeader(frame, 9001, 100)
	st.Write(append(frame, 1, 2, 3))
	st.Close()
	resp, _ = io.ReadAll(st)
	if status, n := wire.DecodeResponseHeader(resp); len(resp) != 8 || status != wire.ErrInvalidCommand.Code || n != 0 {
		t.Fatalf("truncated frame: %x", resp)
	}
	if status, _, err := roundTrip(qc, wire.CodePing, nil); err != nil || status != 0 {
		t.Fatalf("ping after a truncated frame: %d %v", status, err)
	}
}

func TestSendMessagesLimit(t *testing.T) {
	cfg := testConfig()
	cfg.SendPayloadBytesMax = 1000
	tr := startServing(t, cfg, echoHandler{})
	qc, err := dialRaw(t, tr.Addr(), insecureTLS())
	if err != nil {
		t.Fatal(err)
	}
	if status, body, err := roundTrip(qc, wire.CodeSendMessages, make([]byte, 1000)); err != nil || status != 0 || len(body) != 1000 {
		t.Fatalf("at the limit: %d, %d bytes, %v", status, len(body), err)
	}
	if status, _, err := roundTrip(qc, wire.CodeSendMessages, make([]byte, 1001)); err != nil || status != wire.ErrInvalidCommand.Code {
		t.Fatalf("over the limit: %d, %v", status, err)
	}
	select {
	case <-qc.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open after an oversized SendMessages")
	}
	var appErr *quic.ApplicationError
	if cause := context.Cause(qc.Context()); !errors.As(cause, &appErr) || appErr.ErrorCode != quic.ApplicationErrorCode(wire.ErrInvalidCommand.Code) {
		t.Errorf("closed with %v, want application error 3", cause)
	}
}

func TestConnectionsMax(t *testing.T) {
	cfg := testConfig()
	cfg.ConnectionsMax = 1
	tr := startServing(t, cfg, echoHandler{})
	first, err := dialRaw(t, tr.Addr(), insecureTLS())
	if err != nil {
		t.Fatal(err)
	}
	if status, _, err := roundTrip(first, wire.CodePing, nil); err != nil || status != 0 {
		t.Fatalf("first connection: %d %v", status, err)
	}
	if extra, err := dialRaw(t, tr.Addr(), insecureTLS()); err == nil {
		if _, _, err := roundTrip(extra, wire.CodePing, nil); err == nil {
			t.Fatal("a connection beyond connections_max was served")
		}
	}
	first.CloseWithError(0, "")
	eventually(t, "a new connection is served after one closed", func() bool {
		qc, err := dialRaw(t, tr.Addr(), insecureTLS())
		if err != nil {
			return false
		}
		status, _, err := roundTrip(qc, wire.CodePing, nil)
		return err == nil && status == 0
	})
}

// TestTLS: a certificate from files verified by name, and mutual TLS with
// a client CA: a client without a certificate is refused.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	serverCert, err := transporttls.GenerateSelfSigned(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	transporttlstest.WriteKeyPair(t, serverCert, certFile, keyFile)
	ca := transporttlstest.NewCA(t)
	caFile := filepath.Join(dir, "ca.pem")
	ca.WriteFile(t, caFile)

	cfg := testConfig()
	cfg.TLS = transporttls.Config{CertFile: certFile, KeyFile: keyFile, ClientCAFile: caFile}
	tr := startServing(t, cfg, echoHandler{})
	roots := x509.NewCertPool()
	roots.AddCert(serverCert.Leaf)

	client := ca.ClientCertificate(t)
	qc, err := dialRaw(t, tr.Addr(), &tls.Config{RootCAs: roots, ServerName: "localhost", Certificates: []tls.Certificate{client}})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, err := roundTrip(qc, wire.CodePing, nil); err != nil || status != 0 {
		t.Fatalf("ping with a client certificate: %d %v", status, err)
	}
	if qc, err := dialRaw(t, tr.Addr(), &tls.Config{RootCAs: roots, ServerName: "localhost"}); err == nil {
		if _, _, err := roundTrip(qc, wire.CodePing, nil); err == nil {
			t.Fatal("a client without a certificate was served")
		}
	}

	cfg.TLS.KeyFile = filepath.Join(dir, "missing.pem")
	if err := newTransport(t, cfg).Start(context.Background()); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("Start with a missing key file: %v, want a tls error", err)
	}
}

func TestBindErrorAtStart(t *testing.T) {
	first := startServing(t, testConfig(), echoHandler{})
	cfg := testConfig()
	cfg.Address = first.Addr()
	tr := newTransport(t, cfg)
	if err := tr.Start(context.Background()); err == nil {
		tr.Close(context.Background())
		t.Fatal("Start on a used address succeeded")
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Errorf("Close after a failed Start: %v", err)
	}
}

// eventually polls cond until it holds, failing after a generous deadline.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// insecureTLS accepts the transport's generated self-signed certificate.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

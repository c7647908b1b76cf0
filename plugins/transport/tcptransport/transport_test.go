package tcptransport

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	cfg.DrainTimeout = 200 * time.Millisecond
	return cfg
}

func testEnv(t testing.TB) component.Env {
	return component.Env{Logger: slog.New(slog.DiscardHandler), DataDir: t.TempDir()}
}

func newTransport(t testing.TB, cfg Config) *Transport {
	t.Helper()
	tr, err := New(testEnv(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func tlsDialer(cfg *tls.Config) transporttest.Dial {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		d := tls.Dialer{Config: cfg}
		return d.DialContext(ctx, "tcp", addr)
	}
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transport.Transport {
		return newTransport(t, testConfig())
	}, dialTCP)
}

func TestConformanceTLSGenerated(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transport.Transport {
		cfg := testConfig()
		cfg.TLS.Enabled = true
		return newTransport(t, cfg)
	}, tlsDialer(&tls.Config{InsecureSkipVerify: true}))
}

// TestTLSFiles serves a certificate from PEM files and verifies it as a
// client would, by name.
func TestTLSFiles(t *testing.T) {
	cert, err := transporttls.GenerateSelfSigned(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	transporttlstest.WriteKeyPair(t, cert, certFile, keyFile)

	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	cfg := testConfig()
	cfg.TLS = transporttls.Config{Enabled: true, CertFile: certFile, KeyFile: keyFile}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		tr := startServing(t, cfg)
		c := dialWith(t, tlsDialer(&tls.Config{RootCAs: roots, ServerName: name}), tr.Addr())
		ping(t, c)
	}

	cfg.TLS.KeyFile = filepath.Join(dir, "missing.pem")
	if err := newTransport(t, cfg).Start(context.Background()); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("Start with a missing key file: %v, want a tls error", err)
	}
}

func TestBindErrorAtStart(t *testing.T) {
	first := startServing(t, testConfig())
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

func TestConnectionsMax(t *testing.T) {
	cfg := testConfig()
	cfg.ConnectionsMax = 2
	tr := startServing(t, cfg)
	a, b := dialWith(t, dialTCP, tr.Addr()), dialWith(t, dialTCP, tr.Addr())
	ping(t, a)
	ping(t, b)
	extra := dialWith(t, dialTCP, tr.Addr())
	if _, err := extra.Write(pingFrame()); err == nil {
		if _, err := io.ReadFull(bufio.NewReader(extra), make([]byte, 8)); err == nil {
			t.Fatal("a connection beyond connections_max was served")
		}
	}
	a.Close()
	// Once a slot frees up, new connections are served again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := dialWith(t, dialTCP, tr.Addr())
		if tryPing(c) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection served after one closed")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSendMessagesLimit(t *testing.T) {
	cfg := testConfig()
	cfg.SendPayloadBytesMax = 1000
	tr := startServing(t, cfg)
	c := dialWith(t, dialTCP, tr.Addr())
	r := bufio.NewReader(c)

	// At the limit: handed to the handler, which echoes it back.
	req := make([]byte, 8+1000)
	wire.EncodeRequestHeader(req, wire.CodeSendMessages, 1000)
	c.Write(req)
	if status, n := readHeader(t, r); status != 0 || n != 1000 {
		t.Fatalf("SendMessages at the limit: status %d, %d bytes", status, n)
	}
	io.ReadFull(r, make([]byte, 1000))

	// Control frames keep their own 10 MiB limit, not this one.
	big := make([]byte, 8+2000)
	wire.EncodeRequestHeader(big, 9001, 2000)
	c.Write(big)
	if status, n := readHeader(t, r); status != 0 || n != 2000 {
		t.Fatalf("2000-byte control frame: status %d, %d bytes", status, n)
	}
	io.ReadFull(r, make([]byte, 2000))

	// One byte over: status 3, then closed.
	wire.EncodeRequestHeader(req, wire.CodeSendMessages, 1001)
	c.Write(req[:8])
	if status, n := readHeader(t, r); status != wire.ErrInvalidCommand.Code || n != 0 {
		t.Fatalf("SendMessages over the limit: status %d, %d bytes", status, n)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("connection still open after an oversized SendMessages")
	}
}

// echoHandler answers Ping (code 1) with an empty success and every other
// code with its payload echoed; code 9007 panics.
type echoHandler struct{}

type echoConn struct{}

func (echoHandler) Connect(context.Context, transport.Session) (transport.Conn, error) {
	return echoConn{}, nil
}

func (echoConn) Handle(_ context.Context, req transport.Request) transport.Response {
	switch req.Code {
	case wire.CodePing:
		return transport.Response{}
	case 9007:
		panic("tcptransport test: panic requested")
	default:
		return transport.Response{Payload: [][]byte{append([]byte(nil), req.Payload...)}}
	}
}

func (echoConn) Disconnected() {}

// startServing starts a transport serving echoHandler, closed at cleanup.
func startServing(t testing.TB, cfg Config) *Transport {
	t.Helper()
	tr := newTransport(t, cfg)
	transporttest.Serve(t, tr, echoHandler{})
	return tr
}

func dialWith(t testing.TB, dial transporttest.Dial, addr string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

func pingFrame() []byte {
	b := make([]byte, 8)
	wire.EncodeRequestHeader(b, wire.CodePing, 0)
	return b
}

// tryPing sends a Ping and checks the empty success reply.
func tryPing(c net.Conn) error {
	if _, err := c.Write(pingFrame()); err != nil {
		return err
	}
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	if status, n := wire.DecodeResponseHeader(hdr[:]); status != 0 || n != 0 {
		return errors.New("ping answered with a non-empty or error frame")
	}
	return nil
}

func ping(t testing.TB, c net.Conn) {
	t.Helper()
	if err := tryPing(c); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func readHeader(t *testing.T, r io.Reader) (status, n uint32) {
	t.Helper()
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatal(err)
	}
	return wire.DecodeResponseHeader(hdr[:])
}

package transporttls

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/transport/transporttls/transporttlstest"
)

// TestClientCertificateRequired: with client_ca_file set, a client with a
// certificate from that CA completes the handshake over a real socket and
// one without is refused.
func TestClientCertificateRequired(t *testing.T) {
	dir := t.TempDir()
	ca := transporttlstest.NewCA(t)
	caFile := filepath.Join(dir, "ca.pem")
	ca.WriteFile(t, caFile)

	serverCfg, err := ServerConfig(Config{Enabled: true, ClientCAFile: caFile}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_, _ = c.Write([]byte("ok"))
			_ = c.Close()
		}
	}()

	client := ca.ClientCertificate(t)
	if got := dialRead(ln.Addr().String(), []tls.Certificate{client}); got != "ok" {
		t.Fatalf("client with a CA-signed certificate: %q", got)
	}
	if got := dialRead(ln.Addr().String(), nil); got == "ok" {
		t.Fatal("client without a certificate was served")
	}
}

func TestServerConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{CertFile: "c.pem"}, "together"},
		{Config{CertFile: filepath.Join(dir, "no.pem"), KeyFile: filepath.Join(dir, "no.key")}, "no.pem"},
		{Config{ClientCAFile: filepath.Join(dir, "missing.pem")}, "client_ca_file"},
		{Config{ClientCAFile: notPEM}, "no PEM certificate"},
	} {
		if _, err := ServerConfig(tc.cfg, time.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.cfg, err, tc.want)
		}
	}
}

// dialRead handshakes and returns what the server wrote, or the error text.
func dialRead(addr string, certs []tls.Certificate) string {
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, Certificates: certs})
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	buf := make([]byte, 2)
	n, err := c.Read(buf)
	if err != nil {
		return err.Error()
	}
	return string(buf[:n])
}

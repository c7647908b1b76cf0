package e2e

import (
	"testing"

	iggy "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
)

// With tcp.tls.enabled and no certificate files the server generates a
// self-signed certificate; the Iggy SDK connects over TLS unchanged.
func TestIggySDKOverTLS(t *testing.T) {
	s := startServer(t, "RUNNEL_TCP_TLS_ENABLED=true")
	cli, err := iggy.NewIggyClient(iggy.WithTcp(
		tcp.WithServerAddress(s.Addr),
		tcp.WithTLS(tcp.WithTLSValidateCertificate(false)),
	))
	mustNoErr(t, "connect", err)
	defer cli.Close()
	_, err = cli.LoginUser(rootUser, rootPassword)
	mustNoErr(t, "login over TLS", err)
	_, err = cli.CreateStream("secure")
	mustNoErr(t, "create stream over TLS", err)

	// A plain-TCP client is not served on the TLS port.
	plain, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(s.Addr)))
	if err == nil {
		defer plain.Close()
		if _, err := plain.LoginUser(rootUser, rootPassword); err == nil {
			t.Fatal("plain TCP login succeeded on the TLS port")
		}
	}
}

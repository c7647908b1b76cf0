package client

import (
	"errors"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

func TestConnStringTransports(t *testing.T) {
	for _, tc := range []struct {
		s, addr, path string
		tr            Transport
	}{
		{"runnel://u:p@h", "h:8090", "/", TransportTCP},
		{"iggy+tcp://u:p@h:1", "h:1", "/", TransportTCP},
		{"runnel+quic://u:p@127.0.0.1", "127.0.0.1:8080", "/", TransportQUIC},
		{"iggy+quic://u:p@127.0.0.1:9", "127.0.0.1:9", "/", TransportQUIC},
		{"runnel+ws://u:p@h", "h:8092", "/", TransportWebSocket},
		{"iggy+ws://u:p@h:7/socket", "h:7", "/socket", TransportWebSocket},
		{"runnel+http://u:p@h", "h:3000", "/", TransportHTTP},
		{"iggy+http://u:p@h:4?tls=true", "h:4", "/", TransportHTTP},
	} {
		cs, err := ParseConnString(tc.s)
		if err != nil {
			t.Fatalf("%s: %v", tc.s, err)
		}
		cfg := defaultConfig()
		for _, o := range cs.Options {
			o(&cfg)
		}
		if cs.Addr != tc.addr || cs.Transport != tc.tr || cfg.transport != tc.tr || cfg.wsPath != tc.path {
			t.Errorf("%s: addr %s transport %s/%s path %s", tc.s, cs.Addr, cs.Transport, cfg.transport, cfg.wsPath)
		}
	}
	cs, err := ParseConnString("runnel+quic://u:p@h?tls_ca_file=ca.pem&tls_cert_file=c.pem&tls_key_file=k.pem")
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	for _, o := range cs.Options {
		o(&cfg)
	}
	if cfg.tlsCAFile != "ca.pem" || cfg.tlsCertFile != "c.pem" || cfg.tlsKeyFile != "k.pem" {
		t.Errorf("TLS options: %+v", cfg)
	}
	for _, bad := range []string{"runnel+udp://h", "runnel+quic://h/path", "runnel+http://h/api", "runnel://h?tls_cert_file=c.pem", "nats+quic://h"} {
		if _, err := ParseConnString(bad); !errors.Is(err, wire.ErrInvalidConnectionString) {
			t.Errorf("%q: %v, want InvalidConnectionString", bad, err)
		}
	}
}

func TestQUICAlwaysTLS(t *testing.T) {
	cfg := defaultConfig()
	WithTransport(TransportQUIC)(&cfg)
	WithTLSInsecureSkipVerify()(&cfg)
	tc, err := cfg.tlsConfig("h")
	if err != nil || tc == nil || !tc.InsecureSkipVerify || tc.ServerName != "h" || len(tc.NextProtos) != 0 {
		t.Fatalf("%+v %v", tc, err)
	}
	cfg = defaultConfig()
	WithTransport(TransportWebSocket)(&cfg)
	if tc, err := cfg.tlsConfig("h"); tc != nil || err != nil {
		t.Fatalf("plain ws got TLS %v %v", tc, err)
	}
	if _, err := ParseTransport("smoke"); err == nil {
		t.Error("ParseTransport(smoke) accepted")
	}
	for in, want := range map[string]Transport{"": TransportTCP, "TCP": TransportTCP, "quic": TransportQUIC, "ws": TransportWebSocket, "websocket": TransportWebSocket, "http": TransportHTTP} {
		if got, err := ParseTransport(in); err != nil || got != want {
			t.Errorf("ParseTransport(%q) = %s, %v", in, got, err)
		}
	}
}

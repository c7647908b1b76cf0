package wstransport

import (
	"crypto/tls"
	"log/slog"
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
)

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
	return tr
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transport.Transport {
		return newTransport(t, testConfig())
	}, transporttest.DialWebSocket("/", nil))
}

func TestConformanceTLSPath(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transport.Transport {
		cfg := testConfig()
		cfg.Path = "/ws"
		cfg.TLS.Enabled = true
		return newTransport(t, cfg)
	}, transporttest.DialWebSocket("/ws", &tls.Config{InsecureSkipVerify: true}))
}

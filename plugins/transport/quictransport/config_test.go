package quictransport

import (
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/transport/transporttest"
)

func TestSampleConfigIsTheDefault(t *testing.T) {
	transporttest.CheckSample(t, DecodeConfig, SampleTOML, DefaultConfig())
}

func TestDecodeConfig(t *testing.T) {
	cfg, err := transporttest.DecodeTOML(t, DecodeConfig, `
address = "0.0.0.0:9000"
connections_max = 7
send_payload_size_max = "1MiB"
max_idle_timeout = "30s"
keep_alive_interval = "-1s"
drain_timeout = "250ms"
[tls]
cert_file = "c.pem"
key_file = "k.pem"
client_ca_file = "ca.pem"
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Address = "0.0.0.0:9000"
	want.ConnectionsMax = 7
	want.SendPayloadBytesMax = 1 << 20
	want.MaxIdleTimeout = 30 * time.Second
	want.KeepAliveInterval = -time.Second
	want.DrainTimeout = 250 * time.Millisecond
	want.TLS.CertFile, want.TLS.KeyFile, want.TLS.ClientCAFile = "c.pem", "k.pem", "ca.pem"
	if cfg != want {
		t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
	}
}

// TestDecodeConfigFromStrings: RUNNEL_QUIC_* variables arrive as strings.
func TestDecodeConfigFromStrings(t *testing.T) {
	cfg, err := DecodeConfig(map[string]any{"connections_max": "9", "max_idle_timeout": "1m"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectionsMax != 9 || cfg.MaxIdleTimeout != time.Minute {
		t.Errorf("got %+v", cfg)
	}
}

func TestDecodeConfigRejects(t *testing.T) {
	transporttest.CheckRejects(t, DecodeConfig, map[string]string{
		`adress = "x:1"`:                 "adress",
		"[tls]\nenabled = true":          "enabled", // QUIC is always TLS: no such key
		`send_payload_size_max = "5GiB"`: "send_payload_size_max",
		`send_payload_size_max = "lots"`: "invalid size",
		`max_idle_timeout = "soon"`:      "max_idle_timeout",
		`max_idle_timeout = "-1s"`:       "max_idle_timeout",
		`keep_alive_interval = "often"`:  "keep_alive_interval",
		`drain_timeout = "-1s"`:          "drain_timeout",
		`connections_max = -1`:           "connections_max",
		`address = "8080"`:               "address",
		"[tls]\ncert_file = \"c.pem\"":   "together",
	})
}

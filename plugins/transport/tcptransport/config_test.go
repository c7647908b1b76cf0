package tcptransport

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
send_payload_size_max = "1MiB"
read_buffer_size = "4096"
nodelay = false
keepalive = "-1s"
drain_timeout = "250ms"
[tls]
enabled = true
client_ca_file = "ca.pem"
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Address = "0.0.0.0:9000"
	want.SendPayloadBytesMax = 1 << 20
	want.ReadBufferBytes = 4096
	want.NoDelay = false
	want.KeepAlive = -time.Second
	want.DrainTimeout = 250 * time.Millisecond
	want.TLS.Enabled = true
	want.TLS.ClientCAFile = "ca.pem"
	if cfg != want {
		t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
	}
}

// TestDecodeConfigFromStrings: RUNNEL_TCP_* variables arrive as strings.
func TestDecodeConfigFromStrings(t *testing.T) {
	cfg, err := DecodeConfig(map[string]any{"connections_max": "9", "nodelay": "false", "tls": map[string]any{"enabled": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectionsMax != 9 || cfg.NoDelay || !cfg.TLS.Enabled {
		t.Errorf("got %+v", cfg)
	}
}

func TestDecodeConfigRejects(t *testing.T) {
	transporttest.CheckRejects(t, DecodeConfig, map[string]string{
		`adress = "x:1"`:                 "adress",
		"[tls]\ncert = \"a\"":            "cert",
		`send_payload_size_max = "5GiB"`: "send_payload_size_max",
		`send_payload_size_max = "lots"`: "invalid size",
		`read_buffer_size = "1B"`:        "read_buffer_size",
		`write_buffer_size = "1GiB"`:     "write_buffer_size",
		`drain_timeout = "soon"`:         "drain_timeout",
		`drain_timeout = "-1s"`:          "drain_timeout",
		`connections_max = -1`:           "connections_max",
		`connections_max = "many"`:       "connections_max",
		`address = "8090"`:               "address",
		"[tls]\ncert_file = \"c.pem\"":   "together",
	})
}

func TestZeroConfigTakesDefaults(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatal(err)
	}
	got := Config{}.withDefaults()
	want := DefaultConfig()
	want.NoDelay = false // the one field whose zero value is kept
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

package tcptransport

import (
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// decodeTOML decodes a [tcp] table written as TOML, as the server's config
// loader would hand it over.
func decodeTOML(t *testing.T, doc string) (Config, error) {
	t.Helper()
	raw := map[string]any{}
	if err := toml.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatalf("test document: %v", err)
	}
	return DecodeConfig(raw)
}

func TestSampleConfigIsTheDefault(t *testing.T) {
	cfg, err := decodeTOML(t, string(SampleTOML))
	if err != nil {
		t.Fatal(err)
	}
	if cfg != DefaultConfig() {
		t.Errorf("sample.toml decodes to\n%+v\nwant the defaults\n%+v", cfg, DefaultConfig())
	}
}

func TestDecodeConfig(t *testing.T) {
	cfg, err := decodeTOML(t, `
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
	for _, tc := range []struct{ doc, errPart string }{
		{`adress = "x:1"`, "adress"},
		{"[tls]\ncert = \"a\"", "cert"},
		{`send_payload_size_max = "5GiB"`, "send_payload_size_max"},
		{`send_payload_size_max = "lots"`, "invalid size"},
		{`read_buffer_size = "1B"`, "read_buffer_size"},
		{`write_buffer_size = "1GiB"`, "write_buffer_size"},
		{`drain_timeout = "soon"`, "drain_timeout"},
		{`drain_timeout = "-1s"`, "drain_timeout"},
		{`connections_max = -1`, "connections_max"},
		{`connections_max = "many"`, "connections_max"},
		{`address = "8090"`, "address"},
		{"[tls]\ncert_file = \"c.pem\"", "together"},
	} {
		_, err := decodeTOML(t, tc.doc)
		if err == nil || !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.doc, err, tc.errPart)
		}
	}
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

package wstransport

import (
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

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
path = "/ws"
connections_max = "3"
send_payload_size_max = "1MiB"
drain_timeout = "250ms"
[tls]
enabled = true
client_ca_file = "ca.pem"
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Address, want.Path, want.ConnectionsMax = "0.0.0.0:9000", "/ws", 3
	want.SendPayloadBytesMax = 1 << 20
	want.DrainTimeout = 250 * time.Millisecond
	want.TLS.Enabled, want.TLS.ClientCAFile = true, "ca.pem"
	if cfg != want {
		t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
	}
	if got := want.pattern(); got != "/ws" {
		t.Errorf("pattern of /ws: %q", got)
	}
	if got := DefaultConfig().pattern(); got != "/{$}" {
		t.Errorf("pattern of /: %q", got)
	}
}

func TestDecodeConfigRejects(t *testing.T) {
	for _, tc := range []struct{ doc, errPart string }{
		{`adress = "x:1"`, "adress"},
		{`path = "ws"`, "path"},
		{`path = "/{x}"`, "path"},
		{`send_payload_size_max = "5GiB"`, "send_payload_size_max"},
		{`drain_timeout = "soon"`, "drain_timeout"},
		{`drain_timeout = "-1s"`, "drain_timeout"},
		{`connections_max = 0`, ""}, // zero is the default
		{`connections_max = -1`, "connections_max"},
		{`address = "8092"`, "address"},
		{"[tls]\ncert_file = \"c.pem\"", "together"},
	} {
		_, err := decodeTOML(t, tc.doc)
		if tc.errPart == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.doc, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.doc, err, tc.errPart)
		}
	}
}

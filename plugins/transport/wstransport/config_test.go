package wstransport

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
	transporttest.CheckRejects(t, DecodeConfig, map[string]string{
		`adress = "x:1"`:                 "adress",
		`path = "ws"`:                    "path",
		`path = "/{x}"`:                  "path",
		`send_payload_size_max = "5GiB"`: "send_payload_size_max",
		`drain_timeout = "soon"`:         "drain_timeout",
		`drain_timeout = "-1s"`:          "drain_timeout",
		`connections_max = 0`:            "", // zero is the default
		`connections_max = -1`:           "connections_max",
		`address = "8092"`:               "address",
		"[tls]\ncert_file = \"c.pem\"":   "together",
	})
}

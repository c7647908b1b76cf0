package tcptransport

import (
	_ "embed"
	"strings"
	"testing"
	"time"
)

//go:embed sample.toml
var sampleTOML []byte

func TestSampleConfigIsTheDefault(t *testing.T) {
	cfg, err := DecodeConfig(sampleTOML)
	if err != nil {
		t.Fatal(err)
	}
	if cfg != DefaultConfig() {
		t.Errorf("sample.toml decodes to\n%+v\nwant the defaults\n%+v", cfg, DefaultConfig())
	}
}

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig([]byte(`
address = "0.0.0.0:9000"
send_payload_size_max = "1MiB"
read_buffer_size = "4096"
nodelay = false
keepalive = "-1s"
drain_timeout = "250ms"
[tls]
enabled = true
`))
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
	if cfg != want {
		t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
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
		{`address = "8090"`, "address"},
		{"[tls]\ncert_file = \"c.pem\"", "together"},
	} {
		_, err := DecodeConfig([]byte(tc.doc))
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

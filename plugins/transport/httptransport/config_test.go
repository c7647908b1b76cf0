package httptransport

import (
	"reflect"
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
body_size_max = "1MiB"
drain_timeout = "250ms"
[jwt]
secret = "0123456789abcdef0123456789abcdef"
access_token_expiry = "2s"
refresh_token_expiry = "1m"
[cors]
enabled = true
allowed_origins = ["https://a.example"]
allow_credentials = true
[tls]
enabled = true
client_ca_file = "ca.pem"
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Address = "0.0.0.0:9000"
	want.BodyBytesMax = 1 << 20
	want.DrainTimeout = 250 * time.Millisecond
	want.JWT = JWTConfig{Secret: "0123456789abcdef0123456789abcdef", AccessTokenExpiry: 2 * time.Second, RefreshTokenExpiry: time.Minute}
	want.CORS.Enabled, want.CORS.AllowCredentials = true, true
	want.CORS.AllowedOrigins = []string{"https://a.example"}
	want.TLS.Enabled, want.TLS.ClientCAFile = true, "ca.pem"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
	}
}

// TestDecodeConfigFromStrings: RUNNEL_HTTP_* variables arrive as strings.
func TestDecodeConfigFromStrings(t *testing.T) {
	cfg, err := DecodeConfig(map[string]any{
		"connections_max": "9",
		"jwt":             map[string]any{"access_token_expiry": "3s"},
		"cors":            map[string]any{"enabled": "true", "allowed_origins": "https://a,https://b"},
		"tls":             map[string]any{"enabled": "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectionsMax != 9 || cfg.JWT.AccessTokenExpiry != 3*time.Second || !cfg.CORS.Enabled || !cfg.TLS.Enabled ||
		!reflect.DeepEqual(cfg.CORS.AllowedOrigins, []string{"https://a", "https://b"}) {
		t.Errorf("got %+v", cfg)
	}
}

func TestDecodeConfigRejects(t *testing.T) {
	transporttest.CheckRejects(t, DecodeConfig, map[string]string{
		`adress = "x:1"`:                        "adress",
		"[jwt]\nsecert = \"a\"":                 "secert",
		`body_size_max = "5GiB"`:                "body_size_max",
		`body_size_max = "lots"`:                "invalid size",
		`body_size_max = "10B"`:                 "body_size_max",
		`drain_timeout = "soon"`:                "drain_timeout",
		`drain_timeout = "-1s"`:                 "drain_timeout",
		`connections_max = 0`:                   "", // zero is the default
		`connections_max = -1`:                  "connections_max",
		`address = "3000"`:                      "address",
		"[jwt]\nsecret = \"short\"":             "jwt.secret",
		"[jwt]\naccess_token_expiry = \"10ms\"": "access_token_expiry",
		"[jwt]\naccess_token_expiry = \"2h\"\nrefresh_token_expiry = \"1h\"": "refresh_token_expiry",
		"[cors]\nenabled = true\nallow_credentials = true":                   "allow_credentials",
		"[cors]\nenabled = true\nallowed_methods = [\"get\"]":                "allowed_methods",
		"[tls]\ncert_file = \"c.pem\"":                                       "together",
	})
}

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultParsesAndValidates(t *testing.T) {
	cfg, err := Load(nil, nil)
	if err != nil {
		t.Fatalf("built-in default: %v", err)
	}
	if cfg.System.Path != "local_data" {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	listeners := cfg.Listeners()
	if len(listeners) != 1 || listeners[0].Name != "tcp" || listeners[0].Config["address"] != "127.0.0.1:8090" {
		t.Fatalf("transports: only tcp is on by default, got %+v", listeners)
	}
	if _, ok := listeners[0].Config["enabled"]; ok {
		t.Fatalf("enabled is the server's key, not the plugin's: %+v", listeners[0].Config)
	}
	if cfg.System.Partition.Fsync != FsyncAlways || cfg.System.Partition.FsyncInterval != time.Second {
		t.Fatalf("fsync defaults: %+v", cfg.System.Partition)
	}
	if cfg.System.Segment.Size != 1<<30 || cfg.System.Topic.MaxSize != Unlimited || cfg.System.Topic.MessageExpiry != 0 {
		t.Fatalf("size defaults: %+v %+v", cfg.System.Segment, cfg.System.Topic)
	}
}

func TestTelemetryDefaultsAndEnv(t *testing.T) {
	cfg, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tel := cfg.Telemetry
	if tel.Enabled || tel.ServiceName != "runnel" || tel.Traces.Transport != TransportGRPC ||
		tel.Traces.Endpoint != "127.0.0.1:4317" || tel.Traces.SamplingRatio != 0.01 || tel.Traces.ExportInterval != 5*time.Second {
		t.Fatalf("telemetry defaults: %+v", tel)
	}
	cfg, err = Load(nil, []string{"RUNNEL_TELEMETRY_ENABLED=true", "RUNNEL_TELEMETRY_TRACES_TRANSPORT=http",
		"RUNNEL_TELEMETRY_TRACES_ENDPOINT=127.0.0.1:4318", "RUNNEL_TELEMETRY_TRACES_SAMPLING_RATIO=0.25",
		"RUNNEL_TELEMETRY_TRACES_EXPORT_INTERVAL=50ms"})
	if err != nil {
		t.Fatal(err)
	}
	tel = cfg.Telemetry
	if !tel.Enabled || tel.Traces.Transport != TransportHTTP || tel.Traces.Endpoint != "127.0.0.1:4318" ||
		tel.Traces.SamplingRatio != 0.25 || tel.Traces.ExportInterval != 50*time.Millisecond {
		t.Fatalf("telemetry from env: %+v", tel)
	}
}

func TestLayersOverrideInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.toml")
	writeFile(t, path, "[system]\npath = \"from-file\"\n[tcp]\naddress = \"127.0.0.1:1111\"\nconnections_max = 7\n[storage.config]\nqueue_depth = 64\n")
	env := []string{"RUNNEL_TCP_ADDRESS=127.0.0.1:2222", "RUNNEL_TCP_TLS_CERT_FILE=c.pem", "RUNNEL_TCP_TLS_KEY_FILE=k.pem", "HOME=/x"}
	cfg, err := Load([]string{"--config", path, "--tcp.connections_max=9"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.System.Path != "from-file" {
		t.Errorf("file layer lost: %q", cfg.System.Path)
	}
	tcp := cfg.Listeners()[0].Config
	if tcp["address"] != "127.0.0.1:2222" {
		t.Errorf("env must override file: %v", tcp["address"])
	}
	if tls, _ := tcp["tls"].(map[string]any); tls["cert_file"] != "c.pem" {
		t.Errorf("underscored key via env: %v", tcp["tls"])
	}
	if tcp["connections_max"] != "9" {
		t.Errorf("flag must override file: %v", tcp["connections_max"])
	}
	if cfg.Storage.Config["queue_depth"] == nil {
		t.Errorf("plugin subtree lost: %v", cfg.Storage.Config)
	}
}

func TestRootCredentialsFromEnv(t *testing.T) {
	cfg, err := Load(nil, []string{"RUNNEL_ROOT_USERNAME=iggy", "RUNNEL_ROOT_PASSWORD=iggy"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Root.Username != "iggy" || cfg.Root.Password != "iggy" {
		t.Fatalf("root: %+v", cfg.Root)
	}
}

func TestRefusesNamingTheKey(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, file string
		env, args  []string
		want       string
	}{
		{name: "unknown file key", file: "[tcp]\nadress = \"x\"\n", want: "tcp.adress"},
		{name: "unknown section", file: "[nope]\nx = 1\n", want: "nope.x"},
		{name: "unknown env", env: []string{"RUNNEL_TCP_ADRESS=x"}, want: "RUNNEL_TCP_ADRESS"},
		{name: "unknown flag", args: []string{"--tcp.adress=x"}, want: "tcp.adress"},
		{name: "bad fsync", env: []string{"RUNNEL_SYSTEM_PARTITION_FSYNC=sometimes"}, want: "system.partition.fsync"},
		{name: "bad size", file: "[system.segment]\nsize = \"12 parsecs\"\n", want: "system.segment.size"},
		{name: "bad int", env: []string{"RUNNEL_SYSTEM_MESSAGE_DEDUPLICATION_MAX_ENTRIES=many"}, want: "max_entries"},
		{name: "bad enabled", env: []string{"RUNNEL_QUIC_ENABLED=maybe"}, want: "quic.enabled"},
		{name: "transport without type", file: "[[transports]]\nname = \"edge\"\n", want: "transports[0].type"},
		{name: "transport named as a section", file: "[[transports]]\nname = \"tcp\"\ntype = \"tcp\"\n", want: "transports[0].name"},
		{name: "bad duration", env: []string{"RUNNEL_SYSTEM_PARTITION_FSYNC_INTERVAL=soon"}, want: "fsync_interval"},
		{name: "short root password", env: []string{"RUNNEL_ROOT_PASSWORD=x"}, want: "root.password"},
		{name: "archiver without type", file: "[[archivers]]\nname = \"a\"\n", want: "archivers[0].type"},
		{name: "archiver names twice", file: "[[archivers]]\nname = \"a\"\ntype = \"disk\"\n[[archivers]]\nname = \"a\"\ntype = \"disk\"\n", want: "archivers[1].name"},
		{name: "archiver unknown key", file: "[[archivers]]\nname = \"a\"\ntype = \"disk\"\nbucket = \"b\"\n", want: "bucket"},
		{name: "bundle bad digest", file: "[[plugins.bundles]]\nname = \"b\"\nfile = \"f\"\nsha256 = \"xyz\"\n", want: "plugins.bundles[0].sha256"},
		{name: "bad archive interval", env: []string{"RUNNEL_SYSTEM_ARCHIVE_INTERVAL=0s"}, want: "system.archive.interval"},
		{name: "bad metadata interval", env: []string{"RUNNEL_SYSTEM_ARCHIVE_METADATA_INTERVAL=0s"}, want: "system.archive.metadata_interval"},
		{name: "empty trace transport", env: []string{"RUNNEL_TELEMETRY_TRACES_TRANSPORT="}, want: "telemetry.traces.transport"},
		{name: "bad metrics interval", env: []string{"RUNNEL_TELEMETRY_METRICS_EXPORT_INTERVAL=0s"}, want: "telemetry.metrics.export_interval"},
		{name: "bad prometheus path", env: []string{"RUNNEL_TELEMETRY_PROMETHEUS_PATH=metrics"}, want: "telemetry.prometheus.path"},
		{name: "bad sampling ratio", env: []string{"RUNNEL_TELEMETRY_TRACES_SAMPLING_RATIO=1.5"}, want: "telemetry.traces.sampling_ratio"},
		{name: "bad trace endpoint", env: []string{"RUNNEL_TELEMETRY_ENABLED=true", "RUNNEL_TELEMETRY_TRACES_ENDPOINT=nocolon"}, want: "telemetry.traces.endpoint"},
		{name: "empty service name", env: []string{"RUNNEL_TELEMETRY_ENABLED=true", "RUNNEL_TELEMETRY_SERVICE_NAME="}, want: "telemetry.service_name"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				path := filepath.Join(dir, "c"+string(rune('a'+i))+".toml")
				writeFile(t, path, tc.file)
				args = append([]string{"--config", path}, args...)
			}
			_, err := Load(args, tc.env)
			if err == nil {
				t.Fatalf("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestArchiversAndBundlesFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	writeFile(t, path, `
[[archivers]]
name = "cold"
type = "disk"
[archivers.config]
path = "/mnt/a"

[[archivers]]
name = "cas-1"
type = "cas"

[plugins]
dir = "/opt/plugins"
[[plugins.bundles]]
name = "cas"
file = "runnel-plugin-cas"
sha256 = "`+strings.Repeat("ab", 32)+`"
`)
	cfg, err := Load([]string{"--config", path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Archivers) != 2 || cfg.Archivers[0].Type != "disk" || cfg.Archivers[0].Config["path"] != "/mnt/a" || cfg.Archivers[1].Name != "cas-1" {
		t.Fatalf("archivers: %+v", cfg.Archivers)
	}
	if cfg.Plugins.Dir != "/opt/plugins" || len(cfg.Plugins.Bundles) != 1 || cfg.Plugins.Bundles[0].File != "runnel-plugin-cas" {
		t.Fatalf("plugins: %+v", cfg.Plugins)
	}
}

func TestMissingConfigFileIsAnError(t *testing.T) {
	_, err := Load([]string{"--config", filepath.Join(t.TempDir(), "missing.toml")}, nil)
	if err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Fatalf("got %v", err)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"512": 512, "64KiB": 64 << 10, "1GiB": 1 << 30, "10MB": 10e6, "unlimited": Unlimited, "3 MiB": 3 << 20} {
		var s ByteSize
		if err := s.UnmarshalText([]byte(in)); err != nil || s != want {
			t.Errorf("%q: got %d, %v; want %d", in, s, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "1.5GiB", "99999999999999999999"} {
		var s ByteSize
		if err := s.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q accepted as %d", in, s)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTransportSectionsAndList: sections switch on by "enabled" (from a
// file or the environment) and the [[transports]] list follows them.
func TestTransportSectionsAndList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	writeFile(t, path, "[tcp]\nenabled = false\n[[transports]]\nname = \"edge\"\ntype = \"my_proto\"\n[transports.config]\nport = 1\n")
	cfg, err := Load([]string{"--config", path}, []string{"RUNNEL_QUIC_ENABLED=true", "RUNNEL_WEBSOCKET_ENABLED=true", "RUNNEL_QUIC_ADDRESS=127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	listeners := cfg.Listeners()
	for _, tr := range listeners {
		names = append(names, tr.Name+"="+tr.Type)
	}
	if got := strings.Join(names, ","); got != "quic=quic,websocket=websocket,edge=my_proto" {
		t.Fatalf("transports %s", got)
	}
	if listeners[0].Config["address"] != "127.0.0.1:9" || listeners[2].Config["port"] == nil {
		t.Fatalf("plugin tables lost: %+v", listeners)
	}
}

package servercmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := []string{"RUNNEL_SYSTEM_PATH=" + t.TempDir(), "RUNNEL_ROOT_PASSWORD=secret"}
	code := run(args, env, &out, &errb, nil)
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runnel.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPluginsList(t *testing.T) {
	code, out, _ := runCmd(t, "plugins", "list")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	collapsed := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"storage file builtin", "storage iouring", "archiver disk builtin", "transport tcp builtin"} {
		if !strings.Contains(collapsed, want) {
			t.Errorf("plugins list lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runCmd(t, "plugins"); code != exitConfig {
		t.Fatalf("`plugins` without list: exit %d", code)
	}
}

// TestEveryTransportSectionFitsItsPlugin: the keys the built-in default
// declares for [tcp], [quic], [http] and [websocket] are exactly what each
// transport plugin accepts, so turning any of them on needs nothing else.
func TestEveryTransportSectionFitsItsPlugin(t *testing.T) {
	code, out, errOut := runCmd(t, "check-config", "--quic.enabled=true", "--http.enabled=true", "--websocket.enabled=true",
		"--telemetry.enabled=true")
	if code != exitOK || !strings.Contains(out, "configuration OK") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
}

func TestCheckConfig(t *testing.T) {
	good := writeConfig(t, "[[archivers]]\nname = \"cold\"\ntype = \"disk\"\n[archivers.config]\npath = \"x\"\n")
	if code, out, errOut := runCmd(t, "check-config", "--config", good); code != exitOK || !strings.Contains(out, "configuration OK") {
		t.Fatalf("good config: exit %d, %s%s", code, out, errOut)
	}
	for _, tc := range []struct{ config, want string }{
		{"[[archivers]]\nname = \"cold\"\ntype = \"glacier\"\n", `unknown plugin "glacier" (available: disk, s3)`},
		{"[[archivers]]\nname = \"cold\"\ntype = \"disk\"\n[archivers.config]\nbucket = \"b\"\n", `"cold": diskarchiver: config: unknown key bucket`},
		{"[storage]\nbackend = \"mmap\"\n[storage.config]\nmap_headroom_bytes = -1\n", "map_headroom_bytes -1 outside"},
		{"[storage]\nbackend = \"tape\"\n", `storage.backend: registry: unknown plugin "tape"`},
		{"[tcp]\naddress = \"nocolon\"\n", `transport "tcp": tcptransport: address "nocolon"`},
		{"[tcp]\nconnections_max = \"many\"\n", `transport "tcp": tcptransport: config: connections_max`},
		{"[tcp.tls]\ncert_file = \"c.pem\"\n", "cert_file and key_file must be set together"},
		{"[[transports]]\nname = \"edge\"\ntype = \"pigeon\"\n", `transport "edge": registry: unknown plugin "pigeon"`},
		{"[telemetry]\nenabled = true\n[telemetry.metrics]\ntransport = \"carrier-pigeon\"\n", `telemetry.metrics.transport: registry: unknown plugin "carrier-pigeon"`},
		{"[telemetry]\nenabled = true\n[telemetry.logs]\ntransport = \"http\"\nendpoint = \"nocolon\"\n", "telemetry.logs.endpoint"},
	} {
		code, _, errOut := runCmd(t, "check-config", "--config", writeConfig(t, tc.config))
		if code != exitConfig || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and one line with %q", tc.config, code, errOut, tc.want)
		}
	}
}
